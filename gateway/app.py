"""The browser-facing gateway (port 8001): WebSocket, REST inbox, push API, client, demo."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from backend.config import get_settings
from backend.metrics import GATEWAY_SOCKETS
from backend.redis_client import get_async_redis
from gateway import demo, inbox, internal, ws
from gateway.hub import hub
from gateway.routing import routing

STATIC = Path(__file__).parent / "static"


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    await routing.start(get_async_redis(), get_settings())
    try:
        yield
    finally:
        await routing.stop()


def create_app() -> FastAPI:
    app = FastAPI(
        lifespan=lifespan,
        title="Herald gateway",
        version="0.1.0",
        description="Readers' WebSocket (`/ws`) and REST inbox. Authenticate with the tenant's "
        "publishable key and the reader's JWT.",
    )
    app.include_router(ws.router)
    app.include_router(inbox.router)
    app.include_router(internal.router)
    app.include_router(demo.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    GATEWAY_SOCKETS.set_function(hub.count)

    @app.get("/metrics", tags=["health"])
    def metrics() -> Response:
        """Prometheus metrics of this node."""
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, object]:
        """The process is up; how many sockets it holds."""
        return {"status": "ok", "sockets": hub.count()}

    return app


app = create_app()
