"""What happens after a push: retries while the reader is away, then each fallback channel.

A notification still on its way has one ``deliveries`` row naming its next step and when it
is due. Beat claims due rows (``FOR UPDATE SKIP LOCKED``) and hands them to tasks; each task
reports back here, which moves the row on: another attempt, the next channel, or done.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, delete, select
from sqlalchemy.dialects.postgresql import Insert
from sqlalchemy.orm import Session

from backend.core import metrics
from backend.db import leases
from backend.db.arrays import as_arrays, rows_of
from backend.db.models import Delivery, DeliveryAttempt, Notification
from backend.notifications import lifecycle, queues
from backend.notifications.backoff import Backoff
from backend.notifications.lifecycle import DONE, Channel, Priority, Status

DELIVERIES = cast(Table, Delivery.__table__)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Pushed:
    """What a retry needs of a notification just offered to its reader's sockets: taken
    from the push, not read back (``after_in_app``)."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    priority: str
    channels: tuple[str, ...] = (Channel.IN_APP,)  # a push is always its first step


def _step(n: Notification | Pushed, step: int, attempt: int, delay: float,
          now: datetime | None = None) -> dict[str, Any]:
    return {"notification_id": n.id, "tenant_id": n.tenant_id, "priority": n.priority,
            "step": step, "channel": n.channels[step], "attempt": attempt,
            "due_at": (now or _now()) + timedelta(seconds=delay)}


_STEP_COLUMNS = ("notification_id", "tenant_id", "priority", "step", "channel", "attempt",
                 "due_at")


def _upsert_statement() -> Insert:
    """One cached statement for any number of rows (``_step``), as unnested arrays."""
    statement = rows_of(DELIVERIES, _STEP_COLUMNS)
    return statement.on_conflict_do_update(
        index_elements=["notification_id"],
        set_={c: statement.excluded[c] for c in ("step", "channel", "attempt", "due_at")},
    )


_UPSERT = _upsert_statement()


def _upsert(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(_UPSERT, as_arrays(DELIVERIES, rows, _STEP_COLUMNS))


def set_step(session: Session, n: Notification, step: int, attempt: int, delay: float) -> None:
    """Make ``step`` (with ``attempt`` attempts made) the notification's next, due after delay."""
    _upsert(session, [_step(n, step, attempt, delay)])


def finish(session: Session, ids: Iterable[uuid.UUID]) -> None:
    """No further step for these notifications."""
    ids = list(ids)
    if ids:
        session.execute(delete(Delivery).where(Delivery.notification_id.in_(ids)))


def _last_error(session: Session, nid: uuid.UUID) -> str | None:
    return session.scalars(
        select(DeliveryAttempt.error)
        .where(DeliveryAttempt.notification_id == nid, DeliveryAttempt.error.is_not(None))
        .order_by(DeliveryAttempt.id.desc()).limit(1)
    ).first()


def advance(session: Session, n: Notification, from_step: int) -> None:
    """Go to the next channel in the notification's order, or end the chain."""
    if from_step + 1 < len(n.channels):
        set_step(session, n, from_step + 1, 0, 0)
        return
    finish(session, [n.id])
    if n.status not in DONE and lifecycle.try_move(
            n, Status.FAILED, _last_error(session, n.id) or "no channel could deliver it"):
        metrics.FAILED.labels(priority=n.priority).inc()


def start(session: Session, notifications: Iterable[Notification]) -> None:
    """Notifications that skip in-app go straight to their first channel."""
    for n in notifications:
        set_step(session, n, 0, 0, 0)


def after_in_app(session: Session, outcomes: dict[str, bool], attempts: dict[uuid.UUID, int],
                 backoff_for: Callable[[str], Backoff], pushed: Iterable[Pushed]) -> None:
    """After a push: delivered ones are done; offline ones retry with backoff, then fall back.

    ``attempts`` counts the in-app attempts made so far; ``backoff_for(priority)`` gives the
    in-app retry policy. No row is read back for a retry: one read or delivered by a replay
    meanwhile gets a retry that finds nothing left to do (``tasks.retries``).
    """
    # A first attempt has no delivery row yet: only later ones have one to finish.
    done = [nid for nid, made in attempts.items() if made > 1 and outcomes[str(nid)]]
    retries, exhausted = [], []
    now = _now()
    policies: dict[str, Backoff] = {}
    for n in pushed:
        if n.id not in attempts or outcomes[str(n.id)]:
            continue
        if (policy := policies.get(n.priority)) is None:
            policy = policies[n.priority] = backoff_for(n.priority)
        made = attempts[n.id]
        if made < policy.max_attempts:
            retries.append(_step(n, 0, made, policy.delay(made), now))
            metrics.IN_APP_RETRIES.labels(priority=n.priority).inc()
        else:
            exhausted.append(n.id)
    if exhausted:  # on to the next channel: these few as ORM objects (their status moves)
        for row in session.scalars(select(Notification).where(lifecycle.by_ids(exhausted))):
            if row.status in DONE or row.deleted_at is not None:
                done.append(row.id)
            else:
                advance(session, row, 0)
    _upsert(session, retries)
    finish(session, done)


PRIORITIES = (Priority.HIGH, Priority.NORMAL, Priority.LOW)


def claim_due(session: Session, limit: int, lease_seconds: float,
              retry_rows: Mapping[str, int] | None = None,
              weights: Mapping[str, float] | None = None, now: datetime | None = None
              ) -> list[Delivery]:
    """Take up to ``limit`` due rows no other dispatcher holds, and lease them so nobody
    takes them again: high first, then normal, then low; in each, fallback sends, then
    in-app retries while their queue has room (``retry_rows``: rows each retry queue takes
    now; no bound if None); and tenants in turn, weighted as the bridge weighs them."""
    room = dict(retry_rows) if retry_rows is not None else None
    rows: list[Delivery] = []
    for priority in PRIORITIES:
        for in_app in (False, True):
            queue = queues.RETRY_QUEUE[priority]
            take = limit - len(rows)
            if in_app and room is not None:
                take = min(take, room.get(queue, 0))
            if take <= 0:
                continue
            found = leases.claim(session, Delivery, Delivery.due_at, Delivery.notification_id,
                                 take, lease_seconds, *_waiting(priority, in_app),
                                 tenant=Delivery.tenant_id, weights=weights, now=now)
            if in_app and room is not None:
                room[queue] -= len(found)
            rows += found
    return rows


def _waiting(priority: str, in_app: bool) -> tuple[ColumnElement[bool], ...]:
    is_in_app = Delivery.channel == Channel.IN_APP
    return Delivery.priority == priority, is_in_app if in_app else ~is_in_app


def retry_room(depth: int, queued_batches: int) -> int:
    """Batches of in-app retries one dispatch adds to a queue holding ``depth`` messages. As
    the bridge fills it: up to ``queued_batches``, the rest staying due rows. Past that one
    batch while it holds less than twice as many, so a flood of first deliveries slows
    retries but never stops them; none beyond (nothing is draining it)."""
    if depth < queued_batches:
        return queued_batches - depth
    return 1 if depth < 2 * queued_batches else 0
