"""Outbound I/O of one tenant (its webhooks, Slack, email) runs apart from in-app delivery:
a tenant whose endpoints drip never holds the workers that store and push everyone's
notifications."""

from __future__ import annotations

import httpx

from tests.support.api import send
from tests.support.db import new_tenant
from tests.support.harness import wait_until
from tests.support.peers import Dripping
from tests.support.sockets import connect, token_for
from tests.support.stack import Stack, TenantKeys

READERS, SENDS, HOOKS = 10, 4, 10  # 400 delivery events, each held to its deadline


async def test_a_tenants_dripping_webhooks_never_hold_anothers_in_app_delivery(
        stack: Stack, tenant: TenantKeys):
    hostile = new_tenant("dripping-hooks")
    # Accepts, then one header line a second: each post takes its whole deadline.
    drip = Dripping(b"HTTP/1.1 200 OK\r\n" + b"X-Slow: yes\r\n" * 100, delay=1.0)
    hooks = httpx.Client(base_url=stack.api_url, headers={"X-API-Key": hostile.secret_key})
    try:
        for _ in range(HOOKS):
            hooks.post("/v1/webhooks", json={
                "url": f"http://127.0.0.1:{drip.port}/hook",
                "events": ["notification.delivered"]}).raise_for_status()
        readers = [await connect(stack.ws_url, hostile.publishable_key,
                                 token_for(stack.api_url, hostile.secret_key, f"b{i}"))
                   for i in range(READERS)]
        for n in range(SENDS):
            hooks.post("/v1/notifications", json={
                "recipients": [f"b{i}" for i in range(READERS)],
                "content": {"title": f"to drip {n}"}}).raise_for_status()
        wait_until(lambda: drip.open >= 2, 60, "the hostile tenant's posts to be dripping")

        calm = await connect(stack.ws_url, tenant.publishable_key,
                             token_for(stack.api_url, tenant.secret_key, "calm"))
        with httpx.Client(base_url=stack.api_url,
                          headers={"X-API-Key": tenant.secret_key}) as api:
            send(api, "calm", "not behind anybody")
        frame = await calm.next_of("notification", timeout=30)
        # Pushed while the hostile tenant's posts still drip, not after them.
        assert frame["title"] == "not behind anybody"
        assert drip.open > 0
        for sock in [*readers, calm]:
            await sock.close()
    finally:
        for hook in hooks.get("/v1/webhooks").json():
            hooks.delete(f"/v1/webhooks/{hook['id']}")
        hooks.close()
        drip.close()
