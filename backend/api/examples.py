"""An example request and answer for every operation of the service API (its OpenAPI spec)."""

from __future__ import annotations

from backend.core.openapi_examples import Examples

NID = "01a22414-63d7-789b-b5df-a38de92d856c"
AT = "2026-11-28T21:33:50.123456+00:00"
SEND = {"recipients": ["user-42"], "template": "invoice.ready",
        "data": {"number": "INV-204", "amount": "€120.00"}, "category": "billing",
        "priority": "high", "channels": ["in_app", "email"],
        "idempotency_key": "invoice-204-ready"}
ACCEPTED = {"id": NID, "status": "accepted", "notifications": [{"id": NID, "recipient": "user-42"}]}
TEMPLATE = {"title": "Invoice {{ number }} is ready", "body": "Amount due: {{ amount }}",
            "email_subject": "Your invoice {{ number }}", "email_html": None,
            "email_text": "Amount due: {{ amount }}", "slack_text": None}
RENDERED = {"locale": "en", "version": 3, "title": "Invoice INV-204 is ready",
            "body": "Amount due: €120.00", "email_subject": "Your invoice INV-204",
            "email_html": None, "email_text": "Amount due: €120.00", "slack_text": None}
SCHEDULE = {"cron": "0 9 * * mon-fri", "timezone": "Europe/Paris",
            "notification": {"recipients": ["user-42"],
                             "content": {"title": "Good morning", "body": "Your daily summary"}}}
PREFERENCES = {"categories": {"marketing": {"email": False}, "*": {"slack": False}},
               "quiet_hours": {"start": "22:00", "end": "07:00"}, "digest": "daily"}
WEBHOOK = {"id": "3f0e2c4a-8b1d-4e6f-9a2b-7c5d3e1f0a9b", "url": "https://api.example.com/herald",
           "events": ["notification.delivered", "notification.read"], "created_at": AT}
TOPIC = {"key": "release-notes", "name": "Release notes", "subscribers": 1204}
ORIGINS = {"origins": ["http://localhost:3000", "https://app.example.com"]}

EXAMPLES: Examples = {
    ("POST", "/v1/notifications"): {"request": SEND, "response": ACCEPTED},
    ("POST", "/v1/notifications/batch"): {
        "request": {"items": [SEND, {"recipients": ["user-7", "user-8"],
                                     "content": {"title": "Deploy finished"}}]},
        "response": {"items": [ACCEPTED, {"id": "01a22414-63d7-7aa0-8b41-5e2a0f6b7c11",
                                          "status": "accepted", "notifications": [
            {"id": "01a22414-63d7-7aa1-9f3c-1b2d3e4f5a60", "recipient": "user-7"},
            {"id": "01a22414-63d7-7aa2-a1b2-c3d4e5f6a7b8", "recipient": "user-8"}]}]}},
    ("PATCH", "/v1/notifications/{notification_id}"): {
        "request": {"template": "invoice.paid", "data": {"number": "INV-204"}},
        "response": {"id": NID, "changed": 1}},
    ("DELETE", "/v1/notifications/{notification_id}"): {"response": {"id": NID, "changed": 1}},
    ("POST", "/v1/webhooks"): {"request": {"url": WEBHOOK["url"], "events": WEBHOOK["events"]},
                               "response": {**WEBHOOK, "secret": "whsec_3q2-Xc0c9mF1a8Jt"}},
    ("GET", "/v1/webhooks"): {"response": [WEBHOOK]},
    ("GET", "/v1/webhooks/{webhook_id}"): {"response": WEBHOOK},
    ("GET", "/v1/webhooks/{webhook_id}/events"): {"response": {"items": [{
        "id": "9d1c1e8e-54b1-4b0e-9a1e-2f8d7c6b5a41", "type": "notification.read",
        "created_at": AT, "data": {"notification_id": NID, "send_id": NID,
                                   "recipient": "user-42", "status": "read", "reason": None,
                                   "category": "billing"},
        "delivered_at": AT, "failed_at": None, "next_at": None,
        "attempts": [{"at": AT, "status": 503, "error": "answered 503 Service Unavailable"},
                     {"at": AT, "status": 200, "error": None}]}],
        "next_cursor": None}},
    ("PUT", "/v1/topics/{key}"): {"request": {"name": "Release notes"}, "response": TOPIC},
    ("GET", "/v1/topics/{key}"): {"response": TOPIC},
    ("POST", "/v1/topics/{key}/subscribers"): {
        "request": {"add": ["user-42", "user-7"], "remove": ["user-8"]},
        "response": {"added": 2, "removed": 1, "subscribers": 1205}},
    ("GET", "/v1/topics/{key}/subscribers"): {"response": {
        "items": ["user-42", "user-7"], "next_cursor": "4107"}},
    ("GET", "/v1/notifications/{notification_id}"): {"response": {
        "id": NID, "status": "delivered", "status_reason": None, "recipient": "user-42",
        "seq": 17, "category": "billing", "priority": "high",
        "title": "Invoice INV-204 is ready", "body": "Amount due: €120.00",
        "created_at": AT, "delivered_at": AT, "read_at": None,
        "attempts": [{"channel": "in_app", "attempt": 1, "outcome": "delivered",
                      "error": None, "at": AT}]}},
    ("PUT", "/v1/templates/{key}/{locale}"): {
        "request": TEMPLATE,
        "response": {**TEMPLATE, "locale": "en", "version": 3, "key": "invoice.ready",
                     "created_at": AT}},
    ("POST", "/v1/templates/{key}/preview"): {
        "request": {"locale": "en", "timezone": "UTC",
                    "data": {"number": "INV-204", "amount": "€120.00"}},
        "response": RENDERED},
    ("POST", "/v1/schedules"): {"request": SCHEDULE, "response": {
        "id": "5b0c8f5e-2f57-4d7e-9c55-0d2b1a9e8f11", **SCHEDULE,
        "next_run_at": "2026-11-30T08:00:00+00:00", "runs": 0, "created_at": AT,
        "status": "active", "failure_reason": None}},
    ("GET", "/v1/schedules"): {"response": [{
        "id": "5b0c8f5e-2f57-4d7e-9c55-0d2b1a9e8f11", **SCHEDULE,
        "next_run_at": "2026-11-30T08:00:00+00:00", "runs": 12, "created_at": AT,
        "status": "active", "failure_reason": None}]},
    ("GET", "/v1/schedules/{schedule_id}"): {"response": {
        "id": "5b0c8f5e-2f57-4d7e-9c55-0d2b1a9e8f11", **SCHEDULE,
        "next_run_at": "2026-11-30T08:00:00+00:00", "runs": 12, "created_at": AT,
        "status": "active", "failure_reason": None}},
    ("PUT", "/v1/users/{user_id}"): {
        "request": {"name": "Ada Lovelace", "locale": "fr", "timezone": "Europe/Paris",
                    "email": "ada@example.com"},
        "response": {"user_id": "user-42", "name": "Ada Lovelace", "locale": "fr",
                     "timezone": "Europe/Paris", "email": "ada@example.com",
                     "slack_webhook_url": None}},
    ("DELETE", "/v1/users/{user_id}"): {"response": {"user_id": "user-42", "erased": {
        "notifications": 212, "subscriptions": 3, "scheduled": 1, "events": 40,
        "stream_entries": 0, "dead_letters": 0}}},
    ("PUT", "/v1/users/{user_id}/preferences"): {"request": PREFERENCES,
                                                  "response": PREFERENCES},
    ("PUT", "/v1/preferences/defaults"): {
        "request": {**PREFERENCES, "required_categories": ["security"]},
        "response": {**PREFERENCES, "required_categories": ["security"]}},
    ("POST", "/v1/tokens"): {
        "request": {"user_id": "user-42", "ttl_seconds": 3600},
        "response": {"token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyLTQyIn0.c2ln",
                     "expires_at": "2026-11-28T22:33:50+00:00"}},
    ("GET", "/v1/dead-letters"): {"response": {"items": [{
        "id": "1795901276000-0", "reason": "could not persist: DataError('value too long')",
        "at": AT, "payload": {"id": NID, "recipient": "user-42"}}], "next_after": None}},
    ("GET", "/v1/tenant/allowed-origins"): {"response": ORIGINS},
    ("PUT", "/v1/tenant/allowed-origins"): {"request": ORIGINS, "response": ORIGINS},
    ("GET", "/healthz"): {"response": {"status": "ok"}},
    ("GET", "/readyz"): {"response": {"status": "ready"}},
}
