"""Queue and task names. One Celery queue per priority, so high work never waits behind low;
outbound sends (delivery webhooks, Slack, email) have their own, ``fallback``, which the
outbound worker (``herald outbound``) takes in threads apart from delivery, so that a slow or
hostile endpoint never holds the workers that store and push notifications.
Shared by the bridge (which publishes) and the tasks (which consume)."""

from backend.notifications.lifecycle import Priority

HIGH = "notifications.high"
DEFAULT = "notifications.default"
LOW = "notifications.low"
# Normal-priority batches of tenants with only a few entries waiting at the bridge: taken
# before the default queue, so a quiet tenant's notification never queues behind the batches
# of a tenant who floods (those wait in ``DEFAULT``, and in the stream, their turn).
QUIET = "notifications.quiet"
FALLBACK = "fallback"
# Beat's ticks (due retries, scheduled sends, schedules, digests, trimming): housekeeping, apart
# from notifications in Flower and in queue depths. After high, before the rest: a tick is
# milliseconds and expires, and retries must not wait behind a backlog of normal traffic.
PERIODIC = "housekeeping"

BY_PRIORITY: dict[str, str] = {Priority.HIGH: HIGH, Priority.NORMAL: DEFAULT, Priority.LOW: LOW}
# Consumed in this order by a worker serving several ("priority" queue order strategy).
# Fallback before low: a fallback send is the last say of a notification that already waited
# through its retries, while low holds bulk work and in-app retries that can stay queued for
# minutes; behind them, an email waited until every one of them was done.
ALL = (HIGH, PERIODIC, QUIET, DEFAULT, FALLBACK, LOW)
# What a delivery worker takes when an outbound worker runs beside it (``--delivery``).
DELIVERY = tuple(q for q in ALL if q != FALLBACK)
# One queue behind: in-app retries wait behind first deliveries of their priority.
STEP_DOWN = {HIGH: DEFAULT, DEFAULT: LOW, LOW: LOW}
# Where a priority's in-app retries go: a retry is for a reader who was away, so first
# deliveries to readers who are there (of every tenant) go before it.
RETRY_QUEUE = {priority: STEP_DOWN[queue] for priority, queue in BY_PRIORITY.items()}

# Task names: herald.<module in tasks/>.<task>, the names Flower shows; beat's ticks are all
# herald.periodic.*, whatever module holds them.
DELIVER_BATCH = "herald.pipeline.deliver_batch"
RETRY_IN_APP = "herald.retries.retry_in_app"
FALLBACK_SLACK = "herald.fallbacks.slack"
FALLBACK_EMAIL = "herald.fallbacks.email"
FALLBACK_WEB_PUSH = "herald.fallbacks.web_push"
DISPATCH_DUE = "herald.periodic.dispatch_due"
SEND_SCHEDULED = "herald.periodic.send_scheduled"
RUN_SCHEDULES = "herald.periodic.run_schedules"
TRIM_STREAM = "herald.periodic.trim_stream"
SEND_DIGESTS = "herald.periodic.send_digests"
FAN_OUT_TOPICS = "herald.periodic.fan_out_topics"
WAKE_SNOOZED = "herald.periodic.wake_snoozed"
DISPATCH_EVENTS = "herald.periodic.dispatch_events"
APPLY_RETENTION = "herald.periodic.apply_retention"
SEND_EVENTS = "herald.webhooks.send_events"
