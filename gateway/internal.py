"""``/internal/push``: workers hand notification frames to the readers' open sockets."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, status
from pydantic import BaseModel, Field

from backend.config import get_settings
from backend.metrics import GATEWAY_PUSHED
from gateway.routing import routing

router = APIRouter(prefix="/internal", tags=["internal"], include_in_schema=False)


def require_internal_key(x_internal_key: Annotated[str | None, Header()] = None) -> None:
    expected = get_settings().require_internal_key()
    if not x_internal_key or not secrets.compare_digest(x_internal_key, expected):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "invalid internal key")


class PushItem(BaseModel):
    tenant_id: str
    user_id: str
    notification: dict[str, Any]


class PushRequest(BaseModel):
    items: Annotated[list[PushItem], Field(max_length=10_000)]


class PushResult(BaseModel):
    id: str
    delivered: bool


class PushResponse(BaseModel):
    results: list[PushResult]


@router.post("/push", dependencies=[Depends(require_internal_key)])
async def push(body: PushRequest) -> PushResponse:
    """Offer each frame to its reader's sockets on every node; says per notification whether
    any socket took it."""
    taken = await routing.push([item.model_dump() for item in body.items])
    for ok in taken.values():
        GATEWAY_PUSHED.labels(taken=str(ok).lower()).inc()
    return PushResponse(results=[PushResult(id=nid, delivered=ok) for nid, ok in taken.items()])
