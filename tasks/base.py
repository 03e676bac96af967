"""What every Herald task shares: the one place that decides, by exception, what a failure
is (``classify``), and so whether Celery retries it.

- **transient**: infrastructure briefly away (PostgreSQL, the gateway, a Redis blip) or a
  task past its soft time limit: retried by Celery with exponential backoff and jitter;
- **poison**: one bad entry of a batch (a value no statement takes, a tenant gone): retrying
  cannot fix it, so the batch is split to find it and it alone becomes a dead letter;
- **permanent**: anything else (a bug): the task fails, and the rows it left (leased
  deliveries, in-flight stream entries) bring the work back or dead-letter it.
"""

from __future__ import annotations

from enum import StrEnum

import httpx
from celery import Task
from celery.exceptions import SoftTimeLimitExceeded
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.exc import DBAPIError, OperationalError

from backend.notifications.persist import UnknownTenant


class Failure(StrEnum):
    TRANSIENT = "transient"
    POISON = "poison"
    PERMANENT = "permanent"


TRANSIENT: tuple[type[BaseException], ...] = (
    OperationalError, httpx.TransportError, httpx.HTTPStatusError, RedisConnectionError,
    # A task past its soft time limit (a slow moment, or a batch bigger than usual) is sent
    # again rather than acknowledged as failed: its entries must not wait for recovery.
    SoftTimeLimitExceeded,
)
# Checked after TRANSIENT: an OperationalError is a DBAPIError too.
POISON: tuple[type[Exception], ...] = (DBAPIError, UnknownTenant, ValueError, KeyError,
                                       TypeError)


def classify(exc: BaseException) -> Failure:
    if isinstance(exc, TRANSIENT):
        return Failure.TRANSIENT
    if isinstance(exc, POISON):
        return Failure.POISON
    return Failure.PERMANENT


def retries_left(task: Task | None) -> bool:
    """Celery will send ``task`` again if it raises a transient error now."""
    return task is not None and task.request.retries < (task.max_retries or 0)


class HeraldTask(Task):
    autoretry_for = TRANSIENT
    retry_backoff = True
    retry_backoff_max = 30
    retry_jitter = True
    max_retries = 20


class PeriodicTask(Task):
    """Beat's ticks are never retried: the next tick, a second later, does the same work.

    Five a second, they would bury the notification tasks in Flower: they send no task events
    unless ``HERALD_FLOWER_HOUSEKEEPING`` (``tasks.app`` decides at worker start)."""

    send_events = False
