"""Dead letters are kept per tenant: one tenant's flood is bounded to its own list and never
pushes out or slows down another tenant's."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import httpx
import redis

from backend.core import redis_keys as keys
from tests.support import ingest
from tests.support.harness import wait_until
from tests.support.stack import Stack, TenantKeys

PER_TENANT = 30  # HERALD_DEAD_LETTERS_PER_TENANT in the test settings


def poison(client: redis.Redis, tenant_id: str, count: int) -> None:
    """Entries a worker cannot persist (a producer bug: recipient ids too long)."""
    now = datetime.now(UTC).isoformat()
    for _ in range(count):
        nid = str(uuid.uuid4())
        client.xadd(keys.ingest_stream(0), {"n": json.dumps({
            "tenant_id": tenant_id, "priority": "normal", "channels": ["in_app"],
            "content": {"title": "t", "body": ""}, "data": {}, "created_at": now,
            "id": nid, "group_id": nid, "recipient": "x" * 500})})


def listed(stack: Stack, key: str) -> list[dict]:
    items, after = [], None
    while True:
        page = httpx.get(f"{stack.api_url}/v1/dead-letters", headers={"X-API-Key": key},
                         params={"limit": 7, **({"after": after} if after else {})}).json()
        items += page["items"]
        if not (after := page["next_after"]):
            return items


def test_a_flood_of_dead_letters_stays_with_its_tenant(stack: Stack, tenant: TenantKeys):
    from tests.support.db import new_tenant

    client = redis.Redis.from_url(stack.env["HERALD_REDIS_URL"])
    bystander = new_tenant("bystander")
    poison(client, bystander.tenant_id, 3)
    wait_until(lambda: len(listed(stack, bystander.secret_key)) == 3, timeout=60,
               what="the bystander's 3 dead letters")
    poison(client, tenant.tenant_id, PER_TENANT * 2)
    wait_until(lambda: ingest.length(client) == 0 or
               len(listed(stack, tenant.secret_key)) >= PER_TENANT, timeout=120,
               what="the flood to be dead-lettered")
    wait_until(lambda: not ingest.in_flight(client), timeout=120, what="nothing in flight")
    flood = listed(stack, tenant.secret_key)
    assert len(flood) == PER_TENANT  # the newest ones; the oldest went first
    assert len({d["id"] for d in flood}) == PER_TENANT
    assert len(listed(stack, bystander.secret_key)) == 3
