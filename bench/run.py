"""Benchmarks: pipeline throughput with HERALD_BATCH_SIZE=1 against 100 (one run, so the
ratio is fair), and the latency from POST to a live socket frame.

Runs real processes on embedded servers, prints its figures and writes them to
bench/results/. ``make bench`` or ``python -m bench.run [--count N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import statistics
import time
import uuid

import httpx
import redis
from sqlalchemy import func, select

from bench.results import allow_many_sockets, save
from bench.stack import BenchStack, bench_stack
from tests.support.db import new_tenant
from tests.support.harness import Proc, wait_until
from tests.support.sockets import connect


def persisted(tenant_id: uuid.UUID) -> int:
    from backend.db.models import Notification
    from tests.support.db import session_scope

    with session_scope() as session:
        return session.scalar(select(func.count()).where(Notification.tenant_id == tenant_id))


def throughput(stack: BenchStack, batch: int, count: int) -> float:
    """Notifications persisted and pushed per second with one worker of two processes."""
    api_url = stack.api_url
    redis.Redis.from_url(stack.env["HERALD_REDIS_URL"]).flushdb()
    worker = stack.start("worker", batch_size=str(batch))
    bridge = stack.start("bridge", batch_size=str(batch))
    tenant = new_tenant(f"bench-{secrets.token_hex(3)}")
    items = [{"recipients": [f"r{i % 500}" for i in range(s, s + 100)], "priority": "normal",
              "channels": ["in_app"], "content": {"title": "bench {{ n }}"}, "data": {"n": s}}
             for s in range(0, count, 100)]
    begin = time.perf_counter()
    with httpx.Client(base_url=api_url, headers={"X-API-Key": tenant.secret_key},
                      timeout=120) as api:
        for start_at in range(0, len(items), 10):
            api.post("/v1/notifications/batch", json={"items": items[start_at:start_at + 10]})
    wait_until(lambda: persisted(uuid.UUID(tenant.tenant_id)) >= count, timeout=900,
               what=f"{count} persisted", interval=0.2)
    elapsed = time.perf_counter() - begin
    worker.stop()
    bridge.stop()
    return count / elapsed


async def latency(stack: BenchStack, samples: int) -> list[float]:
    """Milliseconds from the API's 202 to the frame on an open socket, one at a time."""
    api_url, gateway_url = stack.api_url, stack.gateway_url
    worker = stack.start("worker", batch_size="100")
    bridge = stack.start("bridge", batch_size="100")
    tenant = new_tenant(f"bench-{secrets.token_hex(3)}")
    async with httpx.AsyncClient(base_url=api_url,
                                 headers={"X-API-Key": tenant.secret_key}) as api:
        token = (await api.post("/v1/tokens", json={"user_id": "lat"})).json()["token"]
        sock = await connect(gateway_url.replace("http", "ws") + "/ws",
                             tenant.publishable_key, token, since=0)
        timings = []
        for i in range(samples):
            begin = time.perf_counter()
            await api.post("/v1/notifications", json={
                "recipients": ["lat"], "priority": "high", "content": {"title": f"{i}"}})
            await sock.next_of("notification")
            timings.append((time.perf_counter() - begin) * 1000)
        await sock.close()
    worker.stop()
    bridge.stop()
    return timings


async def socket_memory(gateway: Proc, gateway_url: str, api_url: str, sockets: int
                        ) -> float:
    """Resident memory a gateway node spends per open, idle socket (KB)."""
    import psutil
    import websockets

    tenant = new_tenant(f"bench-{secrets.token_hex(3)}")
    node = psutil.Process(gateway.popen.pid)
    async with httpx.AsyncClient(base_url=api_url,
                                 headers={"X-API-Key": tenant.secret_key}) as api:
        tokens = [(await api.post("/v1/tokens", json={"user_id": f"m{i}"})).json()["token"]
                  for i in range(sockets)]
    before = node.memory_info().rss
    url = gateway_url.replace("http", "ws") + f"/ws?api_key={tenant.publishable_key}"
    opened = []
    for token in tokens:
        ws = await websockets.connect(url)
        await ws.send(json.dumps({"type": "auth", "token": token}))
        await ws.send(json.dumps({"type": "hello", "since": None}))
        await ws.recv()
        opened.append(ws)
    per_socket = (node.memory_info().rss - before) / sockets / 1024
    for ws in opened:
        await ws.close()
    return per_socket


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--sockets", type=int, default=1000)
    args = parser.parse_args()
    allow_many_sockets()

    with bench_stack() as stack:
        gateway, _ = stack.start("gateway"), stack.start("api")
        one = throughput(stack, 1, args.count)
        print(f"batch size   1: {one:8.0f} notifications/s ({args.count} notifications)")
        hundred = throughput(stack, 100, args.count)
        print(f"batch size 100: {hundred:8.0f} notifications/s ({args.count} notifications)")
        print(f"ratio 100/1   : {hundred / one:8.1f}x")
        timings = asyncio.run(latency(stack, args.samples))
        quantiles = statistics.quantiles(timings, n=100)
        print(f"POST -> socket: p50 {quantiles[49]:.1f} ms, p95 {quantiles[94]:.1f} ms, "
              f"max {max(timings):.1f} ms ({args.samples} samples)")
        per_socket = asyncio.run(socket_memory(gateway, stack.gateway_url, stack.api_url,
                                               args.sockets))
        print(f"gateway memory: {per_socket:.1f} KB per open socket ({args.sockets} sockets)")
        save("pipeline", {
            "count": args.count,
            "throughput_batch_1": round(one, 1), "throughput_batch_100": round(hundred, 1),
            "ratio": round(hundred / one, 2),
            "latency_ms": {"p50": round(quantiles[49], 1), "p95": round(quantiles[94], 1),
                           "max": round(max(timings), 1), "samples": args.samples},
            "gateway_kb_per_socket": round(per_socket, 1), "sockets": args.sockets,
        })


if __name__ == "__main__":
    main()
