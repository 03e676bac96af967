"""The ingest stream is trimmed only below what is persisted; entries that cannot be
processed become dead letters the tenant can list, instead of looping."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import httpx
import redis

from backend.core import redis_keys as keys
from backend.notifications import stream
from tests.support import ingest
from tests.support.harness import wait_until
from tests.support.sockets import connect, token_for
from tests.support.stack import Servers, Stack, TenantKeys


def test_trim_keeps_unread_pending_and_inflight_entries(servers: Servers, base_env):
    client = redis.Redis.from_url(servers.redis_url(4), decode_responses=True)
    client.flushdb()
    for ms in range(1000, 11000, 1000):  # ten entries, one per "millisecond" 1000..10000
        client.xadd(keys.ingest_stream(0), {"n": "{}"}, id=f"{ms}-0")
    client.xgroup_create(keys.ingest_stream(0), keys.BRIDGE_GROUP, id="0")
    assert stream.trim(client, 1) == 0  # nothing read yet

    read = client.xreadgroup(keys.BRIDGE_GROUP, "b", {keys.ingest_stream(0): ">"}, count=6)
    ids = [eid for eid, _ in read[0][1]]
    assert stream.trim(client, 1) == 0  # read but pending

    client.zadd(keys.inflight(keys.ingest_stream(0)), {eid: int(eid.split("-")[0]) for eid in ids})
    client.xack(keys.ingest_stream(0), keys.BRIDGE_GROUP, *ids)
    assert stream.trim(client, 1) == 0  # published but not persisted

    client.zrem(keys.inflight(keys.ingest_stream(0)), *ids[:4])  # the worker persisted four
    assert stream.trim(client, 1) == 4
    assert client.xrange(keys.ingest_stream(0))[0][0] == ids[4]


def test_stream_shrinks_once_notifications_are_persisted(api: httpx.Client, stack: Stack):
    client = redis.Redis.from_url(stack.env["HERALD_REDIS_URL"], decode_responses=True)
    sent = api.post("/v1/notifications", json={
        "recipients": [f"t{i}" for i in range(50)], "content": {"title": "x"}}).json()
    ids = {n["id"] for n in sent["notifications"]}

    def in_stream() -> set[str]:
        return {json.loads(f["n"])["id"] for _, f in ingest.entries(client)}

    wait_until(lambda: not (ids & in_stream()), timeout=30,
               what="persisted entries to be trimmed from the stream")
    assert api.get(f"/v1/notifications/{next(iter(ids))}").json()["status"] != "accepted"


async def test_poison_entry_becomes_a_listed_dead_letter(
    api: httpx.Client, stack: Stack, tenant: TenantKeys
):
    """An entry the worker cannot persist is dead-lettered with its reason; the good entries
    of the same batch are still delivered."""
    client = redis.Redis.from_url(stack.env["HERALD_REDIS_URL"], decode_responses=True)
    sock = await connect(stack.ws_url, tenant.publishable_key,
                         token_for(stack.api_url, tenant.secret_key, "fine"), since=0)
    poison_id = str(uuid.uuid4())
    now = datetime.now(UTC).isoformat()
    common = {"tenant_id": tenant.tenant_id, "priority": "normal", "channels": ["in_app"],
              "content": {"title": "t", "body": ""}, "data": {}, "created_at": now}
    # A producer bug: a recipient id longer than any reader id can be.
    client.xadd(keys.ingest_stream(0), {"n": json.dumps({
        **common, "id": poison_id, "group_id": poison_id, "recipient": "x" * 500})})
    good = api.post("/v1/notifications", json={
        "recipients": ["fine"], "content": {"title": "still delivered"}}).json()
    frame = await sock.next_of("notification")
    assert frame["id"] == good["id"]
    await sock.close()

    def listed() -> list:
        return api.get("/v1/dead-letters").json()["items"]

    (dead,) = wait_until(listed, what="the dead letter to be listed")
    assert dead["payload"]["id"] == poison_id
    assert "could not persist" in dead["reason"]
    other = httpx.get(f"{stack.api_url}/v1/dead-letters",
                      headers={"X-API-Key": _other_tenant_key()}).json()
    assert other["items"] == []


def _other_tenant_key() -> str:
    from tests.support.db import new_tenant

    return new_tenant("other").secret_key
