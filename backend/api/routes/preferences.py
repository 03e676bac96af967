"""Preferences: a reader's channels per category, quiet hours and digest; tenant defaults."""

from __future__ import annotations

from fastapi import APIRouter

from backend.api.deps import SessionDep, TenantDep, UserIdPath
from backend.db.models import Tenant
from backend.notifications.schemas import PreferencesUpdate, TenantPreferences
from backend.tenants.readers import update_profile

router = APIRouter(tags=["preferences"])


@router.put("/v1/users/{user_id}/preferences")
def put_preferences(
    body: PreferencesUpdate, tenant: TenantDep, session: SessionDep,
    user_id: str = UserIdPath,
) -> PreferencesUpdate:
    """Replace a reader's preferences."""
    update_profile(session, tenant.id, user_id, {"preferences": body.model_dump(mode="json")})
    return body


@router.put("/v1/preferences/defaults")
def put_defaults(body: TenantPreferences, tenant: TenantDep, session: SessionDep
                 ) -> TenantPreferences:
    """Defaults every reader starts from, and the categories that ignore opt-outs."""
    row = session.get_one(Tenant, tenant.id)
    row.preference_defaults = body.model_dump(mode="json", exclude={"required_categories"})
    row.required_categories = body.required_categories
    return body
