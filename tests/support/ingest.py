"""What tests and benches read of the partitioned ingest stream, summed over its lanes."""

from __future__ import annotations

from typing import Any, cast

import redis

from backend.core import redis_keys as keys
from backend.notifications import stream


def names(client: redis.Redis) -> list[str]:
    return stream.all_lanes(client, 1)


def length(client: redis.Redis) -> int:
    return sum(int(client.xlen(name)) for name in names(client))


def entries(client: redis.Redis) -> list[tuple[str, dict[str, Any]]]:
    return [entry for name in names(client)
            for entry in cast(list[tuple[str, dict[str, Any]]], client.xrange(name))]


def in_flight(client: redis.Redis) -> int:
    return sum(int(client.zcard(keys.inflight(name))) for name in names(client))


def pending(client: redis.Redis) -> int:
    return sum(int(client.xpending(name, keys.BRIDGE_GROUP)["pending"])
               for name in names(client) if client.exists(name))


def last_ids(client: redis.Redis) -> dict[str, str]:
    """The last id ever appended to each partition (trimming leaves it as it is)."""
    return {name: str(client.xinfo_stream(name)["last-generated-id"])
            for name in names(client) if client.exists(name)}


def appended_since(client: redis.Redis, last: dict[str, str]) -> int:
    """Entries appended after ``last`` (from ``last_ids``) not trimmed yet."""
    return sum(len(client.xrange(name, min=f"({last[name]}" if name in last else "-", max="+"))
               for name in names(client))


def all_read(client: redis.Redis) -> bool:
    """The bridge read and acknowledged every entry appended so far."""
    for name in names(client):
        if not client.exists(name):
            continue
        groups = client.xinfo_groups(name)
        if not groups or groups[0]["pending"] or \
                groups[0]["last-delivered-id"] != client.xinfo_stream(name)["last-generated-id"]:
            return False
    return True


def drained(client: redis.Redis) -> bool:
    """Every entry appended so far was read by the bridge and persisted by a worker."""
    return all_read(client) and in_flight(client) == 0
