"""Short-lived tokens for readers' browsers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, status

from backend.api.deps import SettingsDep, TenantDep
from backend.core.errors import InvalidInput
from backend.tenants.schemas import TokenCreate, TokenPublic
from backend.tenants.tokens import issue_token

router = APIRouter(prefix="/v1/tokens", tags=["tokens"])


@router.post("", response_model=TokenPublic, status_code=status.HTTP_201_CREATED)
def create_token(body: TokenCreate, tenant: TenantDep, settings: SettingsDep) -> TokenPublic:
    """A JWT that lets one reader's browser connect to the gateway."""
    if body.ttl_seconds > settings.token_max_ttl_seconds:
        raise InvalidInput(f"ttl_seconds: at most {settings.token_max_ttl_seconds}",
                           ("body", "ttl_seconds"))
    token = issue_token(body.user_id, tenant.signing_secret, body.ttl_seconds)
    expires_at = datetime.now(UTC) + timedelta(seconds=body.ttl_seconds)
    return TokenPublic(token=token, expires_at=expires_at)
