"""The service-facing API (port 8000): products send notifications here."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError

from backend.api.routes import (
    dead_letters,
    health,
    notifications,
    preferences,
    schedules,
    templates,
    tokens,
    users,
)


def create_app() -> FastAPI:
    app = FastAPI(
        title="Herald service API",
        version="0.1.0",
        description="Send notifications, manage readers and mint browser tokens. "
        "Authenticate with your tenant's secret key in `X-API-Key`.",
    )
    @app.exception_handler(DataError)
    async def _data_error(_request: Request, exc: DataError) -> JSONResponse:
        # A value the database cannot hold: the transaction was rolled back, nothing changed.
        message = str(exc.orig).splitlines()[0] if exc.orig else "invalid value"
        return JSONResponse({"detail": [{"loc": ["body"], "msg": message,
                                         "type": "value_error"}]}, status_code=422)

    for module in (notifications, templates, schedules, users, preferences, tokens,
                   dead_letters, health):
        app.include_router(module.router)
    return app


app = create_app()
