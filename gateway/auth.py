"""Who is on the other end: a tenant by its publishable key, a reader by their JWT."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.core.errors import Unauthorized
from backend.db.models import User
from backend.tenants.accounts import KeyCache, tenant_for_key
from backend.tenants.readers import ensure_readers
from backend.tenants.tokens import ASYMMETRIC, TokenError, verify_token
from gateway.blocking import Blocking


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
    origins: frozenset[str] = frozenset()  # browser origins allowed to call the REST inbox


@dataclass(frozen=True)
class Reader:
    tenant_id: uuid.UUID
    external_id: str  # the product's own user id (the token's ``sub``)
    row_id: int  # Herald's row id of the reader (``users.id``); 0 until looked up
    expires_at: float

    @property
    def key(self) -> tuple[str, str]:
        return (str(self.tenant_id), self.external_id)


def _lookup_tenant(session: Session, api_key: str) -> TenantKey | None:
    tenant = tenant_for_key(session, api_key, "publishable")
    if tenant is None:
        return None
    origins = frozenset(tenant.allowed_origins)
    if tenant.jwt_algorithm in ASYMMETRIC and tenant.jwt_public_key:
        return TenantKey(tenant.id, tenant.jwt_algorithm, tenant.jwt_public_key, origins)
    return TenantKey(tenant.id, "HS256", tenant.signing_secret, origins)


class Authenticator:
    """Resolves publishable keys (remembered briefly) and readers' tokens for one node."""

    def __init__(self, blocking: Blocking) -> None:
        self.blocking = blocking
        self.tenants: KeyCache[TenantKey] = KeyCache()

    async def tenant(self, api_key: str | None) -> TenantKey:
        if not api_key:
            raise AuthError("missing publishable key (api_key query parameter or X-API-Key "
                            "header)")
        if (cached := self.tenants.get(api_key)) is not None:
            return cached
        tenant = await self.blocking.read(_lookup_tenant, api_key)
        if tenant is None:
            raise AuthError("invalid publishable key")
        return self.tenants.put(api_key, tenant)

    @staticmethod
    def claims(tenant: TenantKey, token: object) -> Reader:
        """The reader a token names, without its row (row ids start at 1; 0 is none yet): a
        socket looks the row up with the reader's state in one statement (``recovery``)."""
        if not token or not isinstance(token, str):
            raise AuthError("missing token")
        try:
            claims = verify_token(token, tenant.verify_key, tenant.algorithm)
        except TokenError as exc:
            raise AuthError(str(exc)) from exc
        return Reader(tenant.tenant_id, claims["sub"], 0, float(claims["exp"]))

    async def reader(self, tenant: TenantKey, token: object) -> Reader:
        reader = self.claims(tenant, token)
        row_id = await self.blocking.read(_reader_row, tenant.tenant_id, reader.external_id)
        return replace(reader, row_id=row_id)

    async def authenticate(self, api_key: str | None, token: object
                           ) -> tuple[TenantKey, Reader]:
        tenant = await self.tenant(api_key)
        return tenant, await self.reader(tenant, token)


def _reader_row(session: Session, tenant_id: uuid.UUID, external_id: str) -> int:
    """One SELECT for a reader seen before (a reconnect); created on first sight."""
    found = session.scalar(select(User.id).where(User.tenant_id == tenant_id,
                                                 User.external_id == external_id))
    return found or ensure_readers(session, tenant_id, [external_id])[external_id].id
