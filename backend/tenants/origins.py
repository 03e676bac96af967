"""Browser origins allowed to call the gateway's REST inbox (CORS): per tenant, and for every
tenant through ``HERALD_CORS_ALLOWED_ORIGINS``."""

from __future__ import annotations

import uuid
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.db.models import Tenant

MAX_ORIGINS = 50


def check_origin(value: str) -> str:
    """``scheme://host[:port]`` as a browser sends it in ``Origin``, lower-cased."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not an origin: scheme://host[:port], http or https")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise ValueError(f"{value!r} is not an origin: no path, query or user, only "
                         "scheme://host[:port]")
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"{value!r} has a bad port") from exc
    return f"{parts.scheme}://{parts.hostname}" + (f":{port}" if port else "")


OriginStr = Annotated[str, Field(max_length=300), AfterValidator(check_origin)]


class AllowedOrigins(BaseModel):
    origins: list[OriginStr] = Field(
        max_length=MAX_ORIGINS,
        description="Origins whose pages may call the gateway's REST inbox, "
                    "e.g. https://app.example.com",
        examples=[["https://app.example.com", "http://localhost:3000"]])


def set_origins(session: Session, tenant_id: uuid.UUID, origins: list[str]) -> list[str]:
    row = session.get_one(Tenant, tenant_id)
    row.allowed_origins = sorted(set(origins))
    return row.allowed_origins


def any_tenant_allows(session: Session) -> set[str]:
    """Every origin some tenant allows (a preflight carries no key to tell the tenant)."""
    return set(session.scalars(
        select(func.jsonb_array_elements_text(Tenant.allowed_origins)).distinct()))
