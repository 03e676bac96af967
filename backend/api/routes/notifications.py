"""Sending notifications and reading their status."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import JSONResponse
from sqlalchemy import select

from backend import metrics, stream
from backend.api.deps import RedisDep, SessionDep, SettingsDep, TenantDep
from backend.ids import new_id
from backend.models import DeliveryAttempt, Notification, User
from backend.schemas import (
    AttemptPublic,
    NotificationAccepted,
    NotificationCreate,
    NotificationPublic,
)

router = APIRouter(prefix="/v1/notifications", tags=["notifications"])


def build_entries(tenant_id: uuid.UUID, body: NotificationCreate) -> tuple[list[dict], dict]:
    """The stream entries for a request (one per recipient) and the API's answer to it."""
    ids = [new_id() for _ in body.recipients]
    group_id = ids[0] if len(ids) == 1 else new_id()
    created_at = datetime.now(UTC).isoformat()
    common = body.model_dump(exclude={"recipients", "idempotency_key"})
    entries = [
        {
            **common, "id": str(nid), "group_id": str(group_id), "tenant_id": str(tenant_id),
            "recipient": recipient, "idempotency_key": body.idempotency_key,
            "created_at": created_at,
        }
        for nid, recipient in zip(ids, body.recipients, strict=True)
    ]
    answer = NotificationAccepted(
        id=group_id, status="accepted",
        notifications=[{"id": e["id"], "recipient": e["recipient"]} for e in entries],
    ).model_dump(mode="json")
    return entries, answer


@router.post("", status_code=status.HTTP_202_ACCEPTED, response_model=NotificationAccepted)
def send_notification(
    body: NotificationCreate, tenant: TenantDep, redis: RedisDep, settings: SettingsDep
) -> JSONResponse:
    """Accept a notification for one or more readers; answers once Redis holds it."""
    entries, answer = build_entries(tenant.id, body)
    created, answer = stream.enqueue(
        redis, str(tenant.id), entries, answer, body.idempotency_key,
        settings.idempotency_ttl_seconds,
    )
    if created:
        metrics.ACCEPTED.labels(priority=body.priority).inc(len(entries))
    return JSONResponse(answer, status_code=status.HTTP_202_ACCEPTED)


@router.get("/{notification_id}", response_model=NotificationPublic)
def get_notification(
    notification_id: uuid.UUID, tenant: TenantDep, session: SessionDep, redis: RedisDep
) -> NotificationPublic:
    """Status of one notification, with every delivery attempt."""
    row = session.execute(
        select(Notification, User.external_id)
        .join(User, User.id == Notification.user_id)
        .where(Notification.id == notification_id, Notification.tenant_id == tenant.id)
    ).one_or_none()
    if row is None:
        if stream.accepted_tenant(redis, str(notification_id)) == str(tenant.id):
            return NotificationPublic(id=notification_id, status="accepted")
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"notification {notification_id} not found")
    notification, recipient = row
    attempts = session.scalars(
        select(DeliveryAttempt)
        .where(DeliveryAttempt.notification_id == notification.id)
        .order_by(DeliveryAttempt.at, DeliveryAttempt.id)
    ).all()
    return NotificationPublic(
        id=notification.id, status=notification.status, recipient=recipient,
        seq=notification.seq, category=notification.category, priority=notification.priority,
        title=notification.title, body=notification.body, created_at=notification.created_at,
        delivered_at=notification.delivered_at, read_at=notification.read_at,
        attempts=[AttemptPublic.model_validate(a) for a in attempts],
    )
