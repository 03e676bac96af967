"""Prometheus metrics shared by Herald's processes."""

from prometheus_client import Counter

ACCEPTED = Counter(
    "herald_notifications_accepted_total", "Notifications accepted by the API", ["priority"]
)
