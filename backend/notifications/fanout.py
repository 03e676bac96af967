"""Fanning a topic send out into one notification per subscriber, a chunk at a time.

Readers looking at the page come first: the first tick appends the subscribers with an open
socket (the gateways' ``online`` set, up to a chunk of them), and the chunks that follow, in
subscription order, leave them out.

Each chunk goes into the ingest stream with an idempotency key of its own (the send and the
subscriber it starts after, or ``online``), so a tick that dies after appending a chunk and
before recording its progress appends nothing the second time; the online chunk's answer
keeps whom it reached, so a second try leaves out the same readers.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

import redis
from sqlalchemy import BigInteger, Select, all_, select
from sqlalchemy.orm import Session

from backend.core import redis_keys
from backend.db.arrays import array_text, bound_array
from backend.db.models import TopicSend, TopicSubscriber
from backend.notifications import stream
from backend.notifications.messages import StreamEntry, new_id

CHUNK = 1000  # subscribers per stream append: one Lua script of at most ~1 MB


def _chunk(session: Session, send: TopicSend) -> list[tuple[int, str]]:
    query = (select(TopicSubscriber.id, TopicSubscriber.external_id)
             .where(TopicSubscriber.topic_id == send.topic_id, TopicSubscriber.id > send.after,
                    TopicSubscriber.id <= send.up_to)
             .order_by(TopicSubscriber.id).limit(CHUNK))
    if send.first:
        query = query.where(TopicSubscriber.id != all_(bound_array(
            BigInteger(), value=array_text(send.first))))
    return [r.tuple() for r in session.execute(query).all()]


def online_readers(client: redis.Redis, tenant_id: str) -> list[str]:
    """The tenant's readers with an open socket now (``gateway.routing``), up to a chunk."""
    found = client.zrangebyscore(redis_keys.online(tenant_id), int(time.time() * 1000), "+inf",
                                 start=0, num=CHUNK)
    return [r.decode() if isinstance(r, bytes) else str(r) for r in found]


def _online_first(session: Session, ingest: stream.Ingest, send: TopicSend) -> int:
    """Append the subscribers online now before anyone else; returns how many."""
    online = online_readers(ingest.client, str(send.tenant_id))
    rows = session.execute(
        select(TopicSubscriber.id, TopicSubscriber.external_id)
        .where(TopicSubscriber.topic_id == send.topic_id, TopicSubscriber.id <= send.up_to,
               TopicSubscriber.external_id.in_(online))
        .order_by(TopicSubscriber.id)).all() if online else []
    first = [subscriber for subscriber, _ in rows]
    if first:
        _, answer = ingest.enqueue(str(send.tenant_id),
                                   _entries(send, [external_id for _, external_id in rows]),
                                   {"id": str(send.id), "first": first},
                                   f"topic:{send.id}:online")
        first = list(answer.get("first", first))  # a second try: whom the first reached
    send.first = first
    send.appended = (send.appended or 0) + len(first)
    return len(first)


def _entries(send: TopicSend, recipients: list[str]) -> list[StreamEntry]:
    """A notification is created when its id is: now (``lifecycle.by_ids`` relies on it)."""
    request = {k: v for k, v in send.request.items() if k in StreamEntry.__dataclass_fields__}
    created_at = datetime.now(UTC).isoformat()
    return [StreamEntry(**request, id=str(new_id()), group_id=str(send.id),
                        tenant_id=str(send.tenant_id), recipient=recipient,
                        created_at=created_at)
            for recipient in recipients]


def advance(session: Session, ingest: stream.Ingest, send: TopicSend,
            max_chunks: int) -> int:
    """Append up to ``max_chunks`` chunks of the send (the online readers first, at its first
    tick); returns how many notifications."""
    appended = 0
    if send.first is None and (appended := _online_first(session, ingest, send)):
        max_chunks -= 1
    for _ in range(max_chunks):
        chunk = _chunk(session, send)
        if not chunk:
            send.done_at = datetime.now(UTC)
            break
        entries = _entries(send, [external_id for _, external_id in chunk])
        ingest.enqueue(str(send.tenant_id), entries, {"id": str(send.id)},
                       f"topic:{send.id}:{send.after}")
        send.after = chunk[-1][0]
        send.appended = (send.appended or 0) + len(entries)
        appended += len(entries)
    return appended


def online_first_now(session: Session, ingest: stream.Ingest, send_id: str) -> int:
    """The online step of a send just accepted, without waiting for beat's next tick (up
    to a second): a "going down in 5 minutes" reaches the open pages at once. A send that a
    tick holds (locked), has done this step, or is not due yet is left alone; if this fails,
    the tick does it."""
    send = session.scalar(_due().where(TopicSend.id == uuid.UUID(send_id),
                                       TopicSend.first.is_(None)))
    return _online_first(session, ingest, send) if send is not None else 0


def _due() -> Select[TopicSend]:
    """Due sends not finished, locked for this transaction (another tick skips them)."""
    return (select(TopicSend)
            .where(TopicSend.done_at.is_(None), TopicSend.due_at <= datetime.now(UTC))
            .with_for_update(skip_locked=True))


def claim_due(session: Session, limit: int) -> list[TopicSend]:
    """Up to ``limit`` of ``_due``, the longest due first."""
    return list(session.scalars(_due().order_by(TopicSend.due_at).limit(limit)))


def send_of(session: Session, tenant_id: uuid.UUID, send_id: uuid.UUID) -> TopicSend | None:
    return session.scalar(select(TopicSend).where(TopicSend.id == send_id,
                                                  TopicSend.tenant_id == tenant_id))
