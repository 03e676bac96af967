"""One reader's socket: a bounded send queue, and frames in seq order with no gap or repeat."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from fastapi import WebSocket
from sqlalchemy.orm import Session

from backend import store
from backend.metrics import GATEWAY_CLOSED_SLOW
from gateway.auth import Reader, TenantKey
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
    def __init__(self, websocket: WebSocket, tenant: TenantKey, reader: Reader,
                 queue_size: int) -> None:
        self.websocket = websocket
        self.tenant = tenant
        self.reader = reader
        self.expires_at = reader.expires_at
        self.renewed = asyncio.Event()
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=queue_size)
        self.next_seq = 1  # the seq the client must see next; set at welcome
        self.overflowed = asyncio.Event()

    def renew(self, expires_at: float) -> None:
        self.expires_at = expires_at
        self.renewed.set()

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

    async def replay(self, since: int, until: int | None = None) -> None:
        """Send what is stored after ``since`` (up to ``until``), page by page, in order."""
        while (until is None or since < until) and (
                frames := await in_session(_page, self.reader.row_id, since, until)):
            for frame in frames:
                await self._send_notification(frame)
            since = frames[-1]["seq"]

    async def _send_notification(self, frame: dict[str, Any]) -> None:
        seq = frame["seq"]
        if seq < self.next_seq:
            return  # already sent: a replayed or re-pushed duplicate
        if seq > self.next_seq:
            # Pushed ahead of an earlier one: the missing seqs are already stored.
            await self.replay(self.next_seq - 1, seq - 1)
            if seq < self.next_seq:
                return
        await self.websocket.send_json(frame)
        self.next_seq = seq + 1

    async def send_loop(self) -> None:
        while True:
            frame = await self.queue.get()
            if frame["type"] == "notification":
                await self._send_notification(frame)
            elif frame["type"] == "_resync":
                # The client saw a hole: rewind to what it holds and replay from there.
                self.next_seq = min(self.next_seq, frame["since"] + 1)
                await self.replay(frame["since"])
            else:
                await self.websocket.send_json(frame)

    async def watch_overflow(self) -> None:
        await self.overflowed.wait()
        logger.warning("closing %s: send queue full", self.reader.key)
        GATEWAY_CLOSED_SLOW.inc()
        await self.websocket.close(CLOSE_TOO_SLOW, "client too slow: send queue full")

    async def watch_token(self, grace_seconds: float) -> None:
        """On expiry: warn, then close 4403 unless a fresh auth frame arrives in time."""
        while True:
            remaining = self.expires_at - time.time()
            if remaining > 0:
                await asyncio.sleep(remaining)
                continue
            self.renewed.clear()
            self.offer({"type": "error", "code": "token_expired",
                        "message": f"send a fresh auth frame within {grace_seconds:g} s"})
            try:
                await asyncio.wait_for(self.renewed.wait(), grace_seconds)
            except TimeoutError:
                await self.websocket.close(4403, "token expired")
                return
