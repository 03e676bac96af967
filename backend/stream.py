"""The producer side of the ingest stream: what the API does once a request is valid.

One Lua script checks the idempotency key, appends every notification of the request to
the stream and remembers the answer, atomically: a retried request can never enqueue a
second copy, and a request is acknowledged only once Redis holds all of it.
"""

from __future__ import annotations

import json
from typing import Any

import redis

from backend import keys

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
    entries: list[dict[str, Any]],
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
        args += [json.dumps(entry, default=str), entry["id"]]
    created, stored = script(keys=[keys.INGEST_STREAM, idem, keys.accepted("")], args=args)
    return bool(created), json.loads(stored)


def accepted_tenant(client: redis.Redis, notification_id: str) -> str | None:
    """The tenant of an id accepted but not yet persisted, if any."""
    return client.get(keys.accepted(notification_id))


def _id(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


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
    ms, seq = _id(group["last-delivered-id"])
    floor = (ms, seq + 1)  # everything up to the last-delivered id has been read
    summary = client.xpending(keys.INGEST_STREAM, keys.BRIDGE_GROUP)
    if summary["pending"]:
        floor = min(floor, _id(summary["min"]))
    oldest = client.zrange(keys.INFLIGHT, 0, 0, withscores=True)
    if oldest:
        score = oldest[0][1]
        same_ms = client.zrangebyscore(keys.INFLIGHT, score, score)
        floor = min(floor, *(_id(member) for member in same_ms))
    return client.xtrim(keys.INGEST_STREAM, minid=f"{floor[0]}-{floor[1]}", approximate=False)
