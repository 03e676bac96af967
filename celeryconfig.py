"""Celery settings for Herald: the fixed ones as module values, the ones that come from
Herald's settings from ``from_settings``. Importing this module reads nothing, so it works
with no URL set. See the README's "Delivery" section for why each is set as it is."""

from __future__ import annotations

from typing import Any

from kombu import Queue

from backend.core import celery_json
from backend.core.config import Settings
from backend.core.redis import celery_broker, celery_transport
from backend.notifications import queues

broker_connection_retry_on_startup = True

task_queues = tuple(Queue(name) for name in queues.ALL)
task_default_queue = queues.DEFAULT
task_serializer = "json"
accept_content = ["json", celery_json.NAME]  # the bridge's delivery batches
task_ignore_result = True

# At least once: a message is acknowledged only after its task finished, and comes back if
# the worker running it is killed. Tasks are idempotent on notification ids.
task_acks_late = True
task_reject_on_worker_lost = True
worker_prefetch_multiplier = 1
worker_send_task_events = True  # for Flower
task_send_sent_event = True

timezone = "UTC"


def _every(seconds: float, task: str) -> dict[str, Any]:
    # Expiring ticks never pile up while workers are down: the next tick does the same work.
    return {"task": task, "schedule": seconds,
            "options": {"queue": queues.PERIODIC, "expires": max(5.0, seconds * 5)}}


def from_settings(settings: Settings) -> dict[str, Any]:
    tick = settings.dispatch_interval_seconds
    redis_url = settings.require_urls()[0]
    broker, transport_options = celery_broker(redis_url)
    return {
        "broker_url": broker,
        "broker_transport": celery_transport(redis_url),
        "broker_transport_options": {
            # Through the Sentinels (HERALD_REDIS_URL=redis+sentinel://...) master_name; and
            # how a cut-off server is found gone (backend/core/redis.py).
            **transport_options,
            # A message whose worker died comes back after this long (late acknowledgement).
            # Tasks never wait with long countdowns (waits are rows), so this only bounds
            # crash recovery.
            "visibility_timeout": settings.visibility_timeout_seconds,
            # kombu looks for such messages every interval x throttle seconds (10 x 10 by
            # default: a killed worker's batch waited 100 s past its timeout). Every few
            # seconds instead, so recovery takes about the visibility timeout; one sweep is
            # one ZRANGE on Redis.
            "unacked_restore_interval": max(1, min(10, settings.visibility_timeout_seconds // 3)),
            "unacked_restore_throttle": 1,
            # A worker serving several queues always takes from the first non-empty one, in
            # the order of task_queues: high, housekeeping, default, fallback, low.
            "queue_order_strategy": "priority",
        },
        "worker_concurrency": settings.worker_concurrency,
        # Every task ends well before its message could be redelivered, so no task ever runs
        # twice at once: SoftTimeLimitExceeded first (the task records and retries), then the
        # pool process is killed.
        "task_time_limit": min(settings.task_time_limit_seconds,
                               0.8 * settings.visibility_timeout_seconds),
        "task_soft_time_limit": min(settings.task_soft_time_limit_seconds,
                                    0.6 * settings.visibility_timeout_seconds),
        "beat_schedule": {
            "dispatch-due-deliveries": _every(tick, queues.DISPATCH_DUE),
            "send-scheduled": _every(tick, queues.SEND_SCHEDULED),
            "run-schedules": _every(tick, queues.RUN_SCHEDULES),
            "send-digests": _every(tick, queues.SEND_DIGESTS),
            "fan-out-topics": _every(tick, queues.FAN_OUT_TOPICS),
            "wake-snoozed": _every(tick, queues.WAKE_SNOOZED),
            "dispatch-events": _every(tick, queues.DISPATCH_EVENTS),
            "trim-stream": _every(settings.stream_trim_interval_seconds, queues.TRIM_STREAM),
            "apply-retention": _every(settings.retention_interval_seconds,
                                      queues.APPLY_RETENTION),
        },
    }
