"""``/ws`` straight to its endpoint, around the whole app. The HTTP middlewares (CORS, body
limits, exception handlers, the router) only pass a WebSocket scope through, but each is one
more coroutine held for the socket's life, and some wrap every ``send`` and ``receive`` on the
way: a share of the gateway's CPU and memory per socket. The endpoint handles its own errors
and closes."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

from gateway import ws


class DirectWebSocket:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and scope["path"] == ws.PATH:
            scope["app"] = self.app  # the node is found through the app's state
            await ws.websocket_endpoint(WebSocket(scope, receive, send))
        else:
            await self.app(scope, receive, send)
