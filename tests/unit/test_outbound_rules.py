"""Where outbound calls may go (HERALD_OUTBOUND_ALLOW), and how delivery events are signed."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from backend.channels.webhooks import Exempt, RefusedWebhook, WebhookPolicy
from backend.notifications.webhook_events import signature


def events_policy(*allow: str) -> WebhookPolicy:
    return WebhookPolicy(None, False, False, 5.0, Exempt.parse(list(allow)))


def test_signature_is_hmac_sha256_of_time_dot_body():
    raw = b'{"id":"e1","type":"notification.read"}'
    expected = hmac.new(b"whsec_k", b"1700000000." + raw, hashlib.sha256).hexdigest()
    assert signature("whsec_k", raw, at=1700000000) == f"t=1700000000,v1={expected}"
    assert signature("whsec_other", raw, at=1700000000) != signature("whsec_k", raw, 1700000000)


@pytest.mark.parametrize(("url", "words"), [
    ("http://example.com/x", "must use https"),
    ("https://10.0.0.5/x", "not public"),
    ("https://[::1]/x", "not public"),
    ("https://u:p@example.com/x", "user or password"),
    ("ftp://example.com/x", "must use https"),
])
def test_by_default_only_public_https_is_allowed(url, words):
    with pytest.raises(RefusedWebhook, match=words):
        events_policy().check_url(url)
    events_policy().check_url("https://example.com/hook")  # any public host


def test_listed_hosts_and_networks_may_be_private_and_plain_http():
    policy = events_policy("10.0.0.0/8", "hooks.internal")
    policy.check_url("http://10.1.2.3:8080/x")
    policy.check_url("http://hooks.internal/x")
    policy.check_url("https://10.200.0.1/x")
    with pytest.raises(RefusedWebhook, match="not public"):
        policy.check_url("https://192.168.1.1/x")
    with pytest.raises(RefusedWebhook, match="must use https"):
        policy.check_url("http://other.internal/x")
    # A name resolving into a listed network is allowed http once its addresses are known.
    policy.check_url("http://svc.local/x", addresses=["10.9.9.9"])


def test_a_malformed_network_is_refused_at_startup():
    with pytest.raises(ValueError, match="not a network"):
        Exempt.parse(["10.0.0.300/8"])


@pytest.mark.parametrize("url", [
    "https://2130706433/x", "https://0x7f000001/x", "https://0177.0.0.1/x", "https://127.1/x",
    "https://localhost./x", "https://[::7f00:1]/x", "https://[64:ff9b::7f00:1]/x",
    "https://[2002:7f00:1::]/x", "https://[::ffff:10.0.0.1]/x",
])
def test_private_addresses_in_disguise_are_refused_without_naming_them(url):
    with pytest.raises(RefusedWebhook) as refused:
        events_policy().check_url(url)
    assert str(refused.value).startswith("webhook address is not public")
    assert "127" not in str(refused.value) and "10.0" not in str(refused.value)


def test_public_addresses_carried_in_ipv6_are_allowed():
    events_policy().check_url("https://[64:ff9b::808:808]/x")  # NAT64 to 8.8.8.8


def test_slack_urls_use_port_443():
    slack = WebhookPolicy(("hooks.slack.com",), False, False, 5.0)
    slack.check_url("https://hooks.slack.com/services/x")
    slack.check_url("https://hooks.slack.com:443/services/x")
    with pytest.raises(RefusedWebhook, match="port 443"):
        slack.check_url("https://hooks.slack.com:38000/x")


@pytest.mark.parametrize("value", ['["10.0.0.0/8", "hooks.internal"]',
                                   "10.0.0.0/8, hooks.internal"])
def test_outbound_allow_takes_json_like_every_list_setting_or_commas(monkeypatch, value):
    from backend.core.config import Settings

    monkeypatch.setenv("HERALD_OUTBOUND_ALLOW", value)
    assert Settings().outbound_allow == ["10.0.0.0/8", "hooks.internal"]
