"""Readers who stay away: in-app retries with backoff kept as rows, then Slack and email,
each with its own retries, each sent once."""

from __future__ import annotations

from datetime import datetime

import httpx

from tests.support.api import send
from tests.support.db import forget_waits, new_tenant, stored_count
from tests.support.harness import wait_until
from tests.support.peers import SlackWebhook, SmtpServer
from tests.support.sockets import connect, token_for
from tests.support.stack import Stack, TenantKeys

BASE = 0.4  # HERALD_RETRY_BASE_SECONDS in the test settings
ATTEMPTS = 3  # HERALD_RETRY_MAX_ATTEMPTS


def profile(api: httpx.Client, user: str, **fields) -> None:
    response = api.put(f"/v1/users/{user}", json=fields)
    assert response.status_code == 200, response.text


def status(api: httpx.Client, nid: str) -> dict:
    return api.get(f"/v1/notifications/{nid}").json()


def settled(api: httpx.Client, nid: str, *statuses: str) -> dict:
    return wait_until(lambda: (s := status(api, nid))["status"] in statuses and s,
                      timeout=60, what=f"{nid} to reach {statuses}")


def at(attempt: dict) -> datetime:
    return datetime.fromisoformat(attempt["at"])


def test_offline_reader_gets_retries_then_slack_then_email(
    api: httpx.Client, stack: Stack, slack: SlackWebhook, smtp: SmtpServer
):
    profile(api, "away", email="away@example.test", slack_webhook_url=slack.url)
    nid = send(api, "away", "Your report is ready", "Something happened",
               channels=["in_app", "slack", "email"])["id"]
    settled(api, nid, "fallback_sent", "failed")
    wait_until(lambda: not pending_delivery(nid), what="the fallback chain to end")
    result = status(api, nid)
    attempts = result["attempts"]
    assert [(a["channel"], a["attempt"], a["outcome"]) for a in attempts] == [
        ("in_app", 1, "offline"), ("in_app", 2, "offline"), ("in_app", 3, "offline"),
        ("slack", 1, "sent"), ("email", 1, "sent")]
    assert result["status"] == "fallback_sent"
    # Exponential backoff with equal jitter: the n-th wait is at least base * 2^(n-1) / 2.
    for n in (1, 2):
        gap = (at(attempts[n]) - at(attempts[n - 1])).total_seconds()
        assert gap >= BASE * 2 ** (n - 1) / 2, (n, gap)
    assert at(attempts[3]) <= at(attempts[4])
    assert [r["body"]["text"] for r in slack.requests] == [
        "*Your report is ready*\nSomething happened"]
    (mail,) = smtp.received("away@example.test")
    assert mail["Subject"] == "Your report is ready"
    assert mail["Message-ID"] == f"<{nid}@herald>"
    assert {part.get_content_type() for part in mail.walk()} >= {"text/plain", "text/html"}


async def test_reader_back_between_attempts_gets_replay_and_no_fallback(
    api: httpx.Client, stack: Stack, tenant: TenantKeys, slack: SlackWebhook, smtp: SmtpServer
):
    profile(api, "returns", email="returns@example.test", slack_webhook_url=slack.url)
    nid = send(api, "returns", "Ping", "Something happened",
               channels=["in_app", "slack", "email"])["id"]
    wait_until(lambda: status(api, nid)["attempts"], what="the first in-app attempt")
    sock = await connect(stack.ws_url, tenant.publishable_key,
                         token_for(stack.api_url, tenant.secret_key, "returns"), since=0)
    frame = await sock.next_of("notification")
    assert frame["id"] == nid
    await sock.close()
    assert settled(api, nid, "delivered")["status"] == "delivered"
    wait_until(lambda: not pending_delivery(nid), what="the retry chain to end")
    channels = {a["channel"] for a in status(api, nid)["attempts"]}
    assert channels == {"in_app"}
    assert slack.requests == [] and smtp.received("returns@example.test") == []


def pending_delivery(nid: str) -> bool:
    import uuid

    from backend.db.models import Delivery
    from tests.support.db import session_scope

    with session_scope() as session:
        return session.get(Delivery, uuid.UUID(nid)) is not None


def test_slack_500_twice_then_200_sends_one_message(api: httpx.Client, stack: Stack,
                                                    slack: SlackWebhook):
    slack.script = [(500, {}), (500, {})]
    profile(api, "s1", slack_webhook_url=slack.url)
    nid = send(api, "s1", "Ping", "Something happened", channels=["slack"])["id"]
    result = settled(api, nid, "fallback_sent", "failed")
    assert result["status"] == "fallback_sent"
    assert [r["status"] for r in slack.requests] == [500, 500, 200]
    assert [a["outcome"] for a in result["attempts"]] == ["error", "error", "sent"]


def test_slack_429_waits_for_retry_after(api: httpx.Client, stack: Stack, slack: SlackWebhook):
    slack.script = [(429, {"Retry-After": "1"})]
    profile(api, "s429", slack_webhook_url=slack.url)
    nid = send(api, "s429", "Ping", "Something happened", channels=["slack"])["id"]
    result = settled(api, nid, "fallback_sent", "failed")
    first, second = result["attempts"]
    assert (first["outcome"], second["outcome"]) == ("error", "sent")
    assert (at(second) - at(first)).total_seconds() >= 1.0
    assert len(slack.delivered()) == 1


def test_slack_404_fails_with_reason_and_no_retry(api: httpx.Client, stack: Stack,
                                                  slack: SlackWebhook):
    slack.script = [(404, {})]
    profile(api, "s404", slack_webhook_url=slack.url)
    nid = send(api, "s404", "Ping", "Something happened", channels=["slack"])["id"]
    result = settled(api, nid, "failed")
    assert "404" in result["status_reason"]
    assert len(slack.requests) == 1


def test_smtp_451_then_success_sends_exactly_one_email(api: httpx.Client, stack: Stack,
                                                       smtp: SmtpServer):
    smtp.recorder.failures["m451@example.test"] = ["451 4.3.0 Try again later"]
    profile(api, "m451", email="m451@example.test")
    nid = send(api, "m451", "Ping", "Something happened", channels=["email"])["id"]
    result = settled(api, nid, "fallback_sent", "failed")
    assert result["status"] == "fallback_sent"
    assert [a["outcome"] for a in result["attempts"]] == ["error", "sent"]
    assert "451" in result["attempts"][0]["error"]
    assert len(smtp.received("m451@example.test")) == 1


def test_reader_without_address_fails_with_clear_reason(api: httpx.Client, stack: Stack):
    nid = send(api, "nobody", "Ping", "Something happened", channels=["email"])["id"]
    result = settled(api, nid, "failed")
    assert result["status_reason"] == "reader has no email address"


def test_a_send_that_raises_unexpectedly_ends_failed_not_sending_forever(
    api: httpx.Client, stack: Stack, smtp: SmtpServer, tenant: TenantKeys
):
    """An address with CR/LF (stored before addresses were validated) makes building the
    email raise: the step ends failed with the reason, instead of an attempt left "sending"
    that comes back every lease."""
    import uuid

    from sqlalchemy import update

    from backend.db.models import User
    from tests.support.db import session_scope

    profile(api, "crlf", email="crlf@example.test")
    with session_scope() as session:
        session.execute(update(User).where(
            User.tenant_id == uuid.UUID(tenant.tenant_id), User.external_id == "crlf",
        ).values(email="crlf@example.test\r\nBcc: evil@example.test"))
    nid = send(api, "crlf", "Hi", "x", channels=["email"])["id"]
    result = settled(api, nid, "failed")
    assert "ValueError" in result["status_reason"]
    assert [a["outcome"] for a in result["attempts"]] == ["failed"]
    assert not pending_delivery(nid)
    assert smtp.received("crlf@example.test") == [] and smtp.received("evil@example.test") == []


LOW_BACKLOG = 5_000


def test_another_tenants_low_backlog_does_not_hold_up_an_email(
    api: httpx.Client, stack: Stack, tenant: TenantKeys, smtp: SmtpServer
):
    """A fallback send waits for first deliveries of its own priority and above, not behind
    every low notification and in-app retry queued: those can stay queued for minutes."""
    other = httpx.Client(base_url=stack.api_url, headers={"X-API-Key": new_tenant().secret_key},
                         timeout=30)
    profile(other, "mail-only", email="mail-only@example.test")
    try:
        for i in range(LOW_BACKLOG // 1000):  # at most 1,000 recipients per request
            assert api.post("/v1/notifications", json={
                "recipients": [f"bulk-{i}-{j}" for j in range(1000)], "priority": "low",
                "channels": ["in_app"], "content": {"title": "bulk"}}).status_code == 202
        # The bridge hands Celery a few batches at a time; the rest waits in Redis.
        wait_until(lambda: stack._redis().llen("notifications.low"), timeout=60,
                   what="the low backlog to reach Celery's low queue")
        nid = send(other, "mail-only", "Invoice", "body", channels=["email"])["id"]
        settled(other, nid, "fallback_sent")
        low_done = stored_count(tenant.tenant_id)
        print(f"low notifications stored when the email was sent: {low_done} of {LOW_BACKLOG}")
        assert low_done < LOW_BACKLOG
        assert [m["Subject"] for m in smtp.received("mail-only@example.test")] == ["Invoice"]
    finally:
        forget_waits(tenant.tenant_id)  # 15,000 retries are not the later tests' business
        other.close()
