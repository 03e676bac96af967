"""Queue names: one Celery queue per priority, so high work never waits behind low."""

HIGH = "notifications.high"
DEFAULT = "notifications.default"
LOW = "notifications.low"

BY_PRIORITY = {"high": HIGH, "normal": DEFAULT, "low": LOW}
ALL = (HIGH, DEFAULT, LOW)

DELIVER_BATCH = "herald.pipeline.deliver_batch"
