"""Celery settings for Herald. Values come from backend.config; see the README's
"Delivery semantics" section for why each is set as it is."""

from kombu import Queue

from backend.config import get_settings
from tasks import queues

_settings = get_settings()

broker_url = _settings.require_urls()[0]
broker_connection_retry_on_startup = True
broker_transport_options = {
    # A message whose worker died comes back after this long (late acknowledgement).
    "visibility_timeout": _settings.visibility_timeout_seconds,
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
beat_schedule: dict = {}
