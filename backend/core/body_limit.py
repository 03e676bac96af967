"""A cap on request bodies for both apps: refused with 413 before the app reads the body,
whether the client announces its length or streams it chunked. Workers' pushes to a gateway
(a whole batch of frames) carry the internal key, and get a larger cap."""

from __future__ import annotations

import asyncio
import contextlib
import hmac

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.core import http_errors
from backend.core.errors import TooLarge


def too_large(limit: int) -> str:
    return f"request body is larger than {limit:,} bytes (HERALD_MAX_REQUEST_BYTES)"


INTERNAL_MAX_BYTES = 64 * 1024 * 1024


# A refused body is read and thrown away before the answer (as nginx's lingering close does):
# closing with it unread makes the kernel reset the connection, and clients that write the
# whole body before reading (urllib, requests, async httpx) lose the answer. Bounded.
DRAIN_MAX_BYTES = 64 * 1024 * 1024
DRAIN_MAX_SECONDS = 5.0


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int, internal_key: str | None = None) -> None:
        self.app, self.max_bytes, self.internal_key = app, max_bytes, internal_key

    def _limit(self, headers: dict[bytes, bytes]) -> int:
        given = headers.get(b"x-internal-key", b"")
        if self.internal_key and given and hmac.compare_digest(given,
                                                                self.internal_key.encode()):
            return INTERNAL_MAX_BYTES
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        limit = self._limit(headers)
        length = headers.get(b"content-length")
        if length is not None and length.isdigit():
            if int(length) <= limit:
                await self.app(scope, receive, send)
            elif headers.get(b"expect", b"").lower() == b"100-continue":
                await _refuse(limit, scope, receive, send)  # the body was never sent
            else:
                await _refuse(limit, scope, await _drained(receive), send)
            return
        if b"chunked" not in headers.get(b"transfer-encoding", b"").lower():
            await self.app(scope, receive, send)
            return
        # Streamed: read up to the limit first, so that an answer can still be a 413.
        body, more, seen = [], True, 0
        while more and seen <= limit:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            body.append(message)
            seen += len(message.get("body", b""))
            more = message.get("more_body", False)
        if seen > limit:
            await _refuse(limit, scope, await _drained(receive) if more else receive, send)
            return
        await self.app(scope, _replay(body, receive), send)


async def _refuse(limit: int, scope: Scope, receive: Receive, send: Send) -> None:
    response = http_errors.answer(TooLarge(too_large(limit)))
    response.headers["connection"] = "close"
    await response(scope, receive, send)


async def _drained(receive: Receive) -> Receive:
    """Read and discard the rest of a body (bounded in bytes and time); the receive to go on
    with."""
    thrown = 0
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(DRAIN_MAX_SECONDS):
            while thrown <= DRAIN_MAX_BYTES:
                message = await receive()
                thrown += len(message.get("body", b""))
                if message["type"] != "http.request" or not message.get("more_body", False):
                    break
    return receive


def _replay(messages: list[Message], receive: Receive) -> Receive:
    queued = list(messages)

    async def replayed() -> Message:
        return queued.pop(0) if queued else await receive()

    return replayed
