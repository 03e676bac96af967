"""The bridge killed between publishing a batch and acknowledging it loses nothing and shows
nothing twice: on restart it replays its pending entries and the worker is idempotent."""

from __future__ import annotations

import uuid

import httpx
import redis

from tests.support import ingest
from tests.support.harness import wait_until
from tests.support.sockets import connect, token_for
from tests.support.stack import Stack, StartPart, TenantKeys

DB = 1  # a Redis database of its own: this test's bridge must not share the main stream


async def test_bridge_sigkilled_before_ack_processes_entry_once(
    stack: Stack, start_part: StartPart, servers, tenant: TenantKeys
):
    admin = redis.Redis.from_url(servers.redis_url(DB))
    # Real Redis refuses XACK to this user, so the bridge reads and publishes but cannot ack.
    admin.execute_command("ACL", "SETUSER", "crashbridge", "on", ">pw", "~*", "&*", "+@all",
                          "-xack")
    bridge_url = f"redis://crashbridge:pw@127.0.0.1:{servers.redis_port}/{DB}"
    # One worker process and one slot: messages run in queue order.
    start_part("worker", name="worker-db1", redis_url=servers.redis_url(DB),
               gateway_url=stack.gateway_url, worker_concurrency="1")
    api_proc = start_part("api", name="api-db1", redis_url=servers.redis_url(DB))
    bridge = start_part("bridge", name="crash-bridge", redis_url=bridge_url,
                        bridge_consumer="crash-bridge")
    api = httpx.Client(base_url=f"http://127.0.0.1:{api_proc.port}",
                       headers={"X-API-Key": tenant.secret_key})

    token = token_for(stack.api_url, tenant.secret_key, "reader-c")
    sock = await connect(stack.ws_url, tenant.publishable_key, token, since=0)
    sent = api.post("/v1/notifications", json={
        "recipients": ["reader-c"], "content": {"title": "exactly once"}}).json()
    first = await sock.next_of("notification")
    assert first["id"] == sent["id"]

    def pending() -> int:
        return ingest.pending(admin)

    assert pending() == 1  # read and published, never acknowledged
    bridge.kill()
    admin.execute_command("ACL", "SETUSER", "crashbridge", "+xack")
    start_part("bridge", name="crash-bridge-restarted", redis_url=bridge_url,
               bridge_consumer="crash-bridge")
    wait_until(lambda: pending() == 0, what="the restarted bridge to replay and ack")

    sentinel = api.post("/v1/notifications", json={
        "recipients": ["reader-c"], "content": {"title": "sentinel"}}).json()
    after = await sock.next_of("notification")
    assert (after["id"], after["seq"]) == (sentinel["id"], 2)
    assert [f["id"] for f in sock.notifications()] == [sent["id"], sentinel["id"]]
    await sock.close()

    from sqlalchemy import func, select

    from backend.db.models import Notification
    from tests.support.db import session_scope

    with session_scope() as session:
        rows = session.scalar(select(func.count()).where(
            Notification.tenant_id == uuid.UUID(tenant.tenant_id)))
    assert rows == 2


async def test_a_celery_message_lost_with_redis_is_published_again(
    stack: Stack, start_part: StartPart, servers, tenant: TenantKeys
):
    """Redis crashing between a worker's take of a message and its record of it loses the
    message (Celery's Redis transport); the entry stays in flight. Here the message is taken
    from its queue by hand, as the crash would: the bridge publishes the entry again."""
    db = 9
    url = servers.redis_url(db)
    admin = redis.Redis.from_url(url, decode_responses=True)
    admin.flushdb()
    api_proc = start_part("api", name="api-db9", redis_url=url)
    start_part("bridge", name="bridge-db9", redis_url=url, bridge_consumer="bridge-db9",
               stream_redeliver_after_seconds="2")
    api = httpx.Client(base_url=f"http://127.0.0.1:{api_proc.port}",
                       headers={"X-API-Key": tenant.secret_key})
    sock = await connect(stack.ws_url, tenant.publishable_key,
                         token_for(stack.api_url, tenant.secret_key, "reader-lost"), since=0)
    sent = api.post("/v1/notifications", json={
        "recipients": ["reader-lost"], "content": {"title": "lost and found"}}).json()
    wait_until(lambda: admin.llen("notifications.default") == 1, what="the batch published")
    assert admin.delete("notifications.default") == 1  # the message is gone, entry in flight
    start_part("worker", name="worker-db9", redis_url=url, gateway_url=stack.gateway_url)
    frame = await sock.next_of("notification", timeout=60)
    assert frame["id"] == sent["id"]
    wait_until(lambda: ingest.in_flight(admin) == 0, what="the entry released")
    await sock.close()
