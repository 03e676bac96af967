"""Outbound I/O of one tenant (its webhooks, Slack, email) runs apart from in-app delivery,
and within its own share of the outbound worker: a tenant whose endpoints drip never holds
the workers that store and push everyone's notifications, nor every outbound thread."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx

from tests.support.api import send
from tests.support.db import new_tenant
from tests.support.harness import wait_until
from tests.support.peers import Dripping, EventReceiver
from tests.support.sockets import connect, token_for
from tests.support.stack import Stack, TenantKeys

READERS, SENDS, HOOKS = 10, 4, 10  # 400 delivery events, each held to its deadline


@contextlib.asynccontextmanager
async def dripping_tenant(stack: Stack) -> AsyncIterator[Dripping]:
    """A tenant whose ten webhooks accept, then send one header line a second (each post
    takes its whole deadline), with 400 events owed to them and dripping."""
    hostile = new_tenant("dripping-hooks")
    drip = Dripping(b"HTTP/1.1 200 OK\r\n" + b"X-Slow: yes\r\n" * 100, delay=1.0)
    hooks = httpx.Client(base_url=stack.api_url, headers={"X-API-Key": hostile.secret_key})
    readers = []
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
        yield drip
    finally:
        for sock in readers:
            await sock.close()
        for hook in hooks.get("/v1/webhooks").json():
            hooks.delete(f"/v1/webhooks/{hook['id']}")
        hooks.close()
        drip.close()


async def test_a_tenants_dripping_webhooks_never_hold_anothers_in_app_delivery(
        stack: Stack, tenant: TenantKeys):
    async with dripping_tenant(stack) as drip:
        calm = await connect(stack.ws_url, tenant.publishable_key,
                             token_for(stack.api_url, tenant.secret_key, "calm"))
        with httpx.Client(base_url=stack.api_url,
                          headers={"X-API-Key": tenant.secret_key}) as api:
            send(api, "calm", "not behind anybody")
        frame = await calm.next_of("notification", timeout=30)
        # Pushed while the hostile tenant's posts still drip, not after them.
        assert frame["title"] == "not behind anybody"
        assert drip.open > 0
        await calm.close()


async def test_a_tenants_dripping_webhooks_hold_only_its_share_of_outbound_sends(
        stack: Stack, tenant: TenantKeys):
    receiver = EventReceiver()
    try:
        async with dripping_tenant(stack) as drip:
            with httpx.Client(base_url=stack.api_url,
                              headers={"X-API-Key": tenant.secret_key}) as api:
                api.post("/v1/webhooks", json={
                    "url": receiver.url,
                    "events": ["notification.delivered"]}).raise_for_status()
                calm = await connect(stack.ws_url, tenant.publishable_key,
                                     token_for(stack.api_url, tenant.secret_key, "calm"))
                nid = send(api, "calm", "tell my backend")["notifications"][0]["id"]
                await calm.next_of("notification")
                wait_until(lambda: any(nid in r["raw"].decode() for r in receiver.requests),
                           30, "the calm tenant's event to be posted")
                # Posted while the hostile tenant's posts still drip, not after them all.
                assert drip.open > 0
                await calm.close()
    finally:
        receiver.close()
