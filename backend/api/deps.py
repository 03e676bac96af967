"""Dependencies shared by the service API's routes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

import redis
from fastapi import Depends, Header, HTTPException, status
from sqlalchemy.orm import Session

from backend.config import Settings, get_settings
from backend.db import session_scope
from backend.models import Tenant
from backend.redis_client import get_redis
from backend.tenants import KeyCache, tenant_for_key

_tenants: KeyCache[Tenant] = KeyCache()


def get_session() -> Iterator[Session]:
    with session_scope() as session:
        yield session


# scope="function": the transaction commits before the response leaves, so a 2xx means the
# write is durable and the very next request sees it.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
RedisDep = Annotated[redis.Redis, Depends(get_redis)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, message, {"WWW-Authenticate": "ApiKey"})


def current_tenant(
    session: SessionDep,
    x_api_key: Annotated[str | None, Header(description="The tenant's secret key")] = None,
) -> Tenant:
    if not x_api_key:
        raise _unauthorized("missing X-API-Key header")
    if (cached := _tenants.get(x_api_key)) is not None:
        return cached
    tenant = tenant_for_key(session, x_api_key, "secret")
    if tenant is None:
        raise _unauthorized("invalid API key")
    session.expunge(tenant)
    return _tenants.put(x_api_key, tenant)


TenantDep = Annotated[Tenant, Depends(current_tenant)]
