"""A schedule is accepted only if it will run, not too often; and one broken schedule fails
alone, with its reason, while every other tenant's schedules keep running."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.support.db import session_scope
from tests.support.harness import wait_until
from tests.support.sockets import connect, token_for
from tests.support.stack import Stack, StartPart, TenantKeys

NOTE = {"recipients": ["s1"], "content": {"title": "tick"}}


@pytest.fixture(scope="module")
def guarded(start_part: StartPart) -> str:
    """An API with the default minimum interval (the test stack allows per-second runs)."""
    api = start_part("api", name="api-schedule-guards", schedule_min_interval_seconds="60")
    return f"http://127.0.0.1:{api.port}"


@pytest.mark.parametrize(("cron", "words"), [
    ("10 14 28 11 * 0 2026", ["five", "six"]),
    ("0 0 31 2 *", ["never"]),
    ("0 0 30 2 *", ["never"]),
    ("* * * * * *", ["60"]),
    ("*/5 * * * * *", ["60"]),
])
def test_cron_that_cannot_run_sensibly_is_422(guarded: str, tenant: TenantKeys, cron: str,
                                              words: list[str]):
    response = httpx.post(f"{guarded}/v1/schedules", headers={"X-API-Key": tenant.secret_key},
                          json={"cron": cron, "notification": NOTE})
    assert response.status_code == 422, response.text
    assert all(w in response.text for w in words), response.text
    assert "cron" in str(response.json()["detail"][0]["loc"])


def test_schedule_with_unknown_template_is_422(api: httpx.Client):
    response = api.post("/v1/schedules", json={"cron": "0 9 * * *", "notification": {
        "recipients": ["s1"], "template": "no-such-template"}})
    assert response.status_code == 422, response.text
    assert "no-such-template" in response.text


async def test_a_broken_schedule_fails_alone(api: httpx.Client, stack: Stack,
                                             tenant: TenantKeys):
    from backend.db.models import Schedule
    from tests.support.db import new_tenant

    other = new_tenant("punctual")
    due = datetime.now(UTC) - timedelta(seconds=1)
    broken, good = uuid.uuid4(), uuid.uuid4()
    with session_scope() as session:  # as rows written before validation was tightened
        session.add(Schedule(id=broken, tenant_id=uuid.UUID(tenant.tenant_id),
                             cron="10 14 28 11 * 0 2026", timezone="UTC",
                             notification=NOTE, next_run_at=due, runs=0))
        session.add(Schedule(id=good, tenant_id=uuid.UUID(other.tenant_id), cron="0 9 * * *",
                             timezone="UTC", next_run_at=due, runs=0,
                             notification={"recipients": ["p1"],
                                           "content": {"title": "on time"}}))
    sock = await connect(stack.ws_url, other.publishable_key,
                         token_for(stack.api_url, other.secret_key, "p1"), since=0)
    frame = await sock.next_of("notification", timeout=30)
    assert frame["title"] == "on time"
    await sock.close()
    failed = wait_until(lambda: (s := api.get(f"/v1/schedules/{broken}").json())
                        .get("status") == "failed" and s, what="the broken schedule to fail")
    assert failed["failure_reason"]
