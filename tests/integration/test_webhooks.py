"""Slack webhook URLs are a tenant's input: they cannot be turned toward Herald's own network,
a slow one cannot hold a worker, what they answer is not shown back, and they never reach a
log."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.integration.test_fallbacks import profile, settled
from tests.support.api import send
from tests.support.harness import wait_until
from tests.support.peers import DrippingWebhook, SlackWebhook
from tests.support.stack import Stack, StartPart, TenantKeys

LOOPBACK = "http://127.0.0.1:{port}/services/T0/B0/loopback-secret"


@pytest.fixture(scope="module")
def strict_api(start_part: StartPart) -> str:
    """An API with the default webhook policy (the test stack widens it for its fake Slack)."""
    api = start_part("api", name="api-strict-webhooks", webhook_allowed_hosts='["hooks.slack.com"]',
                     webhook_allow_private="false", webhook_allow_http="false")
    return f"http://127.0.0.1:{api.port}"


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:6379/", "https://127.0.0.1/hooks", "https://169.254.169.254/latest",
    "https://hooks.slack.com.evil.test/services/x", "http://hooks.slack.com/services/x",
    "https://localhost/services/x",
])
def test_default_policy_refuses_webhooks_outside_slack(strict_api: str, tenant: TenantKeys,
                                                       url: str):
    response = httpx.put(f"{strict_api}/v1/users/w1", headers={"X-API-Key": tenant.secret_key},
                         json={"slack_webhook_url": url})
    assert response.status_code == 422, response.text
    assert "slack_webhook_url" in str(response.json()["detail"])


def test_default_policy_accepts_slack(strict_api: str, tenant: TenantKeys):
    response = httpx.put(f"{strict_api}/v1/users/w1", headers={"X-API-Key": tenant.secret_key},
                         json={"slack_webhook_url": "https://hooks.slack.com/services/T/B/x"})
    assert response.status_code == 200, response.text


def test_private_address_is_refused_at_send_time(slack: SlackWebhook):
    """A host name on the allow-list that resolves (now) to a loopback address: the check at
    save time could not see it, the one at send time refuses before connecting."""
    import socket

    from backend.channels.base import PermanentError
    from backend.channels.slack import SlackChannel, SlackMessage
    from backend.channels.webhooks import WebhookPolicy

    # A name only DNS (here /etc/hosts) knows to be this machine: the machine's own name.
    name = socket.gethostname().lower()
    if socket.gethostbyname(name) != "127.0.0.1":
        pytest.skip(f"{name} does not resolve to 127.0.0.1 on this machine")
    policy = WebhookPolicy(allowed_hosts=(name,), allow_private=False, allow_http=True,
                           timeout_seconds=3)
    url = slack.url.replace("127.0.0.1", name)
    policy.check_url(url)  # what a save would have checked: fine
    with pytest.raises(PermanentError, match="not public"):
        SlackChannel(policy).send(SlackMessage(url, "hello"))
    assert slack.requests == []


def test_the_answer_body_is_never_stored(api: httpx.Client, slack: SlackWebhook):
    slack.script = [(400, {})]
    slack.body = b"internal: db password is hunter2"
    profile(api, "nosy", slack_webhook_url=slack.url)
    nid = send(api, "nosy", "hello", channels=["slack"])["id"]
    result = settled(api, nid, "failed", "fallback_sent")
    (attempt,) = [a for a in result["attempts"] if a["channel"] == "slack"]
    assert attempt["outcome"] == "failed" and "400" in attempt["error"]
    assert "hunter2" not in str(result)


@pytest.fixture
def dripping() -> Iterator[str]:
    server = DrippingWebhook()
    yield server.url
    server.close()


def test_a_dripping_webhook_hits_one_overall_deadline(api: httpx.Client, dripping: str):
    profile(api, "dripped", slack_webhook_url=dripping)
    nid = send(api, "dripped", "hello", channels=["slack"])["id"]
    attempt = wait_until(lambda: [a for a in api.get(f"/v1/notifications/{nid}")
                                  .json()["attempts"] if a["outcome"] != "sending"],
                         timeout=60, what="the first slack attempt to end")[0]
    assert attempt["outcome"] == "error" and "deadline" in attempt["error"], attempt


def test_no_secret_reaches_any_log(api: httpx.Client, stack: Stack, slack: SlackWebhook,
                                   tenant: TenantKeys):
    secret_path = "/services/T000/B000/XXX"
    profile(api, "logged", slack_webhook_url=slack.url, email="logged@example.test")
    nid = send(api, "logged", "hello", channels=["slack", "email"])["id"]
    settled(api, nid, "fallback_sent", "failed")
    wait_until(lambda: len(slack.delivered()) >= 1, what="the webhook to be called")
    logs = "".join(proc.output() for proc in stack.procs.values())
    assert logs, "the parts write logs"
    for secret in (secret_path, tenant.secret_key, tenant.signing_secret,
                   stack.env["HERALD_INTERNAL_KEY"]):
        assert secret not in logs, secret
