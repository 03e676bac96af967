"""Redis clients: sync for the API, workers and bridge, async for the gateway."""

from __future__ import annotations

import redis
import redis.asyncio as aioredis


def connect(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, decode_responses=True, health_check_interval=30)


ASYNC_CONNECTIONS = 64  # per gateway node; more commands at once wait for one


def connect_async(url: str) -> aioredis.Redis:
    """A pool that makes callers wait for a free connection (hundreds of sockets closing at
    once each remove their presence) instead of raising when all are in use."""
    pool = aioredis.BlockingConnectionPool.from_url(
        url, decode_responses=True, health_check_interval=30,
        max_connections=ASYNC_CONNECTIONS, timeout=30)
    return aioredis.Redis.from_pool(pool)
