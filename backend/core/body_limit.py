"""A cap on request bodies for both apps: refused with 413 before the body is read whole,
whether the client announces its length or streams it chunked. Workers' pushes to a gateway
(a whole batch of frames) carry the internal key, and get a larger cap."""

from __future__ import annotations

import hmac

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.core import http_errors
from backend.core.errors import TooLarge


def too_large(limit: int) -> str:
    return f"request body is larger than {limit:,} bytes (HERALD_MAX_REQUEST_BYTES)"


INTERNAL_MAX_BYTES = 64 * 1024 * 1024


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
        if length is not None and length.isdigit() and int(length) > limit:
            # Answered before the body is read; the connection closes, the rest is not read.
            response = http_errors.answer(TooLarge(too_large(limit)))
            response.headers["connection"] = "close"
            await response(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise TooLarge(too_large(limit))  # rendered by the app's handler
            return message

        await self.app(scope, counted, send)
