"""Who is on the other end: a tenant by its publishable key, a reader by their JWT."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from backend.core.errors import Unauthorized
from backend.tenants.accounts import tenant_for_key
from backend.tenants.readers import ensure_readers
from backend.tenants.tokens import ASYMMETRIC, TokenError, verify_token

if TYPE_CHECKING:
    from gateway.node import Node


class AuthError(Unauthorized):
    """Credentials were missing or refused; the message is safe to show the client."""

    challenge = "Bearer"

    @property
    def reason(self) -> str:
        return str(self)


@dataclass(frozen=True)
class TenantKey:
    tenant_id: uuid.UUID
    algorithm: str
    verify_key: str  # the HS256 secret, or the tenant's RS256/ES256 public key


@dataclass(frozen=True)
class Reader:
    tenant_id: uuid.UUID
    external_id: str  # the product's own user id (the token's ``sub``)
    row_id: int  # Herald's row id of the reader (``users.id``)
    expires_at: float

    @property
    def key(self) -> tuple[str, str]:
        return (str(self.tenant_id), self.external_id)


def _lookup_tenant(session: Session, api_key: str) -> TenantKey | None:
    tenant = tenant_for_key(session, api_key, "publishable")
    if tenant is None:
        return None
    if tenant.jwt_algorithm in ASYMMETRIC and tenant.jwt_public_key:
        return TenantKey(tenant.id, tenant.jwt_algorithm, tenant.jwt_public_key)
    return TenantKey(tenant.id, "HS256", tenant.signing_secret)


async def tenant_for_publishable_key(node: Node, api_key: str | None) -> TenantKey:
    if not api_key:
        raise AuthError("missing publishable key (api_key query parameter or X-API-Key header)")
    if (cached := node.tenants.get(api_key)) is not None:
        return cached
    tenant = await node.blocking.in_session(_lookup_tenant, api_key)
    if tenant is None:
        raise AuthError("invalid publishable key")
    return node.tenants.put(api_key, tenant)


def _reader_row(session: Session, tenant_id: uuid.UUID, external_id: str) -> int:
    return ensure_readers(session, tenant_id, [external_id])[external_id].id


async def authenticate_token(node: Node, tenant: TenantKey, token: object) -> Reader:
    if not token or not isinstance(token, str):
        raise AuthError("missing token")
    try:
        claims = verify_token(token, tenant.verify_key, tenant.algorithm)
    except TokenError as exc:
        raise AuthError(str(exc)) from exc
    row_id = await node.blocking.in_session(_reader_row, tenant.tenant_id, claims["sub"])
    return Reader(tenant.tenant_id, claims["sub"], row_id, float(claims["exp"]))


async def authenticate(node: Node, api_key: str | None, token: object
                       ) -> tuple[TenantKey, Reader]:
    tenant = await tenant_for_publishable_key(node, api_key)
    return tenant, await authenticate_token(node, tenant, token)
