"""What every Herald task shares: the one place that decides retry or fail by exception type.

Infrastructure briefly away (PostgreSQL, the gateway, a Redis blip) is retried by Celery with
exponential backoff and jitter; anything else fails the task, and the rows it left (leased
deliveries, in-flight stream entries) bring the work back or dead-letter it.
"""

from __future__ import annotations

import httpx
from celery import Task
from celery.exceptions import SoftTimeLimitExceeded
from sqlalchemy.exc import OperationalError

TRANSIENT: tuple[type[BaseException], ...] = (
    OperationalError, httpx.TransportError, httpx.HTTPStatusError,
    # A task past its soft time limit (a slow moment, or a batch bigger than usual) is sent
    # again rather than acknowledged as failed: its entries must not wait for recovery.
    SoftTimeLimitExceeded,
)


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
