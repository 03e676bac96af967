"""Recurring sends: a cron expression in a time zone, dispatched by celery beat."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from fastapi import APIRouter, Response, status
from sqlalchemy import select

from backend.api.deps import ServicesDep, SessionDep, TenantDep
from backend.core.errors import InvalidInput, NotFound
from backend.db.models import Schedule
from backend.notifications import intake
from backend.notifications.schedules import first_run
from backend.notifications.schemas import ScheduleCreate, SchedulePublic
from backend.tenants import caps

router = APIRouter(prefix="/v1/schedules", tags=["schedules"])


@router.post("", status_code=status.HTTP_201_CREATED)
def create_schedule(body: ScheduleCreate, tenant: TenantDep, session: SessionDep,
                    services: ServicesDep) -> SchedulePublic:
    """Send ``notification`` every time ``cron`` fires in ``timezone``."""
    settings = services.settings
    try:
        first = first_run(body.cron, body.timezone, datetime.now(UTC),
                          settings.schedule_min_interval_seconds, settings.schedule_horizon_days)
    except ValueError as exc:
        raise InvalidInput(str(exc), ("body", "cron")) from exc
    services.limits.check_all([body.notification])
    intake.check(session, tenant.id, body.notification, ("body", "notification"))
    caps.make_room(session, Schedule.tenant_id, tenant.id, settings.max_schedules_per_tenant,
                   "schedules", "HERALD_MAX_SCHEDULES_PER_TENANT")
    schedule = Schedule(
        id=uuid.uuid4(), tenant_id=tenant.id, cron=body.cron, timezone=body.timezone,
        notification=body.notification.model_dump(mode="json", exclude_none=True),
        next_run_at=first, runs=0,
    )
    session.add(schedule)
    session.flush()
    session.refresh(schedule)
    return SchedulePublic.model_validate(schedule)


def _get(session: SessionDep, tenant: TenantDep, schedule_id: uuid.UUID) -> Schedule:
    schedule = session.scalar(select(Schedule).where(
        Schedule.id == schedule_id, Schedule.tenant_id == tenant.id,
        Schedule.deleted_at.is_(None)))
    if schedule is None:
        raise NotFound(f"schedule {schedule_id} not found")
    return schedule


@router.get("")
def list_schedules(tenant: TenantDep, session: SessionDep) -> list[SchedulePublic]:
    """The tenant's active schedules."""
    rows = session.scalars(select(Schedule).where(
        Schedule.tenant_id == tenant.id, Schedule.deleted_at.is_(None)
    ).order_by(Schedule.created_at))
    return [SchedulePublic.model_validate(r) for r in rows]


@router.get("/{schedule_id}")
def get_schedule(schedule_id: uuid.UUID, tenant: TenantDep, session: SessionDep
                 ) -> SchedulePublic:
    """One schedule, with its next run and how many times it ran."""
    return SchedulePublic.model_validate(_get(session, tenant, schedule_id))


@router.delete("/{schedule_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_schedule(schedule_id: uuid.UUID, tenant: TenantDep, session: SessionDep) -> Response:
    """Stop a schedule; runs already sent stay sent."""
    _get(session, tenant, schedule_id).deleted_at = datetime.now(UTC)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
