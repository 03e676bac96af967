"""Templates are a hostile tenant's code: a render past its budget fails that one
notification (or that preview) with a reason, never the worker, the batch or another tenant."""

from __future__ import annotations

import httpx
import pytest

from tests.support.harness import wait_until
from tests.support.sockets import connect, token_for
from tests.support.stack import Stack, TenantKeys

BOMBS = [
    "{{ n ** (n ** 7) % 7 }}",
    "{{ 'x' * 10 ** 8 }}",
    "{{ 'ab' * 100000000 }}",
    "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "{% for i in range(99999) %}{{ 'y' * 9999 }}{% endfor %}",
    "{{ '%099999999d' % 1 }}",
]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("bomb", BOMBS)
def test_preview_of_a_template_bomb_is_refused(api: httpx.Client, bomb: str):
    assert api.put("/v1/templates/bomb/en", json={"title": bomb}).status_code in (200, 201)
    response = api.post("/v1/templates/bomb/preview", json={"data": {"n": 9}}, timeout=60)
    assert response.status_code == 422, response.text[:300]
    assert "budget" in response.text or "too large" in response.text, response.text[:300]
    assert httpx.get(f"{api.base_url}/healthz", timeout=5).status_code == 200


@pytest.mark.timeout(120)
async def test_a_bomb_fails_its_notification_not_the_batch_nor_other_tenants(
    api: httpx.Client, stack: Stack, tenant: TenantKeys
):
    from tests.support.db import new_tenant

    other = new_tenant("bystander")
    sock = await connect(stack.ws_url, other.publishable_key,
                         token_for(stack.api_url, other.secret_key, "b1"), since=0)
    bombs = [api.post("/v1/notifications", json={
        "recipients": ["victim"], "content": {"title": bomb}, "data": {"n": 9},
        "channels": ["in_app"]}).json()["id"] for bomb in BOMBS[:4]]
    fine = api.post("/v1/notifications", json={
        "recipients": ["victim"], "content": {"title": "fine {{ n }}"}, "data": {"n": 9},
        "channels": ["in_app"]}).json()["id"]
    theirs = httpx.post(f"{stack.api_url}/v1/notifications",
                        headers={"X-API-Key": other.secret_key},
                        json={"recipients": ["b1"], "content": {"title": "unharmed"}})
    frame = await sock.next_of("notification", timeout=60)
    assert frame["title"] == "unharmed" and frame["id"] == theirs.json()["id"]
    await sock.close()

    def state(nid: str) -> dict:
        return api.get(f"/v1/notifications/{nid}").json()

    def render_failed(nid: str) -> dict | None:
        s = state(nid)
        errors = [a["error"] or "" for a in s.get("attempts", [])]
        return s if any("render" in e for e in errors) else None

    for nid in bombs:  # stored with the raw text, the render error recorded
        failed = wait_until(lambda nid=nid: render_failed(nid), timeout=60,
                            what=f"bomb {nid} to fail its render")
        assert len(failed["title"]) < 1000
    wait_until(lambda: state(fine)["status"] not in ("accepted", "failed"), timeout=30,
               what="the good notification of the same tenant to be stored")
    assert state(fine)["title"] == "fine 9"


def test_every_task_has_soft_and_hard_time_limits():
    import celeryconfig
    from backend.core.config import Settings

    config = celeryconfig.from_settings(Settings())
    soft, hard = config["task_soft_time_limit"], config["task_time_limit"]
    assert 0 < soft < hard < config["broker_transport_options"]["visibility_timeout"]
