"""Tenants whose templates ran out of render time are served after everyone else for a
while: the bridge sends their notifications to the low-priority queue, so the worker time a
template bomb costs comes out of its own tenant's latency, not other tenants'."""

from __future__ import annotations

from collections.abc import Iterable

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
