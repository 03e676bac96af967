"""Tenant A floods with everything a hostile tenant has (oversized requests, template bombs,
a dripping webhook, every-second schedules, more than its quota) while tenant B's readers
receive every one of B's notifications, once, in order, and B is never throttled."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
import redis

from tests.support import ingest
from tests.support.db import new_tenant
from tests.support.harness import wait_until
from tests.support.peers import DrippingWebhook
from tests.support.sockets import connect, token_for
from tests.support.stack import Stack, StartPart

B_SENDS = 60


@pytest.fixture(scope="module")
def shared_api(start_part: StartPart) -> str:
    """One API for both tenants, with a small per-tenant quota so A hits it."""
    api = start_part("api", name="api-neighbours", tenant_rate_per_second="50",
                     tenant_burst="200", schedule_min_interval_seconds="60")
    return f"http://127.0.0.1:{api.port}"


def flood(api_url: str, key: str, webhook: str, stop: float) -> dict[int, int]:
    codes: dict[int, int] = {}
    bombs = ["{{ 'x' * 10 ** 8 }}", "{% for i in range(100000) %}{% for j in range(100000) %}"
             "{% endfor %}{% endfor %}"]
    with httpx.Client(base_url=api_url, headers={"X-API-Key": key}, timeout=30) as api:
        api.put("/v1/users/a-reader", json={"slack_webhook_url": webhook})
        requests = [
            {"recipients": ["a-reader"], "content": {"title": "t"}, "data": {"x": "y" * 2_000_000}},
            *({"recipients": ["a-reader"], "content": {"title": b}, "channels": ["in_app"]}
              for b in bombs),
            {"recipients": ["a-reader"], "content": {"title": "slow"}, "channels": ["slack"]},
            {"recipients": [f"a{i}" for i in range(100)], "content": {"title": "fan"}},
        ]
        while time.monotonic() < stop:
            for body in requests:
                code = api.post("/v1/notifications", json=body).status_code
                codes[code] = codes.get(code, 0) + 1
            code = api.post("/v1/schedules", json={"cron": "* * * * * *", "notification":
                                                   requests[-1]}).status_code
            codes[code] = codes.get(code, 0) + 1
    return codes


async def test_tenant_b_is_served_while_tenant_a_floods(shared_api: str, stack: Stack):
    a, b = new_tenant("hostile"), new_tenant("innocent")
    webhook = DrippingWebhook()
    socks = [await connect(stack.ws_url, b.publishable_key,
                           token_for(stack.api_url, b.secret_key, f"b{i}"), since=0)
             for i in range(3)]
    flooding = asyncio.create_task(asyncio.to_thread(
        flood, shared_api, a.secret_key, webhook.url, time.monotonic() + 20))
    latencies: list[float] = []
    async with httpx.AsyncClient(base_url=shared_api,
                                 headers={"X-API-Key": b.secret_key}) as api:
        for i in range(B_SENDS):
            started = time.monotonic()
            answer = await api.post("/v1/notifications", json={
                "recipients": ["b0", "b1", "b2"], "content": {"title": f"b {i}"}})
            assert answer.status_code == 202, answer.text
            frames = await asyncio.gather(*(s.next_of("notification", 60) for s in socks))
            latencies.append(time.monotonic() - started)
            assert {f["title"] for f in frames} == {f"b {i}"}
    codes = await flooding
    webhook.close()
    for sock in socks:
        seqs = [f["seq"] for f in sock.notifications()]
        assert seqs == list(range(1, B_SENDS + 1))  # every one, once, in order
        await sock.close()
    assert codes.get(413) and codes.get(422) and codes.get(429), codes
    assert not codes.get(500), codes
    # A's backlog is A's own: let it drain, so the tests after this one share idle workers.
    client = redis.Redis.from_url(stack.env["HERALD_REDIS_URL"])
    await asyncio.to_thread(wait_until, lambda: not ingest.in_flight(client), 180,
                            "tenant A's backlog to be stored")
    latencies.sort()
    print(f"tenant B accept->socket during the flood: p50 {latencies[len(latencies) // 2]:.3f}"
          f" s, max {latencies[-1]:.3f} s; tenant A's answers {codes}")
