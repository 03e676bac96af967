"""Demotion: a tenant whose templates ran out of render time goes to the low queue for a
while. The bridge routes it there, so the worker time a template bomb costs comes out of its
own tenant's latency, not other tenants'. (Tenants' shares of a queue are the bridge's turns,
``backend.bridge.rotation``.)"""

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
