"""One reader's socket: a bounded send queue, and frames in seq order with no gap or repeat."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from fastapi import WebSocket
from sqlalchemy.orm import Session

from backend.core.metrics import DELIVERED, DELIVERY_SECONDS, GATEWAY_CLOSED_SLOW
from backend.notifications import inbox
from gateway.auth import Reader, TenantKey
from gateway.close_codes import Close
from gateway.outbox import Outbox
from gateway.recovery import REPLAY_PAGE

if TYPE_CHECKING:
    from gateway.node import Node

logger = logging.getLogger(__name__)



def _count_delivered(frame: dict[str, Any], created: str, path: str) -> None:
    labels = {"path": path, "priority": frame.get("priority", "normal")}
    DELIVERED.labels(**labels).inc()
    accepted = datetime.fromisoformat(created).timestamp()
    DELIVERY_SECONDS.labels(**labels).observe(max(0.0, time.time() - accepted))


@dataclass(frozen=True)
class Resync:
    """The client saw a hole: rewind to what it holds and replay from there, in order with
    the frames queued before this."""

    since: int


Outgoing = dict[str, Any] | Resync


def _changes(session: Session, reader_row_id: int, after: tuple[int, int], through_seq: int
             ) -> list[dict[str, Any]]:
    rows = inbox.changed_after(session, reader_row_id, after, through_seq, REPLAY_PAGE)
    return [inbox.frame(n, "updated") for n in rows]


class Connection:
    def __init__(self, websocket: WebSocket, node: Node, tenant: TenantKey, reader: Reader
                 ) -> None:
        self.websocket = websocket
        self.node = node
        self.tenant = tenant
        self.reader = reader
        self.expires_at = reader.expires_at
        self.outbox: Outbox[Outgoing] = Outbox(node.settings.ws_send_queue_size)
        self.next_seq = 1  # the seq the client must see next; set at welcome
        self.acked = 0  # the highest seq this socket acknowledged
        self.oldest_unacked: str | None = None  # created_at of the oldest frame not acked
        self.overflowed = False
        self.replaying = 0  # how deep in replays (a replay may look into a gap within one)
        self.catch_up = 0  # the highest seq of pushes dropped while replaying (stored)
        self._timer: asyncio.TimerHandle | None = None
        self._closing: asyncio.Task[None] | None = None
        self._stop: Callable[[], object] = lambda: None

    @property
    def reader_key(self) -> tuple[str, str]:
        return self.reader.key

    def renew(self, expires_at: float) -> None:
        self.expires_at = expires_at
        if self._timer is not None:  # in the grace period: the warning is answered
            self._timer.cancel()
            self._token_due()

    def offer(self, item: Outgoing) -> bool:
        """Queue a frame without waiting; a client too slow to keep up is dropped, not buffered."""
        if self.overflowed:
            return False
        if not self.outbox.put(item):
            if isinstance(item, dict) and item.get("type") == "notification":
                if item["seq"] < self.next_seq:
                    return False  # a repeat of one it holds (a retry due while it was away)
                if self.replaying:
                    # Stored before it was pushed: read once the replay is done.
                    self.catch_up = max(self.catch_up, item["seq"])
                    return False
            self.overflowed = True
            self._overflow()
            return False
        return True

    @contextlib.asynccontextmanager
    async def catching_up(self) -> AsyncIterator[None]:
        """While inside, a notification pushed into a full send queue is read from storage
        afterwards (it was stored before it was pushed) instead of closing the socket."""
        self.replaying += 1
        try:
            yield
        finally:
            self.replaying -= 1
        if not self.replaying and self.catch_up >= self.next_seq:
            through, self.catch_up = self.catch_up, 0
            await self.replay(self.next_seq - 1, through)

    async def replay(self, since: int, until: int | None = None) -> None:
        """Send what is stored after ``since`` (up to ``until``), page by page, in order;
        then what was pushed meanwhile but found the send queue full."""
        async with self.catching_up():
            while (until is None or since < until) and (
                    frames := await self.node.pages.get((self.reader.row_id, since, until))):
                for frame in frames:
                    await self._send_notification(frame)
                since = frames[-1]["seq"]

    async def replay_changes(self, change: int, through_seq: int) -> None:
        """Send, in change order, the edits, retractions and state changes made after
        ``change`` to notifications the client already holds (up to ``through_seq``)."""
        after = (change, through_seq)  # rows of change number ``change`` the client has
        while frames := await self.node.blocking.read(_changes, self.reader.row_id, after,
                                                      through_seq):
            for frame in frames:
                await self.websocket.send_json(frame)
            after = (frames[-1]["change"], frames[-1]["seq"])

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
        created = frame.get("created_at")  # a retraction's frame has none: nothing to ack
        if created and (self.oldest_unacked is None or created < self.oldest_unacked):
            self.oldest_unacked = created
        if created:
            _count_delivered(frame, created, "replay" if self.replaying else "live")

    async def send_loop(self) -> None:
        while True:
            item = await self.outbox.get()
            if isinstance(item, Resync):
                self.next_seq = min(self.next_seq, item.since + 1)
                await self.replay(item.since)
            elif item["type"] == "notification":
                await self._send_notification(item)
            else:
                await self.websocket.send_json(item)

    # Watching: timers and a close on demand, not a task per watcher per socket (memory).
    def watch(self, stop: Callable[[], object]) -> None:
        """Start the token timer; ``stop`` ends the socket's loops (after a close we sent)."""
        self._stop = stop
        self._token_due()

    def unwatch(self) -> None:
        if self._timer is not None:
            self._timer.cancel()

    def _close(self, code: int, reason: str) -> None:
        """Close from a callback: one short task sends the close, then the loops stop."""
        if self._closing is not None:
            return

        async def close() -> None:
            try:
                await self.websocket.close(code, reason)
            except (RuntimeError, ConnectionError):
                pass  # already closed
            finally:
                self._stop()

        self._closing = asyncio.get_running_loop().create_task(close())

    def _overflow(self) -> None:
        logger.warning("closing %s: send queue full", self.reader.key)
        GATEWAY_CLOSED_SLOW.inc()
        self._close(Close.TOO_SLOW, "client too slow: send queue full")

    def _token_due(self) -> None:
        """On expiry: warn, then close 4403 unless a fresh auth frame arrives in time."""
        loop = asyncio.get_running_loop()
        remaining = self.expires_at - time.time()
        if remaining > 0:
            self._timer = loop.call_later(remaining, self._token_due)
            return
        grace_seconds = self.node.settings.ws_reauth_grace_seconds
        self.offer({"type": "error", "code": "token_expired",
                    "message": f"send a fresh auth frame within {grace_seconds:g} s"})
        self._timer = loop.call_later(grace_seconds, self._grace_over)

    def _grace_over(self) -> None:
        if self.expires_at > time.time():
            self._token_due()  # renewed meanwhile
        else:
            self._close(Close.TOKEN_EXPIRED, "token expired")
