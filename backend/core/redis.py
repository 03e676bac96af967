"""Redis clients: sync for the API, workers and bridge, async for the gateway."""

from __future__ import annotations

import redis
import redis.asyncio as aioredis


def connect(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, decode_responses=True, health_check_interval=30)


def connect_async(url: str) -> aioredis.Redis:
    return aioredis.Redis.from_url(url, decode_responses=True, health_check_interval=30)
