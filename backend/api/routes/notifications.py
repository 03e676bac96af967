"""Sending notifications and reading their status."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Depends, status
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.api.deps import RedisDep, Services, ServicesDep, SessionDep, TenantDep
from backend.core.errors import InvalidInput, NotFound
from backend.db.models import DeliveryAttempt, Notification, ScheduledSend, Tenant, User
from backend.notifications import editing, fanout, intake, live, stream, topics
from backend.notifications.lifecycle import Status, by_ids, send_counts
from backend.notifications.limits import locations
from backend.notifications.schemas import (
    AttemptPublic,
    NotificationAccepted,
    NotificationBatch,
    NotificationBatchAccepted,
    NotificationCreate,
    NotificationEdit,
    NotificationPublic,
    NotificationsChanged,
    SendSummary,
)
from backend.templates import versions

router = APIRouter(prefix="/v1/notifications", tags=["notifications"])
logger = logging.getLogger(__name__)


def _admit(services: Services, session: Session, tenant: Tenant,
           bodies: list[NotificationCreate], batch: bool = False) -> None:
    """Within every limit, every template known, then within the tenant's quota: only then
    is anything queued, so a refusal (413, 422, 429) changes nothing."""
    count = services.limits.check_all(bodies, batch)
    grace = timedelta(seconds=services.settings.send_at_grace_seconds)
    places = list(zip(bodies, locations(len(bodies), batch), strict=True))
    for body, loc in places:
        intake.refuse_past(body, grace, loc)
    fanned = sum(intake.check(session, tenant.id, body, loc) for body, loc in places)
    services.quota.take(str(tenant.id), count, fanned)


def _online_first_soon(background: BackgroundTasks, services: Services,
                       bodies: list[NotificationCreate], answers: list[dict[str, Any]]) -> None:
    """Topic sends due now reach their subscribers with an open page once the answer has
    left (and the send is committed), not at beat's next tick (one for later is left alone
    by ``online_first_now``)."""
    for body, answer in zip(bodies, answers, strict=True):
        if body.topic is not None:
            background.add_task(_online_first, services, answer["id"])


def _online_first(services: Services, send_id: str) -> None:
    try:
        with services.db.session() as session:
            fanout.online_first_now(session, services.ingest, send_id)
    except Exception:  # the next tick takes the step: nothing is lost, only later
        logger.exception("topic send %s: online readers left to the next tick", send_id)


def _quota_open(tenant: TenantDep, services: ServicesDep) -> None:
    services.quota.ensure_open(str(tenant.id))


QuotaOpen = Depends(_quota_open)


@router.post("", status_code=status.HTTP_202_ACCEPTED, response_model=NotificationAccepted,
             dependencies=[QuotaOpen])
def send_notification(
    body: NotificationCreate, tenant: TenantDep, session: SessionDep, services: ServicesDep,
    background: BackgroundTasks,
) -> JSONResponse:
    """Accept a notification for 1 to 1000 readers, or for every subscriber of a topic;
    answers once it is durable."""
    _admit(services, session, tenant, [body])
    answer = intake.accept(session, services.ingest, tenant.id, body)
    _online_first_soon(background, services, [body], [answer])
    return JSONResponse(answer, status_code=status.HTTP_202_ACCEPTED)


@router.post("/batch", status_code=status.HTTP_202_ACCEPTED,
             response_model=NotificationBatchAccepted, dependencies=[QuotaOpen])
def send_batch(
    body: NotificationBatch, tenant: TenantDep, session: SessionDep, services: ServicesDep,
    background: BackgroundTasks,
) -> JSONResponse:
    """Accept up to 100 requests at once; answers one answer per item, in order."""
    _admit(services, session, tenant, body.items, batch=True)
    items = intake.accept_many(session, services.ingest, tenant.id, body.items)
    _online_first_soon(background, services, body.items, items)
    return JSONResponse({"items": items}, status_code=status.HTTP_202_ACCEPTED)


def _scheduled(session: Session, tenant_id: uuid.UUID, notification_id: uuid.UUID
               ) -> NotificationPublic | None:
    """A notification still waiting for its ``send_at``: what it will send, and when."""
    send = session.scalar(select(ScheduledSend).where(
        ScheduledSend.tenant_id == tenant_id, ScheduledSend.enqueued_at.is_(None),
        ScheduledSend.entries.contains([{"id": str(notification_id)}])))
    if send is None:
        return None
    entry = next(e for e in send.entries if e["id"] == str(notification_id))
    content = entry.get("content") or {}
    return NotificationPublic(
        id=notification_id, status=Status.SCHEDULED, recipient=entry["recipient"],
        category=entry.get("category"), priority=entry["priority"],
        title=content.get("title"), body=content.get("body"), template=entry.get("template"),
        data=entry.get("data"), send_at=send.due_at, created_at=entry.get("created_at"))


def _changed(session: Session, services: Services, notification_id: uuid.UUID,
             rows: list[Notification], with_counts: bool) -> NotificationsChanged:
    """Committed first, then told to the readers' open sockets."""
    messages = live.frames_for(session, rows, with_counts)
    session.commit()
    live.publish(services.redis, messages)
    return NotificationsChanged(id=notification_id, changed=len(rows))


@router.patch("/{notification_id}")
def edit_notification(
    notification_id: uuid.UUID, body: NotificationEdit, tenant: TenantDep, session: SessionDep,
    services: ServicesDep,
) -> NotificationsChanged:
    """Change the text or data of one reader's notification, or of a whole send (its id):
    rendered again per reader, shown live on every tab as an ``updated`` frame."""
    if body.data is not None:
        services.limits.check_data(body.data)
    if body.template and not versions.exists(session, tenant.id, body.template):
        raise InvalidInput(f"template {body.template!r} does not exist", ("body", "template"))
    rows = editing.edit(session, services.redis, tenant, notification_id, body)
    return _changed(session, services, notification_id, rows, with_counts=False)


@router.delete("/{notification_id}")
def retract_notification(
    notification_id: uuid.UUID, tenant: TenantDep, session: SessionDep, services: ServicesDep,
) -> NotificationsChanged:
    """Retract one reader's notification, or a whole send (its id): gone from every inbox
    (a ``deleted`` frame on every tab), and no retry or fallback is sent any more."""
    rows = editing.retract(session, services.redis, tenant.id, notification_id)
    return _changed(session, services, notification_id, rows, with_counts=True)


def _most_behind(counts: dict[str, int]) -> Status:
    """A whole send's status: that of its notifications furthest from their reader."""
    order = [Status.PERSISTED, Status.FAILED, Status.FALLBACK_SENT, Status.DELIVERED,
             Status.READ]
    return next((s for s in order if counts.get(s)), Status.PERSISTED)


@router.get("/{notification_id}", response_model=NotificationPublic)
def get_notification(
    notification_id: uuid.UUID, tenant: TenantDep, session: SessionDep, redis: RedisDep
) -> NotificationPublic:
    """Status of one notification, with every delivery attempt."""
    row = session.execute(
        select(Notification, User.external_id)
        .join(User, User.id == Notification.reader_id)
        .where(by_ids([notification_id]), Notification.tenant_id == tenant.id)
    ).one_or_none()
    if row is None:
        if stream.accepted_tenant(redis, str(notification_id)) == str(tenant.id):
            return NotificationPublic(id=notification_id, status=Status.ACCEPTED)
        if (scheduled := _scheduled(session, tenant.id, notification_id)) is not None:
            return scheduled
        if (send := fanout.send_of(session, tenant.id, notification_id)) is not None:
            return NotificationPublic(id=notification_id, status=topics.send_status(send),
                                      send=topics.progress(session, send))
        if counts := send_counts(session, tenant.id, notification_id):  # a whole send's id
            return NotificationPublic(id=notification_id, status=_most_behind(counts),
                                      send=SendSummary(notifications=counts))
        raise NotFound(f"notification {notification_id} not found")
    notification, recipient = row.tuple()
    attempts = session.scalars(
        select(DeliveryAttempt)
        .where(DeliveryAttempt.notification_id == notification.id)
        .order_by(DeliveryAttempt.at, DeliveryAttempt.id)
    ).all()
    return NotificationPublic(
        id=notification.id, status=notification.status, recipient=recipient,
        status_reason=notification.status_reason,
        seq=notification.seq, category=notification.category, priority=notification.priority,
        title=notification.title, body=notification.body, created_at=notification.created_at,
        delivered_at=notification.delivered_at, read_at=notification.read_at,
        edited_at=notification.edited_at, deleted_at=notification.deleted_at,
        attempts=[AttemptPublic.model_validate(a) for a in attempts],
    )
