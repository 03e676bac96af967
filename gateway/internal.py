"""``/internal/push``: workers hand notification frames to the readers' open sockets."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header
from pydantic import BaseModel, Field

from backend.core.errors import Unauthorized
from backend.core.metrics import GATEWAY_PUSHED
from backend.notifications.messages import PushItem
from gateway.node import Node, node_of

router = APIRouter(prefix="/internal", tags=["internal"], include_in_schema=False)
NodeDep = Annotated[Node, Depends(node_of)]


def require_internal_key(node: NodeDep,
                         x_internal_key: Annotated[str | None, Header()] = None) -> None:
    expected = node.settings.require_internal_key()
    if not x_internal_key or not secrets.compare_digest(x_internal_key, expected):
        raise Unauthorized("invalid internal key")


class PushItemIn(BaseModel):
    tenant_id: str
    external_id: str
    frame: dict[str, Any]


class PushRequest(BaseModel):
    items: Annotated[list[PushItemIn], Field(max_length=10_000)]


class PushResult(BaseModel):
    id: str
    delivered: bool


class PushResponse(BaseModel):
    results: list[PushResult]


@router.post("/push", dependencies=[Depends(require_internal_key)])
async def receive_push(body: PushRequest, node: NodeDep) -> PushResponse:
    """Offer each frame to its reader's sockets on every node; says per notification whether
    any socket took it."""
    items = [PushItem(i.tenant_id, i.external_id, i.frame) for i in body.items]
    taken = await node.routing.deliver(items)
    for ok in taken.values():
        GATEWAY_PUSHED.labels(taken=str(ok).lower()).inc()
    return PushResponse(results=[PushResult(id=nid, delivered=ok) for nid, ok in taken.items()])
