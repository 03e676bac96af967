"""The service-facing API (port 8000): products send notifications here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from backend.api.deps import Services
from backend.api.examples import EXAMPLES
from backend.api.routes import (
    dead_letters,
    health,
    notifications,
    preferences,
    schedules,
    templates,
    tenant,
    tokens,
    topics,
    users,
    webhooks,
)
from backend.core import collector, http_errors, openapi_examples, tracing
from backend.core.body_limit import BodyLimit
from backend.core.config import Settings, get_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app, with its database and Redis made in its lifespan from ``settings`` (by
    default this process's)."""

    resolved = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = Services.build(resolved)
        app.state.services = services
        collector.settle(resolved)
        try:
            yield
        finally:
            services.close()

    # Swagger UI and ReDoc from the fastapi-offline package: /docs works with no internet.
    app = FastAPIOffline(
        lifespan=lifespan,
        title="Herald service API",
        version="0.1.0",
        description="Send notifications, manage readers and mint browser tokens. "
        "Authenticate with your tenant's secret key in `X-API-Key`.",
    )
    http_errors.install(app)
    app.add_middleware(BodyLimit, max_bytes=resolved.max_request_bytes)
    for module in (notifications, topics, templates, schedules, users, preferences, tokens,
                   webhooks, dead_letters, tenant, health):
        app.include_router(module.router)
    openapi_examples.install(app, EXAMPLES)
    tracing.setup("api", app, instrument=("redis", "sqlalchemy"))
    return app
