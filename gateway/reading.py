"""Read state changes, told to every socket of the reader (other tabs update their badge)."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from backend import store
from gateway.auth import Reader
from gateway.blocking import in_session
from gateway.routing import routing


def _read(session: Session, user_id: int, ids: list[uuid.UUID] | None) -> tuple[list[str], int]:
    changed = store.mark_read(session, user_id, ids)
    return changed, store.unread_count(session, user_id)


async def mark_read(reader: Reader, ids: list[uuid.UUID] | None) -> tuple[list[str], int]:
    """Mark read (all when ``ids`` is None); returns the ids changed and the unread count."""
    changed, unread = await in_session(_read, reader.row_id, ids)
    if changed:
        await routing.broadcast(reader.key, {"type": "read", "ids": changed})
    await routing.broadcast(reader.key, {"type": "unread", "count": unread})
    return changed, unread
