"""The bridge is the scheduler: it publishes to Celery only while a queue holds a few batches,
high before low, and tenant by tenant in turn, so a quiet tenant's notifications never wait
behind another tenant's backlog (not even the batches already queued: they pass them on the
quiet queue), nor high ones behind low ones already waiting.

Here the test is the worker: it takes the bridge's messages from Celery's queues itself, in
the worker's order (high, then default, then low), and looks at whose they are."""

from __future__ import annotations

import base64
import json
import time
import zlib
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import redis

from backend.core import redis_keys as keys
from backend.notifications import queues, stream
from tests.support.db import new_tenant
from tests.support.harness import wait_until
from tests.support.stack import StartPart, TenantKeys

BATCH = 100
QUEUED_BATCHES = 2
# As a worker takes them: ``queue_order_strategy: priority``.
WORKER_ORDER = [queues.HIGH, queues.QUIET, queues.DEFAULT, queues.LOW]


def _side(start_part: StartPart, servers: Any, db: int, high_batches: int = QUEUED_BATCHES
          ) -> tuple[redis.Redis, str]:
    """An API and a bridge on a Redis database of their own, and no worker. The high queue
    holds as many batches as the others unless ``high_batches`` says otherwise: one request's
    entries may be read in two parts, and the test takes the first before the bridge looks
    again for room."""
    url = servers.redis_url(db)
    client = redis.Redis.from_url(url, decode_responses=True, socket_timeout=120)
    client.flushdb()
    api = start_part("api", name=f"api-db{db}", redis_url=url, tenant_burst="100000")
    start_part("bridge", name=f"bridge-db{db}", redis_url=url, bridge_consumer=f"bridge-db{db}",
               batch_size=str(BATCH), bridge_queued_batches=str(QUEUED_BATCHES),
               bridge_queued_high_batches=str(high_batches))
    return client, f"http://127.0.0.1:{api.port}"


def _batch(raw: str) -> list[dict[str, Any]]:
    """The stream entries one Celery message of the bridge carries."""
    message = json.loads(raw)
    args = json.loads(base64.b64decode(message["body"]))[0]
    return [json.loads(queued["entry"]) for queued in args[0]]


def _queued(client: redis.Redis, queue: str) -> int:
    """Entries waiting in a Celery queue."""
    return sum(len(_batch(raw)) for raw in client.lrange(queue, 0, -1))


def _taken(client: redis.Redis, timeout: float = 30) -> Iterator[list[dict[str, Any]]]:
    """Messages taken as a worker takes them, until none comes within ``timeout``."""
    while popped := client.brpop(WORKER_ORDER, timeout=timeout):
        yield _batch(popped[1])


def _read(client: redis.Redis, lane: str) -> bool:
    """The bridge has read every entry appended to ``lane`` so far (it may not have
    published them)."""
    groups = client.xinfo_groups(lane) if client.exists(lane) else []
    return bool(groups) and groups[0]["last-delivered-id"] == \
        client.xinfo_stream(lane)["last-generated-id"]


def _apart(tenant: TenantKeys) -> TenantKeys:
    """A tenant of another group than ``tenant`` (one pair in ``TENANT_GROUPS`` shares a lane,
    and the quiet one waits behind the other's backlog), but of the same one of eight: with
    eight groups, as before, the two shared a lane."""
    def crc(keys: TenantKeys) -> int:
        return zlib.crc32(keys.tenant_id.encode())

    while (stream.group_of((other := new_tenant("quiet")).tenant_id)
           == stream.group_of(tenant.tenant_id) or crc(other) % 8 != crc(tenant) % 8):
        pass
    return other


def _send(api: httpx.Client, recipients: list[str], **extra: Any) -> None:
    answer = api.post("/v1/notifications", json={
        "recipients": recipients, "channels": ["in_app"], "content": {"title": "t"}, **extra})
    assert answer.status_code == 202, answer.text


@pytest.mark.timeout(180)
def test_a_quiet_tenants_batch_is_published_before_a_flooding_tenants_backlog(
    start_part: StartPart, servers: Any
):
    client, api_url = _side(start_part, servers, 14)
    a = new_tenant("flooding")
    b = _apart(a)
    with httpx.Client(base_url=api_url, headers={"X-API-Key": a.secret_key}, timeout=60) as api:
        for i in range(15):  # 1,500 of A's, before any of B's
            _send(api, [f"a-{i}-{j}" for j in range(BATCH)])
            # At 200 a second: a flood within the share the old bridge let through at the
            # tenant's own priority, ahead of everyone else's.
            time.sleep(0.5)
    wait_until(lambda: client.llen(queues.DEFAULT) >= QUEUED_BATCHES, 60,
               "A's first batches published")
    with httpx.Client(base_url=api_url, headers={"X-API-Key": b.secret_key}, timeout=60) as api:
        _send(api, [f"b-{j}" for j in range(5)])
    b_lane = keys.ingest_stream(0, "normal", stream.group_of(b.tenant_id))
    wait_until(lambda: _read(client, b_lane), 60, "B's notifications read by the bridge")

    tenants = []
    seen: Counter[str] = Counter()
    for batch in _taken(client, timeout=5):
        tenants.append({entry["tenant_id"] for entry in batch})
        seen.update(entry["id"] for entry in batch)
    b_at = next(i for i, owners in enumerate(tenants) if b.tenant_id in owners)
    print(f"B's batch taken {b_at + 1}th of {len(tenants)}")
    # Before the two of A's queued when B's arrived: B's went on the quiet queue.
    assert b_at == 0, tenants
    assert len(seen) == 1505 and set(seen.values()) == {1}  # each once, none lost


@pytest.mark.timeout(180)
def test_high_entries_are_published_before_low_ones_already_waiting(
    start_part: StartPart, servers: Any
):
    client, api_url = _side(start_part, servers, 15)
    tenant = new_tenant()
    with httpx.Client(base_url=api_url, headers={"X-API-Key": tenant.secret_key},
                      timeout=60) as api:
        for i in range(2):
            _send(api, [f"low-{i}-{j}" for j in range(1000)], priority="low")
        wait_until(lambda: client.llen(queues.LOW) >= QUEUED_BATCHES, 60,
                   "the first low batches published")
        _send(api, [f"high-{j}" for j in range(10)], priority="high")
    wait_until(lambda: _queued(client, queues.HIGH) == 10, 60, "the high ones published")
    low_published = _queued(client, queues.LOW)
    print(f"low entries published before the high ones: {low_published} of 2000")
    assert low_published < 2000  # the rest of the low ones still wait in Redis, not in Celery

    taken = [entry["priority"] for batch in _taken(client, timeout=5) for entry in batch]
    assert taken == ["high"] * 10 + ["low"] * 2000


@pytest.mark.timeout(180)
def test_high_entries_gather_into_one_batch_while_one_waits(
    start_part: StartPart, servers: Any
):
    """The high queue holds one batch: while no worker takes it, the high notifications that
    follow, one request each, wait at the bridge and go together in the next batch, not as
    a queue of single ones that each cost a batch."""
    client, api_url = _side(start_part, servers, 11, high_batches=1)
    tenant = new_tenant()
    lane = keys.ingest_stream(0, "high", stream.group_of(tenant.tenant_id))
    with httpx.Client(base_url=api_url, headers={"X-API-Key": tenant.secret_key},
                      timeout=60) as api:
        _send(api, ["first"], priority="high")
        wait_until(lambda: client.llen(queues.HIGH) == 1, 60, "the first one published")
        for i in range(9):
            _send(api, [f"next-{i}"], priority="high")
    wait_until(lambda: _read(client, lane), 60, "the next nine read by the bridge")
    assert [len(_batch(raw)) for raw in client.lrange(queues.HIGH, 0, -1)] == [1]

    taken = [[entry["recipient"] for entry in batch] for batch in _taken(client, timeout=5)]
    assert taken == [["first"], [f"next-{i}" for i in range(9)]]
