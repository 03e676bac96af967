"""One reader's socket: a bounded send queue, and frames in seq order with no gap or repeat."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import WebSocket
from sqlalchemy.orm import Session

from backend import store
from gateway.auth import Reader
from gateway.blocking import in_session

logger = logging.getLogger(__name__)

CLOSE_TOO_SLOW = 4408
REPLAY_PAGE = 500


def _page(session: Session, user_id: int, since: int, until: int | None) -> list[dict]:
    """A page of stored frames; a replayed notification counts as delivered, like a push."""
    rows = store.after_seq(session, user_id, since, REPLAY_PAGE, until)
    store.mark_delivered(session, [n.id for n in rows], user_id)
    return [store.frame(n) for n in rows]


class Connection:
    def __init__(self, websocket: WebSocket, reader: Reader, queue_size: int) -> None:
        self.websocket = websocket
        self.reader = reader
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=queue_size)
        self.next_seq = 1  # the seq the client must see next; set at welcome
        self.overflowed = asyncio.Event()

    def offer(self, frame: dict[str, Any]) -> bool:
        """Queue a frame without waiting; a client too slow to keep up is dropped, not buffered."""
        if self.overflowed.is_set():
            return False
        try:
            self.queue.put_nowait(frame)
        except asyncio.QueueFull:
            self.overflowed.set()
            return False
        return True

    async def replay(self, since: int) -> None:
        """Send everything after ``since`` from the database, page by page."""
        while frames := await in_session(_page, self.reader.row_id, since, None):
            for frame in frames:
                await self._send_notification(frame)
            since = frames[-1]["seq"]

    async def _fill(self, until: int) -> None:
        """A push arrived ahead of an earlier one: the missing seqs are already stored."""
        since = self.next_seq - 1
        while since < until and (frames := await in_session(_page, self.reader.row_id, since,
                                                            until)):
            for frame in frames:
                await self._send_notification(frame)
            since = frames[-1]["seq"]

    async def _send_notification(self, frame: dict[str, Any]) -> None:
        seq = frame["seq"]
        if seq < self.next_seq:
            return  # already sent: a replayed or re-pushed duplicate
        if seq > self.next_seq:
            await self._fill(seq - 1)
            if seq < self.next_seq:
                return
        await self.websocket.send_json(frame)
        self.next_seq = seq + 1

    async def send_loop(self) -> None:
        while True:
            frame = await self.queue.get()
            if frame["type"] == "notification":
                await self._send_notification(frame)
            else:
                await self.websocket.send_json(frame)

    async def watch_overflow(self) -> None:
        await self.overflowed.wait()
        logger.warning("closing %s: send queue full", self.reader.key)
        await self.websocket.close(CLOSE_TOO_SLOW, "client too slow: send queue full")
