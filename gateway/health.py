"""Liveness, readiness and metrics of one gateway node."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.orm import Session

from backend.core import metrics as herald_metrics
from backend.core.errors import Unavailable
from gateway.node import Node, node_of

router = APIRouter(tags=["health"])
NodeDep = Annotated[Node, Depends(node_of)]


@router.get("/metrics")
def metrics() -> Response:
    """Prometheus metrics of this node (with ``HERALD_GATEWAY_PROCESSES`` above 1, of the
    process that answered)."""
    return Response(generate_latest(herald_metrics.GATEWAY), media_type=CONTENT_TYPE_LATEST)


@router.get("/healthz")
def healthz(node: NodeDep) -> dict[str, object]:
    """The process is up; how many sockets it holds."""
    return {"status": "ok", "sockets": node.hub.count()}


def _select_one(session: Session) -> None:
    session.execute(text("SELECT 1"))


@router.get("/readyz", responses={503: {"description": "Redis or PostgreSQL does not answer"}})
async def readyz(node: NodeDep) -> dict[str, str]:
    """Redis and PostgreSQL both answer: this node can authenticate readers and push."""
    try:
        await node.redis.ping()
        await node.blocking.in_session(_select_one)
    except Exception as exc:
        raise Unavailable(f"not ready: {type(exc).__name__}: {exc}") from exc
    return {"status": "ready"}
