"""Who is on the other end: a tenant by its publishable key, a reader by their JWT."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from backend.readers import ensure_readers
from backend.security import TokenError, verify_token
from backend.tenants import tenant_for_key
from gateway.blocking import in_session

_CACHE_SECONDS = 10.0


class AuthError(Exception):
    """Credentials were missing or refused; ``reason`` is safe to show the client."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class TenantKey:
    tenant_id: uuid.UUID
    signing_secret: str


@dataclass(frozen=True)
class Reader:
    tenant_id: uuid.UUID
    user_id: str  # the product's own id
    row_id: int
    expires_at: float

    @property
    def key(self) -> tuple[str, str]:
        return (str(self.tenant_id), self.user_id)


_tenants: dict[str, tuple[float, TenantKey]] = {}


def _lookup_tenant(session: Session, api_key: str) -> TenantKey | None:
    tenant = tenant_for_key(session, api_key, "publishable")
    return TenantKey(tenant.id, tenant.signing_secret) if tenant else None


async def tenant_for_publishable_key(api_key: str | None) -> TenantKey:
    if not api_key:
        raise AuthError("missing publishable key (api_key query parameter or X-API-Key header)")
    cached = _tenants.get(api_key)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    tenant = await in_session(_lookup_tenant, api_key)
    if tenant is None:
        raise AuthError("invalid publishable key")
    _tenants[api_key] = (time.monotonic() + _CACHE_SECONDS, tenant)
    return tenant


def _reader_row(session: Session, tenant_id: uuid.UUID, user_id: str) -> int:
    return ensure_readers(session, tenant_id, [user_id])[user_id].id


async def authenticate(api_key: str | None, token: str | None) -> Reader:
    tenant = await tenant_for_publishable_key(api_key)
    if not token:
        raise AuthError("missing token")
    try:
        claims = verify_token(token, tenant.signing_secret)
    except TokenError as exc:
        raise AuthError(str(exc)) from exc
    row_id = await in_session(_reader_row, tenant.tenant_id, claims["sub"])
    return Reader(tenant.tenant_id, claims["sub"], row_id, float(claims["exp"]))
