"""uvicorn's HTTP protocol with deadlines for each request's head and body: a client that
opens a connection and sends its headers or its body a byte at a time (slowloris, slow POST)
is disconnected, so a few hundred such connections cannot hold a server's sockets."""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class HeadDeadline(HttpToolsProtocol):
    head_timeout_seconds = 10.0
    body_timeout_seconds = 30.0
    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._head_timer is None:  # the next request on a kept-alive connection
            self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()
        if not (self.parser.should_upgrade() and self._should_upgrade()):  # a WebSocket's own
            self._arm(self.body_timeout_seconds)  # until the whole body is in

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self, seconds: float | None = None) -> None:
        self._head_timer = self.loop.call_later(seconds or self.head_timeout_seconds,
                                                self._too_slow)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _too_slow(self) -> None:
        self._head_timer = None
        if not self.transport.is_closing():
            self.transport.close()


def with_deadlines(head_seconds: float, body_seconds: float) -> type[HeadDeadline]:
    return type("DeadlineProtocol", (HeadDeadline,), {"head_timeout_seconds": head_seconds,
                                                      "body_timeout_seconds": body_seconds})
