"""``/internal/push``: workers hand notification frames to the readers' open sockets."""

from __future__ import annotations

import secrets
from typing import Annotated, cast

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import Response

from backend.core import fast_json
from backend.core.errors import InvalidInput, Unauthorized
from backend.core.metrics import GATEWAY_PUSHED
from backend.notifications.frames import NotificationFrame
from backend.notifications.messages import PushItem
from gateway.node import Node, node_of

router = APIRouter(prefix="/internal", tags=["internal"], include_in_schema=False)
NodeDep = Annotated[Node, Depends(node_of)]


def require_internal_key(node: NodeDep,
                         x_internal_key: Annotated[str | None, Header()] = None) -> None:
    expected = node.settings.require_internal_key()
    if not x_internal_key or not secrets.compare_digest(x_internal_key, expected):
        raise Unauthorized("invalid internal key")


MAX_ITEMS = 10_000


def parse_items(body: object) -> list[PushItem]:
    """``{"items": [{"tenant_id", "external_id", "frame"}, ...]}`` from a worker: checked in
    one pass over the decoded JSON (no model per item: a push carries thousands), each fault
    named by its place."""
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list) or not 0 < len(items) <= MAX_ITEMS:
        raise InvalidInput(f"items must be a list of 1 to {MAX_ITEMS} push items",
                           ["body", "items"])
    parsed = []
    for index, item in enumerate(items):
        where: list[str | int] = ["body", "items", index]
        if not isinstance(item, dict):
            raise InvalidInput("a push item must be an object", where)
        tenant_id, external_id, frame = (item.get("tenant_id"), item.get("external_id"),
                                         item.get("frame"))
        if not isinstance(tenant_id, str) or not isinstance(external_id, str):
            raise InvalidInput("tenant_id and external_id must be strings", where)
        if not isinstance(frame, dict) or not isinstance(frame.get("id"), str):
            raise InvalidInput("frame must be an object with a string id", [*where, "frame"])
        traceparent = item.get("traceparent")
        parsed.append(PushItem(tenant_id, external_id, cast(NotificationFrame, frame),
                               traceparent if isinstance(traceparent, str) else None))
    return parsed


@router.post("/push", dependencies=[Depends(require_internal_key)])
async def receive_push(request: Request, node: NodeDep) -> Response:
    """Offer each frame to its reader's sockets on every node; says per notification whether
    any socket took it: ``{"results": [{"id", "delivered"}, ...]}`` (built as plain JSON: a
    model per result was a tenth of the gateway's time under load)."""
    try:
        body = fast_json.loads(await request.body())
    except ValueError as exc:
        raise InvalidInput(f"body is not JSON: {exc}") from exc
    taken = await node.routing.deliver(parse_items(body))
    delivered = sum(taken.values())
    GATEWAY_PUSHED.labels(taken="true").inc(delivered)
    GATEWAY_PUSHED.labels(taken="false").inc(len(taken) - delivered)
    return Response(fast_json.dumps({"results": [{"id": nid, "delivered": ok}
                                                 for nid, ok in taken.items()]}),
                    media_type="application/json")
