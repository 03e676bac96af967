"""Tenants and their keys: creating them, and finding a tenant by one of its keys."""

from __future__ import annotations

import time
import uuid
from dataclasses import asdict, dataclass
from typing import Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db.models import ApiKey, Tenant
from backend.tenants.tokens import (
    PUBLISHABLE_PREFIX,
    SECRET_PREFIX,
    hash_key,
    new_key,
    new_signing_secret,
)

T = TypeVar("T")


@dataclass(frozen=True)
class TenantCredentials:
    """Shown once at creation: only hashes of the keys are stored."""

    tenant_id: str
    secret_key: str
    publishable_key: str
    signing_secret: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def create_tenant(session: Session, name: str, default_locale: str = "en") -> TenantCredentials:
    tenant = Tenant(
        id=uuid.uuid4(), name=name, signing_secret=new_signing_secret(),
        default_locale=default_locale,
    )
    session.add(tenant)
    session.flush()  # the keys reference it
    secret, publishable = new_key(SECRET_PREFIX), new_key(PUBLISHABLE_PREFIX)
    for kind, key in (("secret", secret), ("publishable", publishable)):
        session.add(ApiKey(tenant_id=tenant.id, kind=kind, key_hash=hash_key(key), prefix=key[:7]))
    session.flush()
    return TenantCredentials(str(tenant.id), secret, publishable, tenant.signing_secret)


class KeyCache(Generic[T]):
    """What a key resolved to, remembered briefly so that hot paths skip the database.

    Only keys that resolved are kept, so the cache grows with real keys, not with guesses.
    A revoked key keeps working for at most ``seconds``.
    """

    def __init__(self, seconds: float = 10.0) -> None:
        self.seconds = seconds
        self._entries: dict[str, tuple[float, T]] = {}

    def get(self, key: str, stale: bool = False) -> T | None:
        """The value while fresh; with ``stale``, also after (when the database is away)."""
        entry = self._entries.get(key)
        return entry[1] if entry and (stale or entry[0] > time.monotonic()) else None

    def put(self, key: str, value: T) -> T:
        self._entries[key] = (time.monotonic() + self.seconds, value)
        return value


def tenant_for_key(session: Session, key: str, kind: str) -> Tenant | None:
    query = (
        select(Tenant)
        .join(ApiKey, ApiKey.tenant_id == Tenant.id)
        .where(ApiKey.key_hash == hash_key(key), ApiKey.kind == kind, ApiKey.revoked_at.is_(None))
    )
    return session.scalars(query).one_or_none()
