"""Bad credentials and bad bodies get a clear error that names the problem, and change nothing."""

from __future__ import annotations

import time

import httpx
import jwt
import pytest
import websockets

from tests.support.sockets import token_for
from tests.support.stack import Stack, TenantKeys

VALID = {"recipients": ["u1"], "content": {"title": "t", "body": "b"}}



@pytest.mark.parametrize("headers", [{}, {"X-API-Key": "sk_wrong"}])
def test_missing_or_wrong_key_is_401(stack: Stack, headers: dict):
    before = stack.last_stream_id()
    response = httpx.post(f"{stack.api_url}/v1/notifications", json=VALID, headers=headers)
    assert response.status_code == 401
    assert "key" in response.json()["detail"].lower()
    assert stack.last_stream_id() == before


def test_publishable_key_cannot_send(stack: Stack, tenant: TenantKeys):
    response = httpx.post(f"{stack.api_url}/v1/notifications", json=VALID,
                          headers={"X-API-Key": tenant.publishable_key})
    assert response.status_code == 401
    assert response.json()["detail"] == (
        "this is a publishable key (pk_…), for browsers: the service API takes the tenant's "
        "secret key (sk_…)")


@pytest.mark.parametrize(("body", "field"), [
    ({"content": {"title": "t"}}, "recipients"),
    ({**VALID, "priority": "urgent"}, "priority"),
    ({**VALID, "recipients": []}, "recipients"),
    ({**VALID, "content": {"title": "{{ oops"}}, "title"),
    ({**VALID, "channels": ["pigeon"]}, "channels"),
    ({**VALID, "locale": "xx-NOPE"}, "locale"),
])
def test_malformed_body_is_422_naming_the_field(api: httpx.Client, stack: Stack, body, field):
    before = stack.last_stream_id()
    response = api.post("/v1/notifications", json=body)
    assert response.status_code == 422
    locations = [err["loc"] for err in response.json()["detail"]]
    assert any(field in loc for loc in locations), locations
    assert stack.last_stream_id() == before


def test_a_body_that_is_not_json_is_told_so(api: httpx.Client):
    """curl's -d alone sends a form: the answer says how to send JSON."""
    response = api.post("/v1/notifications", content=b'{"recipients":["u"]}',
                        headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 415
    assert response.json()["detail"] == (
        "send JSON with content-type: application/json (this request's content-type: "
        "application/x-www-form-urlencoded)")


def test_development_tokens_are_off_unless_herald_up_runs_embedded(stack: Stack,
                                                                     tenant: TenantKeys):
    response = httpx.get(f"{stack.gateway_url}/v1/me/dev-token", params={
        "user": "u", "api_key": tenant.publishable_key})
    assert response.status_code == 404 and "HERALD_DEV_TOKENS" in response.text


def test_template_syntax_error_names_the_line(api: httpx.Client):
    response = api.post("/v1/notifications", json={
        **VALID, "content": {"title": "ok", "body": "line one\n{% if %}"}})
    assert response.status_code == 422
    assert "line 2" in response.text


def test_unknown_notification_is_404_and_other_tenants_are_invisible(
    api: httpx.Client, stack: Stack, tenant: TenantKeys, base_env
):
    from tests.support.db import new_tenant

    sent = api.post("/v1/notifications", json=VALID).json()
    other = new_tenant("other")
    response = httpx.get(f"{stack.api_url}/v1/notifications/{sent['id']}",
                         headers={"X-API-Key": other.secret_key})
    assert response.status_code == 404


async def _close_code(stack: Stack, publishable_key: str, token: str) -> tuple[int, list]:
    """Connect with a first-frame token; returns the close code and any data frames received."""
    received = []
    async with websockets.connect(f"{stack.ws_url}?api_key={publishable_key}") as ws:
        await ws.send(f'{{"type":"auth","token":"{token}"}}')
        try:
            while True:
                received.append(await ws.recv())
        except websockets.ConnectionClosed as closed:
            return closed.rcvd.code, received
    raise AssertionError("socket stayed open")


async def test_token_of_another_tenant_closes_4401(stack: Stack, tenant: TenantKeys):
    from tests.support.db import new_tenant

    other = new_tenant("other")
    foreign = token_for(stack.api_url, other.secret_key, "mallory")
    code, frames = await _close_code(stack, tenant.publishable_key, foreign)
    assert (code, frames) == (4401, [])


@pytest.mark.parametrize("make_token", [
    lambda secret: jwt.encode({"sub": "u", "exp": int(time.time()) - 10}, secret, "HS256"),
    lambda secret: jwt.encode({"exp": int(time.time()) + 60}, secret, "HS256"),
    lambda secret: jwt.encode({"sub": "u", "exp": int(time.time()) + 60}, None, "none"),
    lambda secret: "not-a-jwt",
])
async def test_bad_tokens_close_4401_before_data(stack: Stack, tenant: TenantKeys, make_token):
    code, frames = await _close_code(stack, tenant.publishable_key,
                                     make_token(tenant.signing_secret))
    assert (code, frames) == (4401, [])
