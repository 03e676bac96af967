"""Topics: a tenant's named lists of readers, and sends to them.

A send to a topic is one row (``topic_sends``) written by the API, whatever the topic's size:
the fan-out into one notification per subscriber happens downstream, in chunks (``fanout``).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from backend.core.errors import NotFound
from backend.db.models import Topic, TopicSend, TopicSubscriber
from backend.notifications import lifecycle
from backend.notifications.lifecycle import Status
from backend.notifications.messages import new_id
from backend.notifications.schemas import NotificationCreate, SendSummary
from backend.tenants import caps


def upsert(session: Session, tenant_id: uuid.UUID, key: str, name: str | None, most: int
           ) -> Topic:
    """Create or rename a topic; a new one only within the tenant's ``most``."""
    if session.scalar(select(Topic.id).where(Topic.tenant_id == tenant_id,
                                             Topic.key == key)) is None:
        caps.make_room(session, Topic.tenant_id, tenant_id, most, "topics",
                       "HERALD_MAX_TOPICS_PER_TENANT")
    session.execute(insert(Topic).values(tenant_id=tenant_id, key=key, name=name)
                    .on_conflict_do_update(index_elements=["tenant_id", "key"],
                                           set_={"name": name}))
    return find(session, tenant_id, key)


def find(session: Session, tenant_id: uuid.UUID, key: str) -> Topic:
    topic = session.scalar(select(Topic).where(Topic.tenant_id == tenant_id, Topic.key == key))
    if topic is None:
        raise NotFound(f"topic {key!r} not found")
    return topic


def count(session: Session, topic_id: int) -> int:
    return session.scalar(select(func.count()).where(TopicSubscriber.topic_id == topic_id)) or 0


def change(session: Session, topic: Topic, add: list[str], remove: list[str]) -> tuple[int, int]:
    """Add and remove subscribers (adding one twice is no change); returns how many of each."""
    added = removed = 0
    if add:
        added = len(session.scalars(
            insert(TopicSubscriber)
            .values([{"topic_id": topic.id, "external_id": e} for e in sorted(set(add))])
            .on_conflict_do_nothing().returning(TopicSubscriber.id)).all())
    if remove:
        removed = len(session.scalars(
            delete(TopicSubscriber)
            .where(TopicSubscriber.topic_id == topic.id,
                   TopicSubscriber.external_id.in_(remove))
            .returning(TopicSubscriber.id)).all())
    return added, removed


def page(session: Session, topic: Topic, cursor: int, limit: int) -> tuple[list[str], int | None]:
    """Subscribers in the order they subscribed, after ``cursor``; and the next cursor."""
    rows = session.execute(
        select(TopicSubscriber.id, TopicSubscriber.external_id)
        .where(TopicSubscriber.topic_id == topic.id, TopicSubscriber.id > cursor)
        .order_by(TopicSubscriber.id).limit(limit)).all()
    return [r.external_id for r in rows], rows[-1].id if len(rows) == limit else None


def size(session: Session, tenant_id: uuid.UUID, key: str) -> int:
    """Subscribers of a topic (a missing topic is NotFound)."""
    return count(session, find(session, tenant_id, key).id)


def send_status(send: TopicSend) -> Status:
    """A topic send's own status: its notifications have theirs, each under its own id."""
    if send.done_at is not None:
        return Status.FANNED_OUT
    if send.appended:
        return Status.FANNING_OUT
    return Status.SCHEDULED if send.due_at > datetime.now(UTC) else Status.ACCEPTED


def progress(session: Session, send: TopicSend) -> SendSummary:
    """How far a topic send's fan-out got, and what became of what it made."""
    topic = session.get(Topic, send.topic_id)
    return SendSummary(topic=topic.key if topic else None, subscribers=send.recipients,
                       appended=send.appended,
                       notifications=lifecycle.send_counts(session, send.tenant_id, send.id))


def _answer(send: TopicSend, topic_key: str) -> dict[str, Any]:
    return {"id": str(send.id), "status": send_status(send), "topic": topic_key,
            "recipients": send.recipients}


def accept_send(session: Session, tenant_id: uuid.UUID, body: NotificationCreate
                ) -> dict[str, Any]:
    """One row for the whole send; the same idempotency key answers the first send again."""
    assert body.topic is not None
    topic = find(session, tenant_id, body.topic)
    if body.idempotency_key:
        earlier = session.scalar(select(TopicSend).where(
            TopicSend.tenant_id == tenant_id, TopicSend.idempotency_key == body.idempotency_key))
        if earlier is not None:
            return _answer(earlier, body.topic)
    newest = session.scalar(select(func.max(TopicSubscriber.id))
                            .where(TopicSubscriber.topic_id == topic.id)) or 0
    now = datetime.now(UTC)
    send = TopicSend(
        id=new_id(), tenant_id=tenant_id, topic_id=topic.id, up_to=newest, after=0,
        recipients=count(session, topic.id), idempotency_key=body.idempotency_key,
        request=body.model_dump(mode="json", exclude={"recipients", "topic", "send_at",
                                                      "idempotency_key"}),
        created_at=now.isoformat(), due_at=max(body.send_at or now, now))
    session.add(send)
    session.flush()
    return _answer(send, body.topic)
