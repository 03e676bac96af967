"""A notification posted to the API reaches the reader's socket, live or by replay."""

from __future__ import annotations

import uuid

import httpx
import redis
from sqlalchemy import func, select

from tests.support import ingest
from tests.support.api import send
from tests.support.harness import wait_until
from tests.support.sockets import connect, token_for
from tests.support.stack import Stack, TenantKeys


async def test_live_then_replay_then_read(stack: Stack, tenant: TenantKeys, api: httpx.Client):
    """Live frame with title, body and seq 1; one sent while away is replayed after since=1;
    a read frame takes the unread count from 2 to 1."""
    token = token_for(stack.api_url, tenant.secret_key, "reader-a")
    sock = await connect(stack.ws_url, tenant.publishable_key, token, since=0)
    assert sock.welcome["unread"] == 0 and sock.welcome["seq"] == 0

    first = send(api, "reader-a", "Hello {{ name }}", "Body one", data={"name": "Ada"})
    frame = await sock.next_of("notification")
    assert (frame["id"], frame["title"], frame["body"], frame["seq"]) == (
        first["id"], "Hello Ada", "Body one", 1)
    await sock.close()

    second = send(api, "reader-a", "While you were away")
    sock = await connect(stack.ws_url, tenant.publishable_key, token, since=1)
    frame = await sock.next_of("notification")
    assert (frame["id"], frame["seq"], frame["title"]) == (second["id"], 2, "While you were away")
    assert sock.welcome["recovered"] is True

    await sock.send({"type": "read", "ids": [second["id"]]})
    assert (await sock.next_of("unread"))["count"] == 1
    await sock.close()

    status = api.get(f"/v1/notifications/{second['id']}").json()
    assert status["status"] == "read"


async def test_same_idempotency_key_makes_one_notification(
    stack: Stack, tenant: TenantKeys, api: httpx.Client
):
    """The same idempotency_key twice answers the same ids and creates one row, one frame."""
    token = token_for(stack.api_url, tenant.secret_key, "reader-b")
    sock = await connect(stack.ws_url, tenant.publishable_key, token, since=0)
    one = send(api, "reader-b", "Once", idempotency_key="order-42")
    two = send(api, "reader-b", "Once", idempotency_key="order-42")
    assert one == two
    sentinel = send(api, "reader-b", "After")
    frames = [await sock.next_of("notification"), await sock.next_of("notification")]
    assert [f["seq"] for f in frames] == [1, 2]
    assert {f["id"] for f in frames} == {one["id"], sentinel["id"]}
    wait_until(lambda: pipeline_idle(stack), what="every accepted entry to be persisted")
    from backend.db.models import Notification
    from tests.support.db import session_scope

    with session_scope() as session:
        rows = session.scalar(select(func.count()).where(
            Notification.tenant_id == uuid.UUID(tenant.tenant_id)))
    assert rows == 2
    await sock.close()


def pipeline_idle(stack: Stack) -> bool:
    """Every entry accepted so far was read by the bridge and persisted by a worker."""
    client = redis.Redis.from_url(stack.env["HERALD_REDIS_URL"], decode_responses=True)
    return ingest.drained(client)


async def test_data_reaches_the_socket_exactly_as_sent(stack: Stack, tenant: TenantKeys,
                                                       api: httpx.Client):
    """Integers past 64 bits, text beyond ASCII and U+2028 arrive live and by replay as they
    were sent: the hot paths' faster JSON never turns a long integer into a float."""
    data = {"order": 123456789012345678901234567890, "debt": -9223372036854775809,
            "max": 18446744073709551615, "name": "Grüße 😀 \u2028 \"q\"", "n": [1, 2.5, None]}
    token = token_for(stack.api_url, tenant.secret_key, "reader-data")
    sock = await connect(stack.ws_url, tenant.publishable_key, token, since=0)
    sent = send(api, "reader-data", "Exact", data=data)
    live = await sock.next_of("notification")
    assert (live["id"], live["data"]) == (sent["id"], data)
    await sock.close()
    sock = await connect(stack.ws_url, tenant.publishable_key, token, since=0)
    replayed = await sock.next_of("notification")
    assert (replayed["id"], replayed["data"]) == (sent["id"], data)
    await sock.close()
