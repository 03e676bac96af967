"""One reader's socket: a bounded send queue, and frames in seq order with no gap or repeat."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from fastapi import WebSocket
from sqlalchemy.orm import Session

from backend.core import tracing
from backend.core.metrics import GATEWAY_CLOSED_SLOW
from backend.notifications import frames, inbox
from backend.notifications.frames import StoredFrame
from gateway import delivered
from gateway.auth import Reader, TenantKey
from gateway.close_codes import Close
from gateway.direct_write import DirectWriter
from gateway.outbox import Outbox
from gateway.rate_limit import RateLimit
from gateway.recovery import REPLAY_PAGE
from gateway.sequence import Full, Phase, Sequence

if TYPE_CHECKING:
    from gateway.node import Node

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Resync:
    """The client saw a hole: rewind to what it holds and replay from there, in order with
    the frames queued before this."""

    since: int


Outgoing = Mapping[str, Any] | Resync


def _changes(session: Session, reader_row_id: int, after: tuple[int, int], through_seq: int
             ) -> list[StoredFrame]:
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
        # Starlette keeps the server's ASGI ``send`` as ``_send``: uvicorn's protocol method.
        self.direct = DirectWriter.for_socket(getattr(websocket, "_send", None))
        self.sequence = Sequence()
        self.budget: RateLimit | None = None  # made at its first frame that costs any
        self._timer: asyncio.TimerHandle | None = None
        self._closing: asyncio.Task[None] | None = None
        self._stop: Callable[[], object] = lambda: None

    @property
    def reader_key(self) -> tuple[str, str]:
        return self.reader.key

    def welcome(self, row_id: int, last_held: int) -> None:
        """The reader's row is known and the client holds every seq up to ``last_held``."""
        self.reader = replace(self.reader, row_id=row_id)
        self.sequence.welcome(last_held)

    def renew(self, expires_at: float) -> None:
        self.expires_at = expires_at
        if self._timer is not None:  # in the grace period: the warning is answered
            self._timer.cancel()
            self._token_due()

    def offer(self, item: Outgoing) -> bool:
        """Queue a frame without waiting (or write it at once when nothing is queued before
        it); a client too slow to keep up is dropped, not buffered."""
        if self.sequence.closing:
            return False
        if (self.direct is not None and self.outbox.idle and not isinstance(item, Resync)
                and self._write_now(item)):
            return True
        if self.outbox.put(item):
            return True
        seq = None if isinstance(item, Resync) or item.get("type") != "notification" \
            else item["seq"]
        if self.sequence.when_full(seq) is Full.OVERFLOW:
            self._overflow()
        return False

    def _write_now(self, frame: Mapping[str, Any]) -> bool:
        """The next notification of a live socket whose sender waits for work, written by the
        push that brought it; False leaves it to the sender (a gap to fill first, a replay
        running, a traced frame, a full write buffer)."""
        if frame.get("type") != "notification" or tracing.FRAME_KEY in frame:
            return False
        seq = frame["seq"]
        if self.sequence.phase is not Phase.LIVE or seq != self.sequence.next_seq:
            return False
        assert self.direct is not None
        if not self.direct.write(frame):
            return False
        self._sent(frame)
        return True

    def _sent(self, frame: Mapping[str, Any]) -> None:
        """The client has ``frame``: the sequence moves on, and it counts as delivered."""
        created = frame.get("created_at")
        self.sequence.sent(frame["seq"], created)
        if created:
            delivered.count(self.sequence.phase is Phase.CATCHING_UP,
                            frame.get("priority", "normal"), created)

    @contextlib.asynccontextmanager
    async def catching_up(self) -> AsyncIterator[None]:
        """While inside, a notification pushed into a full send queue is read from storage
        afterwards (it was stored before it was pushed) instead of closing the socket."""
        self.sequence.replay_started()
        try:
            yield
        finally:
            missed = self.sequence.replay_ended()
        if missed is not None:
            await self.replay(*missed)

    async def replay(self, since: int, until: int | None = None) -> None:
        """Send what is stored after ``since`` (up to ``until``), page by page, in order;
        then what was pushed meanwhile but found the send queue full."""
        async with self.catching_up():
            while (until is None or since < until) and (
                    page := await self.node.pages.get((self.reader.row_id, since, until))):
                for frame in page:
                    await self._send_notification(frame)
                since = page[-1]["seq"]

    async def replay_changes(self, change: int, through_seq: int) -> None:
        """Send, in change order, the edits, retractions and state changes made after
        ``change`` to notifications the client already holds (up to ``through_seq``)."""
        after = (change, through_seq)  # rows of change number ``change`` the client has
        while page := await self.node.blocking.read(_changes, self.reader.row_id, after,
                                                    through_seq):
            for frame in page:
                await self.websocket.send_json(frame)
            after = (page[-1]["change"], page[-1]["seq"])

    async def _send_notification(self, frame: Mapping[str, Any]) -> None:
        seq = frame["seq"]
        if (gap := self.sequence.gap_before(seq)) is not None:
            await self.replay(*gap)
        if not self.sequence.due(seq):
            return  # already sent: a replayed or re-pushed duplicate
        if tracing.FRAME_KEY in frame:
            await self._send_traced(frame)
        else:
            await self.websocket.send_json(frame)
        self._sent(frame)

    async def _send_traced(self, frame: Mapping[str, Any]) -> None:
        sent = {k: v for k, v in frame.items() if k != tracing.FRAME_KEY}
        with tracing.span("herald.gateway.frame", frame[tracing.FRAME_KEY],
                          {"herald.notification_id": str(frame["id"]), "herald.seq": frame["seq"]}):
            await self.websocket.send_json(sent)

    async def send_loop(self) -> None:
        while True:
            item = await self.outbox.get()
            if isinstance(item, Resync):
                self.sequence.rewind(item.since)
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
        self.sequence.close()

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
        self.offer(frames.error("token_expired",
                                f"send a fresh auth frame within {grace_seconds:g} s"))
        self._timer = loop.call_later(grace_seconds, self._grace_over)

    def _grace_over(self) -> None:
        if self.expires_at > time.time():
            self._token_due()  # renewed meanwhile
        else:
            self._close(Close.TOKEN_EXPIRED, "token expired")
