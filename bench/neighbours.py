"""Noisy neighbour: tenant B's latency (202 -> frame on an open socket) while tenant A
floods, as a ratio to B's quiet latency, with the bridge's fair share on and then off, all
in one run. ``make bench-neighbours`` or ``python -m bench.neighbours [--samples N]``.

Prints its figures and writes them to bench/results/neighbours-<time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import threading
import time
from datetime import UTC, datetime

import httpx

from bench.run import RESULTS
from bench.stack import BenchStack, bench_stack
from tests.support.db import new_tenant
from tests.support.sockets import Socket, connect, token_for

NO_FAIR_SHARE = "1000000000"


def flood(api_url: str, key: str, stop: threading.Event, sent: list[int]) -> None:
    """Tenant A: batches of 1,000 notifications to offline readers, as fast as accepted."""
    items = [{"recipients": [f"a{i}-{j}" for j in range(100)], "channels": ["in_app"],
              "content": {"title": "flood {{ n }}"}, "data": {"n": i}} for i in range(10)]
    with httpx.Client(base_url=api_url, headers={"X-API-Key": key}, timeout=60) as api:
        while not stop.is_set():
            if api.post("/v1/notifications/batch", json={"items": items}).status_code == 202:
                sent[0] += 1000


async def b_latencies(api_url: str, key: str, sock: Socket, samples: int) -> list[float]:
    timings = []
    async with httpx.AsyncClient(base_url=api_url, headers={"X-API-Key": key}) as api:
        for i in range(samples):
            begin = time.perf_counter()
            answer = await api.post("/v1/notifications", json={
                "recipients": ["b-reader"], "content": {"title": f"b {i}"}})
            assert answer.status_code == 202, answer.text
            await sock.next_of("notification", timeout=120)
            timings.append((time.perf_counter() - begin) * 1000)
    return timings


def summary(timings: list[float]) -> dict[str, float]:
    q = statistics.quantiles(timings, n=100)
    return {"p50": round(q[49], 1), "p99": round(q[98], 1), "max": round(max(timings), 1)}


async def phase(stack: BenchStack, samples: int, flooding: bool) -> dict[str, float]:
    a, b = new_tenant("noisy"), new_tenant("quiet")
    sock = await connect(stack.gateway_url.replace("http", "ws") + "/ws", b.publishable_key,
                         token_for(stack.api_url, b.secret_key, "b-reader"), since=0)
    stop, sent = threading.Event(), [0]
    thread = threading.Thread(target=flood, args=(stack.api_url, a.secret_key, stop, sent))
    if flooding:
        thread.start()
        await asyncio.sleep(2)  # let A's backlog build
    started = time.perf_counter()
    timings = await b_latencies(stack.api_url, b.secret_key, sock, samples)
    stop.set()
    if flooding:
        thread.join()
    await sock.close()
    return {**summary(timings),
            "a_accepted_per_s": round(sent[0] / (time.perf_counter() - started), 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    # A's quota is high: the flood is accepted, and the queues must keep B apart from it.
    with bench_stack(tenant_rate_per_second="100000", tenant_burst="1000000") as stack:
        stack.start("gateway")
        stack.start("api")
        stack.start("worker")
        bridge = stack.start("bridge")
        results = {"quiet": asyncio.run(phase(stack, args.samples, flooding=False))}
        results["flood_fair_share_on"] = asyncio.run(phase(stack, args.samples, flooding=True))
        bridge.stop()
        stack.start("bridge", tenant_fair_share_per_second=NO_FAIR_SHARE)
        results["flood_fair_share_off"] = asyncio.run(phase(stack, args.samples, True))
    quiet = results["quiet"]["p99"]
    for name, figures in results.items():
        print(f"{name:22s} B p50 {figures['p50']:7.1f} ms  p99 {figures['p99']:7.1f} ms  "
              f"(p99 x{figures['p99'] / quiet:5.1f} quiet)  A accepted "
              f"{figures['a_accepted_per_s']:7.0f}/s")
    out = RESULTS / f"neighbours-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    RESULTS.mkdir(exist_ok=True)
    out.write_text(json.dumps({
        "at": datetime.now(UTC).isoformat(), "machine": platform.platform(),
        "cpus": os.cpu_count(), "samples": args.samples, **results,
        "p99_ratio_on": round(results["flood_fair_share_on"]["p99"] / quiet, 2),
        "p99_ratio_off": round(results["flood_fair_share_off"]["p99"] / quiet, 2),
    }, indent=2) + "\n")
    print(f"written to {out}")


if __name__ == "__main__":
    main()
