"""Redis connections, one pool per process and kind (sync for API/worker, async for gateway)."""

from __future__ import annotations

from functools import lru_cache

import redis
import redis.asyncio as aioredis

from backend.config import get_settings


@lru_cache
def get_redis() -> redis.Redis:
    url, _ = get_settings().require_urls()
    return redis.Redis.from_url(url, decode_responses=True, health_check_interval=30)


@lru_cache
def get_async_redis() -> aioredis.Redis:
    url, _ = get_settings().require_urls()
    return aioredis.Redis.from_url(url, decode_responses=True, health_check_interval=30)
