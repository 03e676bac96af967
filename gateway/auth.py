"""Who is on the other end: a tenant by its publishable key, a reader by their JWT."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from backend.errors import HeraldError
from backend.readers import ensure_readers
from backend.security import ASYMMETRIC, TokenError, verify_token
from backend.tenants import KeyCache, tenant_for_key
from gateway.blocking import in_session


class AuthError(HeraldError):
    """Credentials were missing or refused; ``reason`` is safe to show the client."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class TenantKey:
    tenant_id: uuid.UUID
    algorithm: str
    verify_key: str  # the HS256 secret, or the tenant's RS256/ES256 public key


@dataclass(frozen=True)
class Reader:
    tenant_id: uuid.UUID
    user_id: str  # the product's own id
    row_id: int
    expires_at: float

    @property
    def key(self) -> tuple[str, str]:
        return (str(self.tenant_id), self.user_id)


_tenants: KeyCache[TenantKey] = KeyCache()


def _lookup_tenant(session: Session, api_key: str) -> TenantKey | None:
    tenant = tenant_for_key(session, api_key, "publishable")
    if tenant is None:
        return None
    if tenant.jwt_algorithm in ASYMMETRIC and tenant.jwt_public_key:
        return TenantKey(tenant.id, tenant.jwt_algorithm, tenant.jwt_public_key)
    return TenantKey(tenant.id, "HS256", tenant.signing_secret)


async def tenant_for_publishable_key(api_key: str | None) -> TenantKey:
    if not api_key:
        raise AuthError("missing publishable key (api_key query parameter or X-API-Key header)")
    if (cached := _tenants.get(api_key)) is not None:
        return cached
    tenant = await in_session(_lookup_tenant, api_key)
    if tenant is None:
        raise AuthError("invalid publishable key")
    return _tenants.put(api_key, tenant)


def _reader_row(session: Session, tenant_id: uuid.UUID, user_id: str) -> int:
    return ensure_readers(session, tenant_id, [user_id])[user_id].id


async def authenticate_token(tenant: TenantKey, token: object) -> Reader:
    if not token or not isinstance(token, str):
        raise AuthError("missing token")
    try:
        claims = verify_token(token, tenant.verify_key, tenant.algorithm)
    except TokenError as exc:
        raise AuthError(str(exc)) from exc
    row_id = await in_session(_reader_row, tenant.tenant_id, claims["sub"])
    return Reader(tenant.tenant_id, claims["sub"], row_id, float(claims["exp"]))


async def authenticate(api_key: str | None, token: object) -> tuple[TenantKey, Reader]:
    tenant = await tenant_for_publishable_key(api_key)
    return tenant, await authenticate_token(tenant, token)
