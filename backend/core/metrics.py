"""Prometheus metrics shared by Herald's processes."""

from prometheus_client import Counter, Gauge

ACCEPTED = Counter(
    "herald_notifications_accepted_total", "Notifications accepted by the API", ["priority"]
)

RENDER_FALLBACKS = Counter(
    "herald_render_fallbacks_total",
    "Texts shown as their plain words because their render failed or was skipped", ["reason"]
)

WEBHOOK_EVENTS = Counter(
    "herald_webhook_events_total", "Delivery-webhook posts by outcome (delivered, retried, "
    "failed: given up at once)", ["outcome"]
)

GATEWAY_SOCKETS = Gauge("herald_gateway_sockets", "Open reader sockets on this gateway node")
GATEWAY_PUSHED = Counter(
    "herald_gateway_push_total", "Notification frames offered by the push API", ["taken"]
)
GATEWAY_CLOSED_SLOW = Counter(
    "herald_gateway_slow_closes_total", "Sockets closed 4408 because they stopped reading"
)
