"""The producer side of the ingest stream: what the API does once a request is valid.

One Lua script checks the idempotency key, appends every notification of the request to
the stream and remembers the answer, atomically: a retried request can never enqueue a
second copy, and a request is acknowledged only once Redis holds all of it.
"""

from __future__ import annotations

import json
from typing import Any, cast

import redis

from backend.core import redis_keys as keys
from backend.notifications.messages import StreamEntry

_ENQUEUE = """
if KEYS[2] ~= '' then
  local previous = redis.call('GET', KEYS[2])
  if previous then return {0, previous} end
end
local ttl = tonumber(ARGV[2])
for i = 4, #ARGV, 2 do
  redis.call('XADD', KEYS[1], '*', 'n', ARGV[i])
  redis.call('SET', KEYS[3] .. ARGV[i + 1], ARGV[3], 'EX', ttl)
end
if KEYS[2] ~= '' then redis.call('SET', KEYS[2], ARGV[1], 'EX', ttl) end
return {1, ARGV[1]}
"""


def enqueue(
    client: redis.Redis,
    tenant_id: str,
    entries: list[StreamEntry],
    answer: dict[str, Any],
    idempotency_key: str | None,
    ttl_seconds: int,
) -> tuple[bool, dict[str, Any]]:
    """Append ``entries`` to the ingest stream; returns (created, answer).

    With an idempotency key seen before, nothing is appended and the first answer is returned.
    """
    script = client.register_script(_ENQUEUE)
    idem = keys.idempotency(tenant_id, idempotency_key) if idempotency_key else ""
    args: list[str | int] = [json.dumps(answer), ttl_seconds, tenant_id]
    for entry in entries:
        args += [entry.encode(), entry.id]
    created, stored = script(keys=[keys.INGEST_STREAM, idem, keys.accepted("")], args=args)
    return bool(created), json.loads(stored)


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


def trim(client: redis.Redis) -> int:
    """Trim the ingest stream below the oldest entry that is not yet persisted.

    Read in this order, each source can only hand an entry on to the next one: unread
    entries come after the group's last-delivered id; a read entry stays pending until the
    bridge acks it, and the bridge marks it in flight before that; the worker unmarks it
    once persisted.
    """
    groups = {g["name"]: g for g in client.xinfo_groups(keys.INGEST_STREAM)}
    group = groups.get(keys.BRIDGE_GROUP)
    if group is None:
        return 0
    summary = client.xpending(keys.INGEST_STREAM, keys.BRIDGE_GROUP)
    oldest = client.zrange(keys.INFLIGHT, 0, 0, withscores=True)
    same_ms = cast(list[str], client.zrangebyscore(keys.INFLIGHT, oldest[0][1], oldest[0][1])
                   if oldest else [])
    floor = trim_floor(group["last-delivered-id"],
                       summary["min"] if summary["pending"] else None, same_ms)
    return client.xtrim(keys.INGEST_STREAM, minid=floor, approximate=False)
