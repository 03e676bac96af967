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
    # Recorded after the push returns: wait for it, not just for the first attempt row.
    status = wait_until(
        lambda: (s := api.get(f"/v1/notifications/{sent['id']}").json())["status"] == "delivered"
        and s, what="the delivery to be recorded")
    assert [(a["channel"], a["outcome"]) for a in status["attempts"]] == [("in_app", "delivered")]


async def test_a_push_the_gateway_refuses_is_retried_then_fails_with_its_reason(
    side_stack, stack: Stack, tenant: TenantKeys
):
    """A 4xx from the push API (here: a worker with the wrong internal key) is never a silent
    ``persisted``: each attempt is recorded, retried with backoff, and the notification ends
    failed with the gateway's answer as its reason."""
    side: SideStack = side_stack(7, internal_key="not-the-gateways-key")
    api = httpx.Client(base_url=side.api_url, headers={"X-API-Key": tenant.secret_key})
    sent = api.post("/v1/notifications", json={
        "recipients": ["refused"], "content": {"title": "refused"}, "channels": ["in_app"]}).json()
    status = wait_until(
        lambda: (s := api.get(f"/v1/notifications/{sent['id']}").json())["status"] == "failed"
        and s, timeout=60, what="the refused notification to end")
    first, *later = status["attempts"]
    assert (first["channel"], first["outcome"]) == ("in_app", "error") and "401" in first["error"]
    # The retries are rows in the shared database, so the main stack's beat and worker made
    # them (with the right key; the reader is offline): three attempts in all, as configured.
    assert [a["channel"] for a in later] == ["in_app", "in_app"]
    assert "401" in status["status_reason"]
