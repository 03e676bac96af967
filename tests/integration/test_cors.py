"""CORS on the gateway's REST inbox: a page on an origin its tenant allows may call it; a page
on another origin may not; the origins are set through the service API and the CLI."""

from __future__ import annotations

import secrets
import subprocess
import sys
import uuid

import httpx

from tests.support.api import send
from tests.support.db import new_tenant
from tests.support.harness import REPO, wait_until
from tests.support.sockets import token_for
from tests.support.stack import Stack, TenantKeys

PREFLIGHT = {"Access-Control-Request-Method": "GET",
             "Access-Control-Request-Headers": "authorization,x-api-key"}


def _origin() -> str:
    return f"https://app-{secrets.token_hex(3)}.example.test"


def _preflight(stack: Stack, origin: str) -> httpx.Response:
    return httpx.options(f"{stack.gateway_url}/v1/me/notifications",
                         headers={"Origin": origin, **PREFLIGHT}, timeout=10)


def _allow(api: httpx.Client, *origins: str) -> httpx.Response:
    return api.put("/v1/tenant/allowed-origins", json={"origins": list(origins)})


def test_a_preflight_from_an_allowed_origin_passes_and_another_fails(
        stack: Stack, api: httpx.Client):
    origin = _origin()
    answer = _allow(api, origin + "/")  # a trailing slash is how people paste origins
    assert answer.status_code == 200 and answer.json() == {"origins": [origin]}
    assert api.get("/v1/tenant/allowed-origins").json() == {"origins": [origin]}

    # Gateway nodes learn of a change within 30 s (they cache every tenant's origins).
    wait_until(lambda: _preflight(stack, origin).status_code == 204, timeout=40,
               what="the gateway to allow the new origin")
    allowed = _preflight(stack, origin)
    assert allowed.headers["access-control-allow-origin"] == origin
    assert "x-api-key" in allowed.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in allowed.headers

    refused = _preflight(stack, "https://elsewhere.example.test")
    assert refused.status_code == 403
    assert "access-control-allow-origin" not in refused.headers
    assert "https://elsewhere.example.test" in refused.json()["detail"]


def test_the_answer_is_readable_only_by_an_origin_of_the_keys_tenant(
        stack: Stack, api: httpx.Client, tenant: TenantKeys):
    origin, user = _origin(), f"cors-{uuid.uuid4().hex[:6]}"
    assert _allow(api, origin).status_code == 200
    send(api, user, "over CORS")
    other = new_tenant()  # allows nothing
    for keys, readable in ((tenant, True), (other, False)):
        token = token_for(stack.api_url, keys.secret_key, user)
        answer = httpx.get(f"{stack.gateway_url}/v1/me/unread-count", headers={
            "Origin": origin, "Authorization": f"Bearer {token}",
            "X-API-Key": keys.publishable_key}, timeout=10)
        assert answer.status_code == 200
        assert (answer.headers.get("access-control-allow-origin") == origin) is readable
        assert answer.headers["vary"] == "Origin"


def test_bad_origins_are_refused_and_change_nothing(api: httpx.Client):
    origin = _origin()
    assert _allow(api, origin).status_code == 200
    for bad in ("app.example.test", "https://app.example.test/inbox", "ftp://app.example.test",
                "https://user@app.example.test"):
        answer = _allow(api, bad)
        assert answer.status_code == 422, bad
        assert bad in str(answer.json()["detail"][0]["msg"]), answer.json()
    assert _allow(api, *[f"https://a{i}.example.test" for i in range(51)]).status_code == 422
    assert api.get("/v1/tenant/allowed-origins").json() == {"origins": [origin]}


def test_the_cli_sets_and_shows_a_tenants_origins(base_env: dict[str, str], api: httpx.Client,
                                                  tenant: TenantKeys):
    def herald(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "backend.cli", "tenant", "origins",
                               tenant.tenant_id, *args], cwd=REPO, env=base_env,
                              capture_output=True, text=True, timeout=60)

    first, second = _origin(), _origin()
    assert herald(first, second).returncode == 0
    assert herald().stdout.split() == sorted([first, second])
    assert api.get("/v1/tenant/allowed-origins").json() == {"origins": sorted([first, second])}
    bad = herald("https://x.example.test/path")
    assert bad.returncode == 2 and "no path" in bad.stderr
    assert herald("--clear").stdout.startswith("no origin allowed")
