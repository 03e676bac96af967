"""A reader's own inbox states: read, seen (the bell was opened), archived, snoozed.

Each change is numbered (``changes``) and answered as the frames every tab of the reader gets:
``state`` with the ids and the new value, then the counts.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal, cast

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from backend.db.models import Notification
from backend.notifications import changes, inbox, lifecycle
from backend.notifications.frames import ServerFrame, StateFrame

Kind = Literal["read", "seen", "archive", "unarchive", "snooze"]
N = Notification


def _seen(now: datetime) -> Any:
    return func.coalesce(N.seen_at, now)  # the first time it was seen stays


def _rule(kind: Kind, now: datetime, until: datetime | None
          ) -> tuple[list[ColumnElement[bool]], dict[str, Any], str, object]:
    """Which rows a kind changes, their new values, and the state frame's field and value."""
    match kind:
        case "seen":
            return [N.seen_at.is_(None)], {"seen_at": _seen(now)}, "seen", True
        case "archive":
            return [N.archived_at.is_(None)], {"archived_at": now}, "archived", True
        case "unarchive":
            return [N.archived_at.is_not(None)], {"archived_at": None}, "archived", False
        case _:  # snooze
            return [], {"snoozed_until": until}, "snoozed_until", until and until.isoformat()


def change(session: Session, reader_row_id: int, kind: Kind, ids: list[uuid.UUID] | None,
           until: datetime | None = None) -> list[ServerFrame]:
    """Apply ``kind`` to the reader's notifications (all when ``ids`` is None); returns the
    frames for every tab of the reader."""
    now = datetime.now(UTC)
    frames: list[ServerFrame] = []
    value: object
    if kind == "read":
        moved = lifecycle.mark_read(session, reader_row_id, ids)
        rows = (changes.apply(session, [lifecycle.by_ids(map(uuid.UUID, moved))],
                              seen_at=_seen(now)) if moved else [])
        field, value = "read", True
        if moved:
            frames.append({"type": "read", "ids": moved})  # what older clients know
    else:
        condition, values, field, value = _rule(kind, now, until)
        where = [N.reader_id == reader_row_id, N.deleted_at.is_(None), *condition]
        if ids is not None:
            where.append(lifecycle.by_ids(ids))
        rows = changes.apply(session, where, **values)
    if rows:
        frames.insert(0, cast(StateFrame, {"type": "state", "ids": [str(r.id) for r in rows],
                                           field: value, "change": max(r.change for r in rows)}))
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
