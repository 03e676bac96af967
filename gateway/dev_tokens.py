"""``GET /v1/me/dev-token``: a reader token for the demo tenant, for trying herald.js before
your backend mints tokens. Off unless ``HERALD_DEV_TOKENS`` (``herald up`` turns it on when
it runs the embedded servers); only ever for the tenant in ``data_dir/demo-tenant.json``."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from pydantic import BaseModel

from backend.core.errors import Forbidden, NotFound
from backend.core.validation import UserId
from backend.tenants.tokens import issue_token
from gateway.node import node_of

router = APIRouter(prefix="/v1/me", tags=["inbox"])
TTL_SECONDS = 3600


class DevToken(BaseModel):
    token: str
    user: str
    expires_in: int


def _demo_tenant_id(request: Request) -> str | None:
    path = node_of(request).settings.data_dir / "demo-tenant.json"
    try:
        return str(json.loads(path.read_text())["tenant_id"])
    except (OSError, ValueError, KeyError):
        return None


@router.get("/dev-token", include_in_schema=False)
async def dev_token(
    request: Request, user: Annotated[UserId, Query(description="the reader's user id")],
    x_api_key: Annotated[str | None, Header()] = None,
    api_key: Annotated[str | None, Query()] = None,
) -> DevToken:
    """A token for ``user`` of the demo tenant (development only)."""
    node = node_of(request)
    if not node.settings.dev_tokens:
        raise NotFound("development tokens are off (HERALD_DEV_TOKENS): your backend mints "
                       "reader tokens (POST /v1/tokens, or signs them with the tenant's "
                       "signing secret)")
    tenant = await node.auth.tenant(x_api_key or api_key)
    if str(tenant.tenant_id) != _demo_tenant_id(request) or tenant.algorithm != "HS256":
        raise Forbidden("development tokens are for the demo tenant only")
    token = issue_token(user, tenant.verify_key, TTL_SECONDS)
    return DevToken(token=token, user=user, expires_in=TTL_SECONDS)
