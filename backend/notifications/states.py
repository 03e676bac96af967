"""A reader's own inbox states: read, seen (the bell was opened), archived, snoozed.

Each change is numbered (``changes``) and answered as the frames every tab of the reader gets:
``state`` with the ids and the new value, then the counts.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from backend.db.models import Notification
from backend.notifications import changes, inbox, lifecycle

Kind = Literal["read", "seen", "archive", "unarchive", "snooze"]
N = Notification


def _seen(now: datetime) -> Any:
    return func.coalesce(N.seen_at, now)  # the first time it was seen stays


# kind -> (which rows it changes, the new values, the state frame's field and value)
RULES: dict[str, tuple[ColumnElement[bool], Callable[[datetime, datetime | None],
                                                      dict[str, Any]], str]] = {
    "seen": (N.seen_at.is_(None), lambda now, _: {"seen_at": _seen(now)}, "seen"),
    "archive": (N.archived_at.is_(None), lambda now, _: {"archived_at": now}, "archived"),
    "unarchive": (N.archived_at.is_not(None), lambda _, __: {"archived_at": None}, "archived"),
    "snooze": (N.deleted_at.is_(None), lambda _, until: {"snoozed_until": until},
               "snoozed_until"),
}


def _value(kind: str, until: datetime | None) -> object:
    if kind == "snooze":
        return until.isoformat() if until else None
    return kind != "unarchive"


def change(session: Session, reader_row_id: int, kind: Kind, ids: list[uuid.UUID] | None,
           until: datetime | None = None) -> list[dict[str, Any]]:
    """Apply ``kind`` to the reader's notifications (all when ``ids`` is None); returns the
    frames for every tab of the reader."""
    now = datetime.now(UTC)
    where: list[ColumnElement[bool]] = [N.user_id == reader_row_id, N.deleted_at.is_(None)]
    if ids is not None:
        where.append(lifecycle.by_ids(ids))
    frames: list[dict[str, Any]] = []
    value: object = True
    if kind == "read":
        moved = lifecycle.mark_read(session, reader_row_id, ids)
        rows = (changes.apply(session, [lifecycle.by_ids(map(uuid.UUID, moved))],
                              seen_at=_seen(now)) if moved else [])
        field = "read"
        if moved:
            frames.append({"type": "read", "ids": moved})  # what older clients know
    else:
        condition, values, field = RULES[kind]
        rows = changes.apply(session, [*where, condition], **values(now, until))
        value = _value(kind, until)
    if rows:
        frames.insert(0, {"type": "state", "ids": [str(r.id) for r in rows], field: value,
                          "change": max(r.change for r in rows)})
    return frames + inbox.counts(session, reader_row_id).frames()


def wake_snoozed(session: Session, limit: int) -> list[Notification]:
    """Snoozes that ended: back in the inbox, unread and unseen again (claimed with SKIP
    LOCKED, so two ticks at once never wake the same row twice)."""
    ids = list(session.scalars(select(N.id).where(N.snoozed_until <= datetime.now(UTC))
                               .limit(limit).with_for_update(skip_locked=True)))
    if not ids:
        return []
    return changes.apply(session, [lifecycle.by_ids(ids)], snoozed_until=None, read_at=None,
                         seen_at=None)
