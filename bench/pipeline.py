"""End-to-end figures of the notification pipeline, on a running stack: readers online
(delivered/s, latency from the 202 to the socket), readers offline (stored/s), latency at
offered rates, and priority under a backlog."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Sequence
from typing import Any

import httpx

from bench.clients import LIMITS, HeraldReader, Tally, open_herald, open_many, reader_tokens
from bench.stack import BenchStack
from tests.support.db import stored_count
from tests.support.stack import TenantKeys

PER_ITEM = 100  # recipients per item
PER_REQUEST = 10  # items per /batch


def percentiles(samples: Sequence[float]) -> dict[str, float]:
    cuts = statistics.quantiles(samples, n=100) if len(samples) > 1 else [samples[0]] * 99
    return {"p50": round(cuts[49], 1), "p95": round(cuts[94], 1), "p99": round(cuts[98], 1)}


def batches(names: Sequence[str], count: int, priority: str = "normal",
            per_item: int = PER_ITEM, per_request: int = PER_REQUEST
            ) -> list[list[dict[str, Any]]]:
    """``count`` notifications as /batch bodies, spread over ``names`` in turn; each item's
    data names its request, so that a frame tells which 202 it follows."""
    items = [{"recipients": [names[(s + i) % len(names)] for i in range(min(per_item,
                                                                              count - s))],
              "channels": ["in_app"], "priority": priority,
              "content": {"title": "bench {{ n }}"}, "data": {"n": s}}
             for s in range(0, count, per_item)]
    bodies = [items[at:at + per_request] for at in range(0, len(items), per_request)]
    for index, body in enumerate(bodies):
        for item in body:
            item["data"]["r"] = index
    return bodies


class Online:
    """Readers of one tenant holding a socket each, acking as herald.js does."""

    def __init__(self, stack: BenchStack, tenant: TenantKeys, readers: list[HeraldReader],
                 names: list[str], opens_per_second: float) -> None:
        self.stack, self.tenant, self.readers, self.names = stack, tenant, readers, names
        self.opens_per_second = opens_per_second
        self.tally = Tally(keyed=lambda frame: frame["data"].get("r"))
        self._tasks = [asyncio.create_task(r.run(self.tally)) for r in readers]

    @classmethod
    async def open(cls, stack: BenchStack, tenant: TenantKeys, count: int,
                   by_ids: bool = False) -> Online:
        names = [f"on{i}" for i in range(count)]
        tokens = await reader_tokens(stack.api_url, tenant.secret_key, names)
        ws_url = stack.gateway_url.replace("http", "ws") + "/ws"
        readers, rate = await open_many(count, lambda i: open_herald(
            ws_url, tenant.publishable_key, tokens[i], by_ids=by_ids))
        return cls(stack, tenant, readers, names, rate)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*(r.ws.close() for r in self.readers), return_exceptions=True)

    def latencies_ms(self, accepted_at: dict[int, float]) -> list[float]:
        return [(at - accepted_at[r]) * 1000 for at, r in self.tally.arrivals]

    def gaps_and_duplicates(self) -> tuple[int, int]:
        return (sum(r.gaps for r in self.readers), sum(r.duplicates for r in self.readers))


async def post_all(api: httpx.AsyncClient, bodies: list[list[dict[str, Any]]],
                   accepted_at: dict[int, float] | None = None, first: int = 0) -> None:
    for index, body in enumerate(bodies, start=first):
        answer = await api.post("/v1/notifications/batch", json={"items": body})
        answer.raise_for_status()
        if accepted_at is not None:
            accepted_at[index] = time.perf_counter()


def api_client(stack: BenchStack, tenant: TenantKeys) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=stack.api_url, timeout=120, limits=LIMITS,
                             headers={"X-API-Key": tenant.secret_key})


async def end_to_end(online: Online, count: int) -> dict[str, Any]:
    """``count`` notifications through /batch as fast as the API takes them."""
    bodies = batches(online.names, count)
    online.tally.expect(count)
    accepted_at: dict[int, float] = {}
    begin = time.perf_counter()
    async with api_client(online.stack, online.tenant) as api:
        await post_all(api, bodies, accepted_at)
    accepted = time.perf_counter() - begin
    await online.tally.wait(1800)
    elapsed = time.perf_counter() - begin
    return {"accepted_per_second": round(count / accepted),
            "delivered_per_second": round(count / elapsed),
            "latency_ms": percentiles(online.latencies_ms(accepted_at))}


async def at_rate(online: Online, rate: int, seconds: float) -> dict[str, Any]:
    """Notifications offered at ``rate`` per second (a /batch every 100 ms) for ``seconds``:
    the latency from each 202 to its frames."""
    ticks = int(seconds * 10)
    per_tick = max(1, rate // 10)
    bodies = batches(online.names, per_tick * ticks, per_item=min(PER_ITEM, per_tick),
                     per_request=max(1, -(-per_tick // PER_ITEM)))
    online.tally.expect(per_tick * ticks)
    accepted_at: dict[int, float] = {}
    begin = time.perf_counter()
    async with api_client(online.stack, online.tenant) as api:
        for index, body in enumerate(bodies):
            await asyncio.sleep(max(0.0, begin + index / 10 - time.perf_counter()))
            await post_all(api, [body], accepted_at, first=index)
    offered = per_tick * ticks / (time.perf_counter() - begin)
    await online.tally.wait(600)
    return {"offered_per_second": round(offered), "sent": per_tick * ticks, **percentiles(
        online.latencies_ms(accepted_at))}


async def priority_under_backlog(online: Online, backlog: int, urgent: int) -> dict[str, Any]:
    """``backlog`` low-priority notifications queued for readers who are away, then
    ``urgent`` high-priority ones for readers online: their 202 -> socket latency."""
    away = [f"away{i}" for i in range(1000)]
    async with api_client(online.stack, online.tenant) as api:
        await post_all(api, batches(away, backlog, priority="low"))
        online.tally.expect(urgent)
        accepted_at: dict[int, float] = {}
        await post_all(api, batches(online.names, urgent, priority="high", per_item=1,
                                    per_request=1), accepted_at)
    await online.tally.wait(600)
    return {"backlog_low": backlog, "high": urgent, "sent": backlog + urgent,
            **percentiles(online.latencies_ms(accepted_at))}


async def until_stored(tenant_id: str, count: int) -> None:
    while stored_count(tenant_id) < count:
        await asyncio.sleep(0.2)


async def stored_per_second(stack: BenchStack, tenant: TenantKeys, names: Sequence[str],
                            count: int, per_item: int = PER_ITEM) -> float:
    """``count`` notifications for readers who are away: stored (and a retry scheduled for
    each) per second, from the first POST to the last row."""
    before = stored_count(tenant.tenant_id)
    begin = time.perf_counter()
    async with api_client(stack, tenant) as api:
        await post_all(api, batches(names, count, per_item=per_item))
    await until_stored(tenant.tenant_id, before + count)
    return count / (time.perf_counter() - begin)
