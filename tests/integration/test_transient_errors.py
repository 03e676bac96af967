"""Infrastructure briefly away: a worker that cannot reach the gateway retries with Celery's
autoretry (exponential backoff, jitter) and delivers once the gateway is back."""

from __future__ import annotations

import httpx

from tests.support.harness import free_port, wait_until
from tests.support.sockets import connect, token_for
from tests.support.stack import SideStack, Stack, StartPart, TenantKeys


async def test_push_retried_until_gateway_comes_back(
    side_stack, start_part: StartPart, stack: Stack, tenant: TenantKeys
):
    port = free_port()  # nothing listens here yet
    side: SideStack = side_stack(6, gateway_url=f"http://127.0.0.1:{port}")
    sock = await connect(stack.ws_url, tenant.publishable_key,
                         token_for(stack.api_url, tenant.secret_key, "patient"), since=0)
    api = httpx.Client(base_url=side.api_url, headers={"X-API-Key": tenant.secret_key})
    sent = api.post("/v1/notifications", json={
        "recipients": ["patient"], "content": {"title": "eventually"}}).json()
    wait_until(lambda: "Retry in" in side.worker.output(), timeout=30,
               what="the worker to schedule a retry of the failed push")
    # A gateway node comes up on that port; it routes to the reader's node through Redis.
    start_part("gateway", name="gateway-late", gateway_port=str(port))
    frame = await sock.next_of("notification", timeout=60)
    assert frame["id"] == sent["id"]
    await sock.close()
    status = wait_until(
        lambda: (s := api.get(f"/v1/notifications/{sent['id']}").json())["attempts"] and s,
        what="the delivery to be recorded")
    assert status["status"] == "delivered"
    assert [(a["channel"], a["outcome"]) for a in status["attempts"]] == [("in_app", "delivered")]
