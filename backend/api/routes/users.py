"""Readers' profiles."""

from __future__ import annotations

from fastapi import APIRouter

from backend.api.deps import ServicesDep, SessionDep, TenantDep, UserIdPath
from backend.channels.webhooks import RefusedWebhook
from backend.core.errors import InvalidInput
from backend.notifications import erasure
from backend.tenants.readers import update_profile
from backend.tenants.schemas import UserErased, UserPublic, UserUpdate

router = APIRouter(prefix="/v1/users", tags=["users"])


@router.put("/{user_id}", response_model=UserPublic)
def put_user(
    body: UserUpdate, tenant: TenantDep, session: SessionDep, services: ServicesDep,
    user_id: str = UserIdPath,
) -> UserPublic:
    """Create or update a reader's profile; fields left out keep their value."""
    fields = body.model_dump(exclude_unset=True, mode="json")
    if body.slack_webhook_url is not None:
        try:
            services.webhooks.check_url(str(body.slack_webhook_url))
        except RefusedWebhook as exc:
            raise InvalidInput(str(exc), ("body", "slack_webhook_url")) from exc
    user = update_profile(session, tenant.id, user_id, fields)
    return UserPublic.model_validate(user)


@router.delete("/{user_id}")
def erase_user(tenant: TenantDep, session: SessionDep, services: ServicesDep,
               user_id: str = UserIdPath) -> UserErased:
    """Erase a reader everywhere: profile, preferences, notifications and their attempts,
    topic subscriptions, webhook events about them, their place in scheduled sends, stream
    entries not yet stored and dead letters. A later send starts a fresh reader."""
    erased = erasure.erase(session, services.redis, tenant.id, user_id,
                           services.settings.ingest_partitions)
    return UserErased(user_id=user_id, erased=erased.as_dict())
