"""What the integration fixtures hand to tests: running servers, a running Herald, keys."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import redis

from tests.support import ingest
from tests.support.harness import Proc


@dataclass
class Servers:
    redis_port: int
    redis_password: str
    database_url: str
    data_dir: Path

    def redis_url(self, db: int = 0) -> str:
        return f"redis://:{self.redis_password}@127.0.0.1:{self.redis_port}/{db}"


@dataclass
class Stack:
    """A running Herald: API, gateway, bridge and worker processes."""

    env: dict[str, str]
    api_url: str
    gateway_url: str
    procs: dict[str, Proc]
    worker_metrics_url: str = ""
    outbound_metrics_url: str = ""

    @property
    def ws_url(self) -> str:
        return self.gateway_url.replace("http://", "ws://") + "/ws"

    def _redis(self) -> redis.Redis:
        return redis.Redis.from_url(self.env["HERALD_REDIS_URL"], decode_responses=True)

    def last_stream_id(self) -> dict[str, str]:
        """The last entry ever appended to each partition of the ingest stream: trimming
        (which runs all the time) leaves it as it is, so no change means nothing appended."""
        return ingest.last_ids(self._redis())

    def appended_since(self, last_ids: dict[str, str]) -> int:
        """Entries appended after ``last_ids`` still in the stream (not trimmed yet)."""
        return ingest.appended_since(self._redis(), last_ids)


StartPart = Callable[..., Proc]


@dataclass
class TenantKeys:
    tenant_id: str
    secret_key: str
    publishable_key: str
    signing_secret: str


@dataclass
class SideStack:
    """API, bridge and worker on a Redis database of their own, pushing to the main gateway."""

    api_url: str
    redis_url: str
    worker: Proc
    bridge: Proc
    api: Proc
