"""Inbox state changes a reader makes (read, seen, archive, snooze), told to every socket of
the reader on every node: other tabs update their badge and list."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from backend.notifications import states
from backend.notifications.frames import CountsFrame
from gateway.auth import Reader

if TYPE_CHECKING:
    from gateway.node import Node


async def change(node: Node, reader: Reader, kind: states.Kind, ids: list[uuid.UUID] | None,
                 until: datetime | None = None) -> CountsFrame:
    """Apply and broadcast; returns the ``counts`` frame (the last, ``states.change``)."""
    frames = await node.blocking.in_session(states.change, reader.row_id, kind, ids, until)
    await node.routing.broadcast(reader.key, frames)
    counts = frames[-1]
    assert counts["type"] == "counts"
    return counts
