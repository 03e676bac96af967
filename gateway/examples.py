"""An example answer (and request) for every JSON operation of the gateway (its OpenAPI spec)."""

from __future__ import annotations

from backend.core.openapi_examples import Examples

PREFERENCES = {"categories": {"marketing": {"email": False}},
               "quiet_hours": {"start": "22:00", "end": "07:00"}, "digest": "off"}

PUSH_ENDPOINT = "https://fcm.googleapis.com/fcm/send/dpH5lCsTSSM:APA91bHqjZxM0VImWWqDRN7U0a"
PUSH = {"public_key": "BKxIA4Bk2Yd8v6tYg8GvN1d1PHDXHnbd6uKMa0mfyHqm0jH5VnNVBq5XNtAbjKxq"
                      "3-wg5h0n4EG0pXHZq8W26kA",
        "subscriptions": [{"id": 7, "endpoint": PUSH_ENDPOINT,
                           "created_at": "2026-12-05T23:50:00+00:00"}]}

EXAMPLES: Examples = {
    ("GET", "/v1/me/notifications"): {"response": {"items": [{
        "id": "01a22414-63d7-789b-b5df-a38de92d856c", "seq": 17,
        "title": "Invoice INV-204 is ready", "body": "Amount due: €120.00",
        "category": "billing", "priority": "high", "data": {"number": "INV-204"},
        "created_at": "2026-11-28T21:33:50.123456+00:00", "read": False, "seen": True,
        "archived": False, "snoozed_until": None, "change": 4}],
        "next_before": None}},
    ("GET", "/v1/me/counts"): {"response": {"unseen": 1, "unread": 3, "archived": 12}},
    ("GET", "/v1/me/unread-count"): {"response": {"count": 3}},
    ("POST", "/v1/me/notifications/{notification_id}/read"): {"response": {"count": 2}},
    ("POST", "/v1/me/notifications/read-all"): {"response": {"count": 0}},
    ("GET", "/v1/me/preferences"): {"response": PREFERENCES},
    ("PUT", "/v1/me/preferences"): {"request": PREFERENCES, "response": PREFERENCES},
    ("GET", "/v1/me/push-subscriptions"): {"response": PUSH},
    ("POST", "/v1/me/push-subscriptions"): {"request": {
        "endpoint": PUSH_ENDPOINT, "expirationTime": None,
        "keys": {"p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1"
                           "XbjhazAkj7I99e8QcYP7DkM",
                 "auth": "tBHItJI5svbpez7KI4CCXg"}}, "response": PUSH},
    ("DELETE", "/v1/me/push-subscriptions"): {"response": {"removed": 1}},
    ("GET", "/healthz"): {"response": {"status": "ok", "sockets": 1204}},
    ("GET", "/readyz"): {"response": {"status": "ready"}},
}
