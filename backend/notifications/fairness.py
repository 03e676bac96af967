"""Fairness between tenants in the queues: what a tenant sends past its fair share goes one
queue down, and a tenant whose templates ran out of render time goes to the low queue for a
while. The bridge routes them, so the worker time a flood or a template bomb costs comes out
of its own tenant's latency, not other tenants'."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import redis

from backend.core import redis_keys as keys

DEMOTION_SECONDS = 300  # since the last render that ran out of time


def record_overruns(client: redis.Redis, tenant_ids: Iterable[str]) -> None:
    with client.pipeline(transaction=False) as pipe:
        for tenant_id in tenant_ids:
            pipe.set(keys.render_overrun(tenant_id), 1, ex=DEMOTION_SECONDS)
        pipe.execute()


def demoted(client: redis.Redis, tenant_ids: Iterable[str]) -> set[str]:
    """Those of ``tenant_ids`` whose notifications wait behind everyone else's for now."""
    wanted = sorted(set(tenant_ids))
    if not wanted:
        return set()
    found = client.mget([keys.render_overrun(t) for t in wanted])
    return {tenant_id for tenant_id, flag in zip(wanted, found, strict=True) if flag}


@dataclass
class FairShare:
    """Per tenant, a bucket of ``per_second`` entries (refilled continuously, holding at most
    one second's worth): entries past it are over the tenant's share. Kept by each bridge for
    what it reads; with N bridges a tenant gets N shares, still bounded."""

    per_second: float
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)  # tokens, at
    # A bridge's partitions share one: each reads in a thread of its own.
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def over(self, tenant_id: str, now: float | None = None) -> bool:
        """Take one entry's token; True when the tenant has none left (over its share)."""
        with self._lock:
            return self._over(tenant_id, time.monotonic() if now is None else now)

    def _over(self, tenant_id: str, now: float) -> bool:
        tokens, at = self._buckets.get(tenant_id, (self.per_second, now))
        tokens = min(self.per_second, tokens + (now - at) * self.per_second)
        if tokens < 1:
            self._buckets[tenant_id] = (tokens, now)
            return True
        self._buckets[tenant_id] = (tokens - 1, now)
        return False
