"""Erasing a reader everywhere Herald keeps something of them (``DELETE /v1/users/{id}``).

PostgreSQL: the reader row with its profile and preferences, and through it every
notification, attempt and pending delivery; their topic subscriptions, the events owed to
the tenant's webhooks about them, and their place in scheduled and recurring sends. Redis:
stream entries not yet stored, and dead letters. An entry already on its way through Celery
is stopped by a tombstone the worker checks (``erased_before``), so nothing comes back. A
later send to the same id starts a fresh reader: seq from 1, a new epoch.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, cast

import redis
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from backend.core import redis_keys as keys
from backend.db.models import (
    Delivery,
    DeliveryAttempt,
    Notification,
    Schedule,
    ScheduledSend,
    Topic,
    TopicSubscriber,
    User,
    WebhookEvent,
)
from backend.notifications import stream
from backend.notifications.messages import StreamEntry

# Longer than any Celery message can wait before a worker takes it (its visibility timeout).
TOMBSTONE_SECONDS = 7 * 86_400
PAGE = 1000


@dataclass
class Erased:
    notifications: int = 0
    subscriptions: int = 0
    scheduled: int = 0
    events: int = 0
    stream_entries: int = 0
    dead_letters: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def _rows(session: Session, tenant_id: uuid.UUID, user_id: str, erased: Erased) -> None:
    reader = session.scalar(select(User).where(User.tenant_id == tenant_id,
                                               User.external_id == user_id))
    if reader is not None:
        theirs = select(Notification.id).where(Notification.reader_id == reader.id)
        erased.notifications = session.scalar(
            select(func.count()).select_from(theirs.subquery())) or 0
        # Attempts and deliveries first (no foreign key to partitioned notifications).
        session.execute(delete(DeliveryAttempt).where(DeliveryAttempt.notification_id.in_(theirs)))
        session.execute(delete(Delivery).where(Delivery.notification_id.in_(theirs)))
        session.delete(reader)  # notifications and the profile go with the row
    erased.subscriptions = len(session.scalars(
        delete(TopicSubscriber)
        .where(TopicSubscriber.external_id == user_id,
               TopicSubscriber.topic_id.in_(select(Topic.id).where(Topic.tenant_id == tenant_id)))
        .returning(TopicSubscriber.id)).all())
    erased.events = len(session.scalars(
        delete(WebhookEvent)
        .where(WebhookEvent.tenant_id == tenant_id,
               WebhookEvent.data["recipient"].astext == user_id)
        .returning(WebhookEvent.id)).all())
    erased.scheduled = _scheduled(session, tenant_id, user_id)


def _scheduled(session: Session, tenant_id: uuid.UUID, user_id: str) -> int:
    """Take the reader out of sends still waiting; a send left with no one is dropped."""
    changed = 0
    for send in session.scalars(select(ScheduledSend).where(
            ScheduledSend.tenant_id == tenant_id, ScheduledSend.enqueued_at.is_(None),
            ScheduledSend.entries.contains([{"recipient": user_id}]))):
        send.entries = [e for e in send.entries if e["recipient"] != user_id]
        if not send.entries:
            session.delete(send)
        changed += 1
    for schedule in session.scalars(select(Schedule).where(
            Schedule.tenant_id == tenant_id, Schedule.deleted_at.is_(None),
            Schedule.notification["recipients"].contains([user_id]))):
        left = [r for r in schedule.notification["recipients"] if r != user_id]
        schedule.notification = {**schedule.notification, "recipients": left}
        if not left:
            schedule.deleted_at = func.now()
        changed += 1
    return changed


def _entries(client: redis.Redis, stream: str) -> Iterable[tuple[str, dict[str, str]]]:
    start = "-"
    while page := cast(list[tuple[str, dict[str, str]]],
                       client.xrange(stream, min=start, max="+", count=PAGE)):
        yield from page
        start = f"({page[-1][0]}"


def _is_theirs(raw: str, tenant_id: str, user_id: str) -> bool:
    try:
        payload: Any = json.loads(raw)
    except ValueError:
        return False
    return (isinstance(payload, dict) and payload.get("tenant_id") == tenant_id
            and payload.get("recipient") == user_id)


def _stream(client: redis.Redis, tenant_id: str, user_id: str, erased: Erased,
            partitions: int) -> None:
    """Their entries not yet read by a bridge, from every lane of every partition (the
    setting may have changed since they were written)."""
    for name in stream.all_lanes(client, partitions):
        theirs = [(eid, fields) for eid, fields in _entries(client, name)
                  if _is_theirs(fields.get("n", ""), tenant_id, user_id)]
        if theirs:
            ids = [eid for eid, _ in theirs]
            with client.pipeline(transaction=False) as pipe:
                # Acknowledged too: a deleted entry left pending would hold back trimming.
                pipe.xack(name, keys.BRIDGE_GROUP, *ids)
                pipe.xdel(name, *ids)
                for _, fields in theirs:
                    pipe.delete(keys.accepted(json.loads(fields["n"])["id"]))
                pipe.execute()
        erased.stream_entries += len(theirs)
    letters = [eid for eid, fields in _entries(client, keys.dead_letters(tenant_id))
               if _is_theirs(fields.get("payload", ""), tenant_id, user_id)]
    if letters:
        client.xdel(keys.dead_letters(tenant_id), *letters)
    erased.dead_letters = len(letters)


def erase(session: Session, client: redis.Redis, tenant_id: uuid.UUID, user_id: str,
          partitions: int) -> Erased:
    """Erase the reader; the tombstone goes first, so no worker stores them again meanwhile."""
    client.set(keys.erased(str(tenant_id), user_id), int(time.time() * 1000),
               ex=TOMBSTONE_SECONDS)
    erased = Erased()
    _rows(session, tenant_id, user_id, erased)
    _stream(client, str(tenant_id), user_id, erased, partitions)
    return erased


def erased_before(client: redis.Redis, entries: list[StreamEntry]) -> set[str]:
    """Ids of entries for readers erased after the entry was accepted: never to be stored."""
    readers = sorted({(e.tenant_id, e.recipient) for e in entries})
    if not readers:
        return set()
    found = client.mget([keys.erased(*reader) for reader in readers])
    when = {reader: int(ms) for reader, ms in zip(readers, found, strict=True) if ms}
    if not when:
        return set()
    return {e.id for e in entries if (e.tenant_id, e.recipient) in when
            and datetime.fromisoformat(e.created_at).timestamp() * 1000
            <= when[(e.tenant_id, e.recipient)]}
