"""Liveness, readiness and metrics."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from backend.api.deps import RedisDep, SessionDep
from backend.core import metrics as herald_metrics
from backend.core.errors import Unavailable

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(session: SessionDep, redis: RedisDep) -> dict[str, str]:
    """Redis and PostgreSQL both answer."""
    try:
        redis.ping()
        session.execute(text("SELECT 1"))
    except Exception as exc:
        raise Unavailable(f"not ready: {exc}") from exc
    return {"status": "ready"}


@router.get("/metrics")
def metrics() -> Response:
    """Prometheus metrics of the API (a worker and a gateway export their own)."""
    return Response(generate_latest(herald_metrics.API), media_type=CONTENT_TYPE_LATEST)
