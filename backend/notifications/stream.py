"""The producer side of the ingest stream: what the API does once a request is valid.

The stream is partitioned (``ingest_partitions``), each partition read by its own bridge
consumer; a reader's entries always go to the same partition, so their order is kept. A
partition is a set of lanes, a stream each: one per priority and group of tenants, so that
the bridge reads high entries without first reading every low one ahead of them, and one
tenant's backlog fills its own lane, not everyone's. Entries are written with pipelined
XADDs in bounded chunks.

An idempotency key is claimed first, holding the request's entries, and sealed with the
answer once Redis holds them all. A retry of a sealed request appends nothing; a retry of one
whose writer died half way appends its entries again under the same ids (the worker stores an
id once): a request is acknowledged only once Redis holds all of it, and nothing is shown twice.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from typing import Any, cast

import redis

from backend.core import redis_keys as keys
from backend.core.config import Settings
from backend.core.errors import Unavailable
from backend.notifications.messages import StreamEntry

_CLAIM = """
local previous = redis.call('GET', KEYS[1])
if previous then return previous end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return false
"""

_AT_LEAST = """
local now = tonumber(redis.call('GET', KEYS[1]) or '0')
if now < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end
"""

# An idempotency key's value while its request is being written (a sealed one is the answer).
WRITING = "writing"


def partition_of(tenant_id: str, recipient: str, partitions: int) -> int:
    """The partition of a reader's entries: the same one for as long as the setting holds."""
    return zlib.crc32(f"{tenant_id}\x00{recipient}".encode()) % partitions


# Tenants are spread over this many lanes per priority and partition: two tenants share one
# (and the quiet one waits behind the other's backlog) one pair in this many. A constant:
# producers and bridges must agree on it. It was 8: those lanes are the first 8 of these, so
# entries written before an upgrade are still read; upgrade bridges before APIs (a bridge
# of 8 does not read the lanes past them, though what waits there is kept).
TENANT_GROUPS = 32
PRIORITIES = ("high", "normal", "low")  # the lanes' order: the bridge reads high first


def group_of(tenant_id: str) -> int:
    """The tenant's group: the tenants whose entries of one priority share a lane."""
    return zlib.crc32(tenant_id.encode()) % TENANT_GROUPS


def lane_of(entry: StreamEntry, partitions: int) -> str:
    """The stream an entry is appended to."""
    priority = entry.priority if entry.priority in PRIORITIES else "normal"
    return keys.ingest_stream(partition_of(entry.tenant_id, entry.recipient, partitions),
                              priority, group_of(entry.tenant_id))


def lanes(partition: int) -> list[str]:
    """A partition's lanes, high first."""
    return [keys.ingest_stream(partition, priority, group)
            for priority in PRIORITIES for group in range(TENANT_GROUPS)]


def all_lanes(client: redis.Redis, configured: int) -> list[str]:
    """Every lane of every partition in use."""
    return [lane for p in range(partitions_in_use(client, configured)) for lane in lanes(p)]


def partitions_in_use(client: redis.Redis, configured: int) -> int:
    """Partitions to read: this process's setting, or more if a producer wrote to more."""
    return max(configured, int(cast(str | None, client.get(keys.INGEST_PARTITIONS)) or 0))


@dataclass(frozen=True)
class Request:
    """One request's stream entries and the API's answer to it."""

    tenant_id: str
    entries: list[StreamEntry]
    answer: dict[str, Any]
    idempotency_key: str | None = None

    @property
    def idem(self) -> str | None:
        return keys.idempotency(self.tenant_id, self.idempotency_key) \
            if self.idempotency_key else None


class NotReplicated(Unavailable):
    """The entries reached the primary but not enough replicas in time: a failover now could
    lose them, so nothing is acknowledged (the client sends again, same idempotency key)."""


@dataclass
class Ingest:
    client: redis.Redis
    partitions: int
    ttl_seconds: int
    chunk: int = 1000
    min_replicas: int = 0  # HERALD_REDIS_MIN_REPLICAS: Redis WAIT before a 202
    wait_ms: int = 1000

    def __post_init__(self) -> None:
        self._claim_script = self.client.register_script(_CLAIM)
        self._at_least_script = self.client.register_script(_AT_LEAST)

    @classmethod
    def of(cls, client: redis.Redis, settings: Settings) -> Ingest:
        return cls(client, settings.ingest_partitions, settings.idempotency_ttl_seconds,
                   settings.ingest_chunk, settings.redis_min_replicas,
                   settings.redis_wait_timeout_ms)

    def enqueue(self, tenant_id: str, entries: list[StreamEntry], answer: dict[str, Any],
                idempotency_key: str | None) -> tuple[bool, dict[str, Any]]:
        """Append ``entries``; returns (created, answer). With an idempotency key seen before,
        the first answer is returned and nothing new is appended."""
        return self.enqueue_many([Request(tenant_id, entries, answer, idempotency_key)])[0]

    def enqueue_many(self, requests: list[Request]) -> list[tuple[bool, dict[str, Any]]]:
        outcomes: list[tuple[bool, dict[str, Any]]] = []
        writes: list[StreamEntry] = []
        seals: dict[str, dict[str, Any]] = {}
        for request, stored in zip(requests, self._claim(requests), strict=True):
            if stored is None:
                outcomes.append((True, request.answer))
                writes += request.entries
            elif WRITING in stored:
                answer = stored[WRITING]["answer"]
                outcomes.append((False, answer))
                if request.idem not in seals:  # not claimed by an earlier item of this batch
                    writes += [StreamEntry.decode(e) for e in stored[WRITING]["entries"]]
            else:
                outcomes.append((False, stored))
                continue
            if request.idem:
                seals.setdefault(request.idem, outcomes[-1][1])
        self._append(writes)
        self._seal(seals)
        return outcomes

    def _claim(self, requests: list[Request]) -> list[dict[str, Any] | None]:
        """What each key already holds (``None``: claimed now, with this request's entries)."""
        keyed = [(r, r.idem) for r in requests if r.idem]
        if not keyed:
            return [None] * len(requests)
        with self.client.pipeline(transaction=False) as pipe:
            for r, idem in keyed:
                record = {WRITING: {"answer": r.answer,
                                    "entries": [e.encode() for e in r.entries]}}
                self._claim_script(keys=[idem], args=[json.dumps(record), self.ttl_seconds],
                                 client=pipe)
            found = iter(pipe.execute())
        stored: list[dict[str, Any] | None] = []
        for r in requests:
            previous = next(found) if r.idem else None
            stored.append(json.loads(previous) if previous else None)
        return stored

    def _append(self, entries: list[StreamEntry]) -> None:
        if not entries:
            return
        for start in range(0, len(entries), self.chunk):
            with self.client.pipeline(transaction=False) as pipe:
                self._at_least_script(keys=[keys.INGEST_PARTITIONS], args=[self.partitions],
                                      client=pipe)
                for entry in entries[start:start + self.chunk]:
                    pipe.xadd(lane_of(entry, self.partitions), {"n": entry.encode()})
                    pipe.set(keys.accepted(entry.id), entry.tenant_id, ex=self.ttl_seconds)
                self._replicated(pipe)

    def _seal(self, seals: dict[str, dict[str, Any]]) -> None:
        if seals:
            with self.client.pipeline(transaction=False) as pipe:
                for idem, answer in seals.items():
                    pipe.set(idem, json.dumps(answer), ex=self.ttl_seconds)
                self._replicated(pipe)

    def _replicated(self, pipe: redis.client.Pipeline) -> None:
        """Run the pipeline's writes; with ``min_replicas``, ``WAIT`` for that many replicas
        on the same connection (WAIT counts that connection's writes), or NotReplicated."""
        if not self.min_replicas:
            pipe.execute()
            return
        pipe.execute_command("WAIT", self.min_replicas, self.wait_ms)
        reached = int(pipe.execute()[-1])
        if reached < self.min_replicas:
            raise NotReplicated(
                f"the notification reached {reached} of the {self.min_replicas} Redis "
                f"replicas required (HERALD_REDIS_MIN_REPLICAS) within "
                f"{self.wait_ms} ms; nothing was accepted: send it again, with the same "
                "idempotency_key")


def accepted_tenant(client: redis.Redis, notification_id: str) -> str | None:
    """The tenant of an id accepted but not yet persisted, if any."""
    return cast(str | None, client.get(keys.accepted(notification_id)))


def parse_id(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


def trim_floor(last_delivered: str, oldest_pending: str | None,
               oldest_inflight: list[str]) -> str:
    """The lowest stream id that must be kept: nothing below it is unpersisted.

    ``oldest_inflight`` holds the in-flight entries sharing the lowest millisecond score.
    """
    ms, seq = parse_id(last_delivered)
    floor = (ms, seq + 1)  # everything up to the last-delivered id has been read
    if oldest_pending is not None:
        floor = min(floor, parse_id(oldest_pending))
    floor = min([floor, *(parse_id(member) for member in oldest_inflight)])
    return f"{floor[0]}-{floor[1]}"


def trim_lane(client: redis.Redis, lane: str) -> int:
    """Trim one lane below the oldest entry that is not yet persisted.

    Read in this order, each source can only hand an entry on to the next one: unread
    entries come after the group's last-delivered id; a read entry stays pending until the
    bridge acks it, and the bridge marks it in flight before that; the worker unmarks it
    once persisted.
    """
    stream, inflight = lane, keys.inflight(lane)
    try:
        groups = {g["name"]: g for g in client.xinfo_groups(stream)}
    except redis.ResponseError:  # no such lane yet
        return 0
    group = groups.get(keys.BRIDGE_GROUP)
    if group is None:
        return 0
    summary = client.xpending(stream, keys.BRIDGE_GROUP)
    oldest = client.zrange(inflight, 0, 0, withscores=True)
    same_ms = cast(list[str], client.zrangebyscore(inflight, oldest[0][1], oldest[0][1])
                   if oldest else [])
    floor = trim_floor(group["last-delivered-id"],
                       summary["min"] if summary["pending"] else None, same_ms)
    return client.xtrim(stream, minid=floor, approximate=False)


def trim(client: redis.Redis, configured: int) -> int:
    return sum(trim_lane(client, lane) for lane in all_lanes(client, configured))
