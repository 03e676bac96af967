"""Read state changes, told to every socket of the reader (other tabs update their badge)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from backend.notifications import inbox, lifecycle
from gateway.auth import Reader

if TYPE_CHECKING:
    from gateway.node import Node


def _read(session: Session, reader_row_id: int, ids: list[uuid.UUID] | None
          ) -> tuple[list[str], int]:
    changed = lifecycle.mark_read(session, reader_row_id, ids)
    return changed, inbox.unread_count(session, reader_row_id)


async def mark_read(node: Node, reader: Reader, ids: list[uuid.UUID] | None
                    ) -> tuple[list[str], int]:
    """Mark read (all when ``ids`` is None); returns the ids changed and the unread count."""
    changed, unread = await node.blocking.in_session(_read, reader.row_id, ids)
    if changed:
        await node.routing.broadcast(reader.key, {"type": "read", "ids": changed})
    await node.routing.broadcast(reader.key, {"type": "unread", "count": unread})
    return changed, unread
