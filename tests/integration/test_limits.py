"""Every input is bounded: a request too large is refused with 413 naming the limit, a tenant
over its quota gets 429 with Retry-After, and a refused request queues nothing."""

from __future__ import annotations

import httpx
import pytest

from tests.support.stack import Stack, StartPart, TenantKeys


def refused(response: httpx.Response, status: int, *words: str) -> None:
    assert response.status_code == status, response.text[:500]
    text = response.text.lower()
    assert all(word.lower() in text for word in words), response.text[:500]


def test_body_over_the_limit_is_413_and_queues_nothing(api: httpx.Client, stack: Stack):
    before = stack.last_stream_id()
    body = {"recipients": ["u1"], "content": {"title": "t"}, "data": {"blob": "x" * 2_000_000}}
    refused(api.post("/v1/notifications", json=body), 413, "HERALD_MAX_REQUEST_BYTES")
    assert stack.last_stream_id() == before


def test_data_over_the_limit_is_413(api: httpx.Client, stack: Stack):
    before = stack.last_stream_id()
    body = {"recipients": ["u1"], "content": {"title": "t"}, "data": {"blob": "x" * 100_000}}
    refused(api.post("/v1/notifications", json=body), 413, "data", "HERALD_MAX_DATA_BYTES")
    assert stack.last_stream_id() == before


def test_recipients_times_payload_is_bounded(api: httpx.Client, stack: Stack):
    """1,000 recipients of 30 KB each would write 30 MB into Redis in one request."""
    before = stack.last_stream_id()
    body = {"recipients": [f"r{i}" for i in range(1000)], "content": {"title": "t"},
            "data": {"blob": "x" * 30_000}}
    refused(api.post("/v1/notifications", json=body), 413, "HERALD_MAX_FANOUT_BYTES")
    assert stack.last_stream_id() == before


def test_batch_cannot_multiply_past_the_per_request_cap(api: httpx.Client, stack: Stack):
    """20 items of 1,000 recipients each: 20,000 notifications from one small request."""
    before = stack.last_stream_id()
    item = {"recipients": [f"r{i}" for i in range(1000)], "content": {"title": "t"}}
    response = api.post("/v1/notifications/batch", json={"items": [item] * 20})
    refused(response, 413, "HERALD_MAX_NOTIFICATIONS_PER_REQUEST")
    assert stack.last_stream_id() == before


def test_gateway_refuses_a_huge_preferences_document(stack: Stack, tenant: TenantKeys):
    from tests.support.sockets import token_for

    token = token_for(stack.api_url, tenant.secret_key, "big-prefs")
    huge = {"categories": {f"c{i}": {"email": False} for i in range(400_000)}}
    response = httpx.put(f"{stack.gateway_url}/v1/me/preferences", json=huge, timeout=60,
                         headers={"Authorization": f"Bearer {token}",
                                  "X-API-Key": tenant.publishable_key})
    refused(response, 413, "HERALD_MAX_REQUEST_BYTES")
    many = {"categories": {f"c{i}": {"email": False} for i in range(500)}}
    response = httpx.put(f"{stack.gateway_url}/v1/me/preferences", json=many,
                         headers={"Authorization": f"Bearer {token}",
                                  "X-API-Key": tenant.publishable_key})
    refused(response, 422, "categories")


@pytest.fixture(scope="module")
def quota_api(start_part: StartPart) -> str:
    """An API whose tenants may send 5 notifications a second, 10 at once."""
    api = start_part("api", name="api-quota", tenant_rate_per_second="5", tenant_burst="10")
    return f"http://127.0.0.1:{api.port}"


def test_tenant_over_its_quota_gets_429_with_retry_after(quota_api: str, stack: Stack,
                                                         tenant: TenantKeys):
    before = stack.last_stream_id()
    headers = {"X-API-Key": tenant.secret_key}
    answers = [httpx.post(f"{quota_api}/v1/notifications", headers=headers,
                          json={"recipients": ["q"], "content": {"title": f"n{i}"}})
               for i in range(25)]
    accepted = [a for a in answers if a.status_code == 202]
    throttled = [a for a in answers if a.status_code == 429]
    assert len(accepted) + len(throttled) == 25
    assert 10 <= len(accepted) < 25
    assert float(throttled[0].headers["Retry-After"]) > 0
    assert "HERALD_TENANT_RATE_PER_SECOND" in throttled[0].text
    assert stack.appended_since(before) <= len(accepted)
    # A fan-out costs one token per recipient: 11 recipients can never fit a burst of 10.
    from tests.support.db import new_tenant

    big = httpx.post(f"{quota_api}/v1/notifications",
                     headers={"X-API-Key": new_tenant("big").secret_key},
                     json={"recipients": [f"r{i}" for i in range(11)],
                           "content": {"title": "t"}})
    refused(big, 413, "burst")


def test_a_tenant_out_of_quota_is_refused_before_its_body_is_judged(quota_api: str,
                                                                    tenant: TenantKeys):
    headers = {"X-API-Key": tenant.secret_key}
    while httpx.post(f"{quota_api}/v1/notifications", headers=headers, json={
            "recipients": ["q"], "content": {"title": "t"}}).status_code == 202:
        pass
    malformed = httpx.post(f"{quota_api}/v1/notifications", headers=headers,
                           json={"recipients": [f"r{i}" for i in range(5000)]})
    refused(malformed, 429, "quota")


def test_one_tenants_quota_is_not_anothers(quota_api: str, stack: Stack):
    from tests.support.db import new_tenant

    noisy, quiet = new_tenant("noisy"), new_tenant("quiet")
    for i in range(30):
        httpx.post(f"{quota_api}/v1/notifications", headers={"X-API-Key": noisy.secret_key},
                   json={"recipients": ["x"], "content": {"title": f"{i}"}})
    response = httpx.post(f"{quota_api}/v1/notifications",
                          headers={"X-API-Key": quiet.secret_key},
                          json={"recipients": ["x"], "content": {"title": "mine"}})
    assert response.status_code == 202, response.text
