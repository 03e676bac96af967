"""A reader's inbox as the gateway reads it: frames, replay after a seq, pages, counts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.db.models import Notification


class Stored(Protocol):
    """What a frame is made of: a loaded row, or the values of one just inserted."""

    id: uuid.UUID
    seq: int
    title: str
    body: str
    category: str | None
    priority: str
    data: dict[str, Any]
    created_at: datetime
    read_at: datetime | None


def frame(n: Stored) -> dict[str, Any]:
    """The ``notification`` frame a socket receives, also used by the REST inbox."""
    return {
        "type": "notification", "id": str(n.id), "seq": n.seq, "title": n.title, "body": n.body,
        "category": n.category, "priority": n.priority, "data": n.data,
        "created_at": n.created_at.isoformat(), "read": n.read_at is not None,
    }


def owned_by(session: Session, reader_row_id: int, notification_id: uuid.UUID) -> bool:
    return session.scalar(
        select(func.count()).where(Notification.id == notification_id,
                                   Notification.user_id == reader_row_id)
    ) == 1


def unread_count(session: Session, reader_row_id: int) -> int:
    return session.scalar(
        select(func.count()).where(Notification.user_id == reader_row_id,
                                   Notification.read_at.is_(None))
    ) or 0


def after_seq(session: Session, reader_row_id: int, since: int, limit: int,
              until: int | None = None) -> list[Notification]:
    """The reader's notifications with seq in (since, until], in seq order."""
    query = select(Notification).where(Notification.user_id == reader_row_id,
                                       Notification.seq > since)
    if until is not None:
        query = query.where(Notification.seq <= until)
    return list(session.scalars(query.order_by(Notification.seq).limit(limit)))


def oldest_seq(session: Session, reader_row_id: int) -> int | None:
    return session.scalar(select(func.min(Notification.seq))
                          .where(Notification.user_id == reader_row_id))


def page(session: Session, reader_row_id: int, limit: int, before: int | None,
         unread_only: bool) -> list[Notification]:
    """Newest first; ``before`` is a seq cursor from the previous page."""
    query = select(Notification).where(Notification.user_id == reader_row_id)
    if before is not None:
        query = query.where(Notification.seq < before)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return list(session.scalars(query.order_by(Notification.seq.desc()).limit(limit)))
