"""Fanning a topic send out into one notification per subscriber, a chunk at a time.

Each chunk goes into the ingest stream with an idempotency key of its own (the send and the
subscriber it starts after), so a tick that dies after appending a chunk and before recording
its progress appends nothing the second time.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db.models import TopicSend, TopicSubscriber
from backend.notifications import stream
from backend.notifications.messages import StreamEntry, new_id

CHUNK = 1000  # subscribers per stream append: one Lua script of at most ~1 MB


def _chunk(session: Session, send: TopicSend) -> list[tuple[int, str]]:
    return [r.tuple() for r in session.execute(
        select(TopicSubscriber.id, TopicSubscriber.external_id)
        .where(TopicSubscriber.topic_id == send.topic_id, TopicSubscriber.id > send.after,
               TopicSubscriber.id <= send.up_to)
        .order_by(TopicSubscriber.id).limit(CHUNK)).all()]


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
    """Append up to ``max_chunks`` chunks of the send; returns how many notifications."""
    appended = 0
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


def claim_due(session: Session, limit: int) -> list[TopicSend]:
    """Due sends not finished, locked for this transaction (another tick skips them)."""
    return list(session.scalars(
        select(TopicSend)
        .where(TopicSend.done_at.is_(None), TopicSend.due_at <= datetime.now(UTC))
        .order_by(TopicSend.due_at).limit(limit).with_for_update(skip_locked=True)))


def send_of(session: Session, tenant_id: uuid.UUID, send_id: uuid.UUID) -> TopicSend | None:
    return session.scalar(select(TopicSend).where(TopicSend.id == send_id,
                                                  TopicSend.tenant_id == tenant_id))
