"""The calling tenant's own settings: the browser origins its pages call the gateway from."""

from __future__ import annotations

from fastapi import APIRouter

from backend.api.deps import SessionDep, TenantDep
from backend.db.models import Tenant
from backend.tenants.origins import AllowedOrigins, set_origins

router = APIRouter(prefix="/v1/tenant", tags=["tenant"])


@router.get("/allowed-origins")
def get_allowed_origins(tenant: TenantDep, session: SessionDep) -> AllowedOrigins:
    """Origins whose pages may call the gateway's REST inbox (CORS)."""
    return AllowedOrigins(origins=session.get_one(Tenant, tenant.id).allowed_origins)


@router.put("/allowed-origins")
def put_allowed_origins(body: AllowedOrigins, tenant: TenantDep, session: SessionDep
                        ) -> AllowedOrigins:
    """Replace the origins whose pages may call the gateway's REST inbox (CORS). The gateway
    applies a change within 30 seconds."""
    return AllowedOrigins(origins=set_origins(session, tenant.id, body.origins))
