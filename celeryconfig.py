"""Celery settings for Herald. Values come from backend.config; see the README's
"Delivery semantics" section for why each is set as it is."""

from kombu import Queue

from backend.config import get_settings
from tasks import queues

_settings = get_settings()

broker_url = _settings.require_urls()[0]
broker_connection_retry_on_startup = True
broker_transport_options = {
    # A message whose worker died comes back after this long (late acknowledgement). Tasks
    # never wait with long countdowns (waits are rows), so this only bounds crash recovery.
    "visibility_timeout": _settings.visibility_timeout_seconds,
    # A worker serving several queues always takes from the first non-empty one, in the
    # order of task_queues: high, default, low, fallback.
    "queue_order_strategy": "priority",
}

task_queues = tuple(Queue(name) for name in queues.ALL)
task_default_queue = queues.DEFAULT
task_serializer = "json"
accept_content = ["json"]
task_ignore_result = True

# At least once: a message is acknowledged only after its task finished, and comes back if
# the worker running it is killed. Tasks are idempotent on notification ids.
task_acks_late = True
task_reject_on_worker_lost = True
worker_prefetch_multiplier = 1
worker_concurrency = _settings.worker_concurrency
worker_send_task_events = True  # for Flower
task_send_sent_event = True

timezone = "UTC"


def _every(seconds: float, task: str) -> dict:
    # Expiring ticks never pile up while workers are down: the next tick does the same work.
    return {"task": task, "schedule": seconds,
            "options": {"queue": queues.HIGH, "expires": max(5.0, seconds * 5)}}


_tick = _settings.dispatch_interval_seconds
beat_schedule = {
    "dispatch-due-deliveries": _every(_tick, queues.DISPATCH_DUE),
    "send-scheduled": _every(_tick, queues.SEND_SCHEDULED),
    "run-schedules": _every(_tick, queues.RUN_SCHEDULES),
    "send-digests": _every(_tick, queues.SEND_DIGESTS),
    "trim-stream": _every(_settings.stream_trim_interval_seconds, queues.TRIM_STREAM),
}
