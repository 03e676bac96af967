"""Signed delivery webhooks: the product's backend hears when its notifications are
delivered, read, sent by fallback or failed."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from sqlalchemy import select

from backend.api.deps import ServicesDep, SessionDep, TenantDep
from backend.channels.webhooks import RefusedWebhook
from backend.core.errors import InvalidInput
from backend.db.models import Webhook
from backend.notifications import webhook_events
from backend.notifications.schemas import (
    EventPage,
    WebhookCreate,
    WebhookCreated,
    WebhookPublic,
)

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])


@router.post("", status_code=status.HTTP_201_CREATED)
def create_webhook(body: WebhookCreate, tenant: TenantDep, session: SessionDep,
                   services: ServicesDep) -> WebhookCreated:
    """Register an endpoint; the answer carries its signing secret, shown only this once."""
    try:
        services.events.check_url(body.url)
    except RefusedWebhook as exc:
        raise InvalidInput(str(exc), ("body", "url")) from exc
    hook = webhook_events.create(session, tenant.id, body.url, list(body.events),
                                 services.settings.max_webhooks_per_tenant)
    return WebhookCreated.model_validate(hook)


@router.get("")
def list_webhooks(tenant: TenantDep, session: SessionDep) -> list[WebhookPublic]:
    """The tenant's webhooks (without their secrets)."""
    hooks = session.scalars(select(Webhook).where(Webhook.tenant_id == tenant.id)
                            .order_by(Webhook.created_at))
    return [WebhookPublic.model_validate(h) for h in hooks]


@router.get("/{webhook_id}")
def get_webhook(webhook_id: uuid.UUID, tenant: TenantDep, session: SessionDep) -> WebhookPublic:
    return WebhookPublic.model_validate(webhook_events.find(session, tenant.id, webhook_id))


@router.delete("/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_webhook(webhook_id: uuid.UUID, tenant: TenantDep, session: SessionDep) -> Response:
    """Stop sending to it; events still owed to it are dropped."""
    session.delete(webhook_events.find(session, tenant.id, webhook_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{webhook_id}/events")
def list_events(
    webhook_id: uuid.UUID, tenant: TenantDep, session: SessionDep,
    cursor: Annotated[str | None, Query(pattern=r"^[0-9]{1,20}\.[0-9a-f-]{36}$",
                                        description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> EventPage:
    """Recent events, newest first, each with every attempt to deliver it."""
    hook = webhook_events.find(session, tenant.id, webhook_id)
    items, after = webhook_events.page(session, hook, cursor, limit)
    return EventPage(items=items, next_cursor=after)
