"""The browser-facing gateway (port 8001): WebSocket, REST inbox, push API, client, demo."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline

from backend.core import collector, http_errors, openapi_examples, tracing
from backend.core.body_limit import BodyLimit
from backend.core.config import Settings, get_settings
from backend.core.metrics import GATEWAY_SOCKETS
from gateway import demo, dev_tokens, health, inbox, internal, ws
from gateway.cors import Cors
from gateway.direct_ws import DirectWebSocket
from gateway.examples import EXAMPLES
from gateway.node import Node

STATIC = Path(__file__).parent / "static"


def create_server() -> DirectWebSocket:
    """What ``herald gateway`` serves: the app, with ``/ws`` taken before any of its
    middleware (Starlette's and FastAPI's own too), so that none of them holds a coroutine
    of every socket for the socket's life."""
    return DirectWebSocket(create_app())


def create_app(settings: Settings | None = None) -> FastAPI:
    """The gateway, with its node (database, Redis, sockets, routing) made in its lifespan."""

    resolved = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        node = Node.build(resolved)
        app.state.node = node
        GATEWAY_SOCKETS.set_function(node.hub.count)
        await node.start()
        collector.settle(resolved)
        try:
            yield
        finally:
            await node.stop()

    # Swagger UI and ReDoc from the fastapi-offline package: /docs works with no internet.
    app = FastAPIOffline(
        lifespan=lifespan,
        title="Herald gateway",
        version="0.1.0",
        description="Readers' WebSocket (`/ws`) and REST inbox. Authenticate with the tenant's "
        "publishable key and the reader's JWT.",
    )
    http_errors.install(app)
    app.add_middleware(BodyLimit, max_bytes=resolved.max_request_bytes,
                       internal_key=resolved.internal_key)
    app.add_middleware(Cors, global_origins=resolved.cors_allowed_origins)
    app.include_router(ws.router)
    app.include_router(inbox.router)
    app.include_router(internal.router)
    app.include_router(demo.router)
    app.include_router(dev_tokens.router)
    app.include_router(health.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    openapi_examples.install(app, EXAMPLES)
    tracing.setup("gateway", app, instrument=("sqlalchemy",))
    return app
