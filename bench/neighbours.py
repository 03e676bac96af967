"""Noisy neighbour: tenant B's latency (202 -> frame on an open socket) while tenant A
floods, as a ratio to B's quiet latency, in one run. B sends 5 a second for each phase (30 s
by default); A sends batches of 1,000 as fast as the API answers (far past its quota: what
the quota lets through becomes a backlog the bridge hands out a turn at a time).
``make bench-neighbours`` or ``python -m bench.neighbours [--seconds N]``.

Prints its figures and writes them to bench/results/neighbours-<time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import redis

from backend.notifications.stream import group_of
from bench.results import save
from bench.stack import BenchStack, bench_stack
from tests.support import ingest
from tests.support.db import new_tenant
from tests.support.harness import wait_until
from tests.support.sockets import Socket, connect, token_for


def flood(api_url: str, key: str, stop: threading.Event, sent: list[int]) -> None:
    """Tenant A: batches of 1,000 notifications to offline readers, sent again at once
    whatever the answer (a hostile client ignores Retry-After)."""
    items = [{"recipients": [f"a{i}-{j}" for j in range(100)], "channels": ["in_app"],
              "content": {"title": "flood {{ n }}"}, "data": {"n": i}} for i in range(10)]
    with httpx.Client(base_url=api_url, headers={"X-API-Key": key}, timeout=60) as api:
        while not stop.is_set():
            if api.post("/v1/notifications/batch", json={"items": items}).status_code == 202:
                sent[0] += 1000


async def b_latencies(api_url: str, key: str, sock: Socket, seconds: float,
                      per_second: float) -> tuple[list[float], int]:
    """Tenant B sends at a steady rate for ``seconds``; the latency of each one that reached
    B's socket within a minute of the last send, and how many did not."""
    sent_at: dict[str, float] = {}
    arrived: dict[str, float] = {}

    async def receive() -> None:
        while True:
            frame = await sock.next_of("notification", timeout=3600)
            arrived.setdefault(frame["id"], time.perf_counter())

    reader = asyncio.create_task(receive())
    async with httpx.AsyncClient(base_url=api_url, headers={"X-API-Key": key}) as api:
        for i in range(int(seconds * per_second)):
            begin = time.perf_counter()
            answer = await api.post("/v1/notifications", json={
                "recipients": ["b-reader"], "content": {"title": f"b {i}"}})
            assert answer.status_code == 202, answer.text
            sent_at[answer.json()["id"]] = begin
            await asyncio.sleep(max(0.0, 1 / per_second - (time.perf_counter() - begin)))
    deadline = time.perf_counter() + 60
    while len(arrived) < len(sent_at) and time.perf_counter() < deadline:
        await asyncio.sleep(0.1)
    reader.cancel()
    timings = [(arrived[n] - at) * 1000 for n, at in sent_at.items() if n in arrived]
    return timings, len(sent_at) - len(timings)


def summary(timings: list[float], missing: int) -> dict[str, float]:
    q = statistics.quantiles(timings, n=100)
    return {"p50": round(q[49], 1), "p99": round(q[98], 1), "max": round(max(timings), 1),
            "samples": len(timings), "missing_after_60s": missing}


async def phase(stack: BenchStack, seconds: float, flooding: bool) -> dict[str, float]:
    a, b = new_tenant("noisy"), new_tenant("quiet")
    sock = await connect(stack.gateway_url.replace("http", "ws") + "/ws", b.publishable_key,
                         token_for(stack.api_url, b.secret_key, "b-reader"), since=0)
    stop, sent = threading.Event(), [0]
    thread = threading.Thread(target=flood, args=(stack.api_url, a.secret_key, stop, sent))
    if flooding:
        thread.start()
        await asyncio.sleep(2)  # let A's backlog build
    started = time.perf_counter()
    timings, missing = await b_latencies(stack.api_url, b.secret_key, sock, seconds, 5)
    stop.set()
    elapsed = time.perf_counter() - started
    if flooding:
        thread.join()
    await sock.close()
    # A's backlog is stored before the next phase starts from an idle system.
    client = redis.Redis.from_url(stack.env["HERALD_REDIS_URL"], decode_responses=True)
    draining = time.perf_counter()
    await asyncio.to_thread(wait_until, lambda: ingest.drained(client), 900,
                            "tenant A's backlog to drain", 0.5)
    return {**summary(timings, missing), "a_accepted_per_s": round(sent[0] / elapsed, 1),
            "a_backlog_drained_s": round(time.perf_counter() - draining, 1),
            "same_lane": group_of(a.tenant_id) == group_of(b.tenant_id)}


def measure(seconds: float, settings: dict[str, str] | None = None) -> dict[str, Any]:
    """Both phases on a stack of their own with the default quotas: A gets what its quota
    lets through, and the bridge's turns keep B apart. ``settings``: Herald's, lowercase
    without ``HERALD_``, to try another value."""
    with bench_stack(**(settings or {})) as stack:
        for part in ("gateway", "api", "worker", "bridge"):
            stack.start(part)
        results: dict[str, Any] = {"quiet": asyncio.run(phase(stack, seconds, False))}
        results["flood"] = asyncio.run(phase(stack, seconds, flooding=True))
    results["p99_ratio"] = round(results["flood"]["p99"] / results["quiet"]["p99"], 2)
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30, help="of each phase")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a Herald setting for this run (bridge_queued_batches=1)")
    args = parser.parse_args()
    settings = dict(pair.split("=", 1) for pair in args.set)
    results = measure(args.seconds, settings)
    quiet = results["quiet"]["p99"]
    for name in ("quiet", "flood"):
        figures = results[name]
        print(f"{name:8s} B p50 {figures['p50']:7.1f} ms  p99 {figures['p99']:7.1f} ms  "
              f"(p99 x{figures['p99'] / quiet:5.1f} quiet)  A accepted "
              f"{figures['a_accepted_per_s']:7.0f}/s, its backlog drained "
              f"{figures['a_backlog_drained_s']:.1f} s after"
              f"{'  (A and B share a lane)' if figures['same_lane'] else ''}")
    saved = save("neighbours", {"seconds_per_phase": args.seconds, "settings": settings,
                                **results})
    print(f"results: {saved}")


def in_a_process_of_its_own(seconds: float) -> dict[str, Any]:
    """``make bench`` runs it so: its stack and database sessions are its own."""
    done = subprocess.run([sys.executable, "-m", "bench.neighbours", "--seconds",
                           str(seconds)], capture_output=True, text=True, check=True)
    saved = next(line for line in done.stdout.splitlines() if line.startswith("results: "))
    return json.loads(Path(saved.removeprefix("results: ")).read_text())


if __name__ == "__main__":
    main()
