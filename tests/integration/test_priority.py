"""Priority is real: a high notification overtakes tens of thousands of low ones waiting."""

from __future__ import annotations

import httpx
import redis

from tests.support.db import forget_waits, stored_count
from tests.support.harness import wait_until
from tests.support.sockets import connect, token_for
from tests.support.stack import SideStack, Stack, TenantKeys

LOW_COUNT = 20_000


async def test_high_overtakes_20000_queued_low(side_stack, stack: Stack, tenant: TenantKeys):
    side: SideStack = side_stack(5, tenant_burst="100000")  # the flood is this test's own
    api = httpx.Client(base_url=side.api_url, headers={"X-API-Key": tenant.secret_key},
                       timeout=120)
    sock = await connect(stack.ws_url, tenant.publishable_key,
                         token_for(stack.api_url, tenant.secret_key, "boss"), since=0)
    items = [{"recipients": [f"low-{i}-{j}" for j in range(1000)], "priority": "low",
              "channels": ["in_app"], "content": {"title": "bulk"}}
             for i in range(LOW_COUNT // 1000)]
    for item in items:  # at most 1,000 notifications per request
        assert api.post("/v1/notifications", json=item).status_code == 202
    client = redis.Redis.from_url(side.redis_url, decode_responses=True)
    # The bridge hands Celery a few batches at a time; the rest of the backlog waits in Redis.
    wait_until(lambda: client.llen("notifications.low"), timeout=120,
               what="the low backlog to reach Celery's low queue")

    urgent = api.post("/v1/notifications", json={
        "recipients": ["boss"], "priority": "high", "content": {"title": "Server down"}})
    frame = await sock.next_of("notification", timeout=60)
    assert frame["id"] == urgent.json()["id"]
    done_before_high = stored_count(tenant.tenant_id, "low")
    print(f"low persisted when the high one arrived: {done_before_high} of {LOW_COUNT}")
    assert done_before_high < LOW_COUNT / 2
    await sock.close()
    side.worker.stop()  # the backlog is not this suite's business any more
    side.bridge.stop()  # nor its bridge's waiting for a queue with room
    forget_waits(tenant.tenant_id)  # nor are its 60,000 retries, which the main beat would send
