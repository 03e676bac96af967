"""Rules judged without servers: webhook URLs, cron schedules, request sizes, addresses."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from backend.channels.webhooks import RefusedWebhook, WebhookPolicy
from backend.core.errors import TooLarge
from backend.core.validation import check_email
from backend.notifications.limits import RequestLimits
from backend.notifications.schedules import first_run
from backend.notifications.schemas import NotificationCreate

SLACK_ONLY = WebhookPolicy(("hooks.slack.com",), allow_private=False, allow_http=False,
                           timeout_seconds=10)


@pytest.mark.parametrize("url", [
    "http://hooks.slack.com/services/x", "https://hooks.slack.com.evil.test/x",
    "https://user:pw@hooks.slack.com/x", "https://127.0.0.1/x", "https://[::1]/x",
    "ftp://hooks.slack.com/x",
])
def test_default_webhook_policy_refuses(url: str):
    with pytest.raises(RefusedWebhook):
        SLACK_ONLY.check_url(url)


@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.5", "169.254.169.254", "::1",
                                     "::ffff:127.0.0.1", "192.168.1.1", "0.0.0.0"])
def test_widened_hosts_still_refuse_private_addresses(address: str):
    policy = WebhookPolicy((address.lower(),), allow_private=False, allow_http=True,
                           timeout_seconds=10)
    host = f"[{address}]" if ":" in address else address
    with pytest.raises(RefusedWebhook, match="not public"):
        policy.check_url(f"http://{host}/x")


def test_slack_itself_is_fine():
    SLACK_ONLY.check_url("https://hooks.slack.com/services/T0/B0/x")


NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("cron", "words"), [
    ("10 14 28 11 * 0 2026", "five fields"), ("0 0 31 2 *", "never"),
    ("* * * * * *", "every 1 s"), ("0,1 * * * * *", "every 1 s"), ("a b c d e", "not a valid"),
])
def test_crons_refused(cron: str, words: str):
    with pytest.raises(ValueError, match=words):
        first_run(cron, "UTC", NOW, 60, 366)


def test_a_sensible_cron_has_its_first_run():
    assert first_run("30 9 * * 1", "Europe/Berlin", NOW, 60, 366) == datetime(
        2026, 11, 30, 8, 30, tzinfo=UTC)


LIMITS = RequestLimits(data_bytes=1000, fanout_bytes=100_000, notifications=50)


def body(recipients: int, data: str = "") -> NotificationCreate:
    return NotificationCreate.model_validate({
        "recipients": [f"r{i}" for i in range(recipients)], "content": {"title": "t"},
        "data": {"d": data}})


def test_request_limits_name_their_setting():
    with pytest.raises(TooLarge, match="HERALD_MAX_DATA_BYTES"):
        LIMITS.check_all([body(1, "x" * 2000)])
    with pytest.raises(TooLarge, match="HERALD_MAX_FANOUT_BYTES"):
        LIMITS.check_all([body(99, "x" * 900)])
    with pytest.raises(TooLarge, match="HERALD_MAX_NOTIFICATIONS_PER_REQUEST"):
        LIMITS.check_all([body(30), body(30)])
    assert LIMITS.check_all([body(20), body(20)]) == 40


@pytest.mark.parametrize("address", ["a@b.co,c@d.co", "Eve <a@b.co>", "a@b.co\nBcc: x@y.co"])
def test_one_address_only(address: str):
    with pytest.raises(ValueError, match="single email address"):
        check_email(address)
