"""Each tenant's VAPID key pair (RFC 8292): browsers subscribe to its public key, and push
services accept only pushes signed with its private key. Made on first use (or by
``herald tenant vapid``); the private key is never shown to readers."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db.models import Tenant


@dataclass(frozen=True)
class VapidKeys:
    private_pem: str
    public_key: str  # base64url of the uncompressed P-256 point: applicationServerKey


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _new() -> VapidKeys:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    point = key.public_key().public_bytes(serialization.Encoding.X962,
                                          serialization.PublicFormat.UncompressedPoint)
    return VapidKeys(pem, b64url(point))


def keys_of(session: Session, tenant_id: uuid.UUID) -> VapidKeys:
    """The tenant's keys, made now if it has none (under its row lock: made once; every
    later push reads them without the lock)."""
    tenant = session.get_one(Tenant, tenant_id)
    if tenant.vapid_private_key is not None and tenant.vapid_public_key is not None:
        return VapidKeys(tenant.vapid_private_key, tenant.vapid_public_key)
    tenant = session.scalars(select(Tenant).where(Tenant.id == tenant_id)
                             .with_for_update().execution_options(populate_existing=True)).one()
    if tenant.vapid_private_key is None or tenant.vapid_public_key is None:
        made = _new()
        tenant.vapid_private_key, tenant.vapid_public_key = made.private_pem, made.public_key
    return VapidKeys(tenant.vapid_private_key, tenant.vapid_public_key)
