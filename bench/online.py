"""End to end with readers online: N readers hold a socket each and acknowledge as herald.js
does (one cumulative ack per burst); notifications go in through ``/batch``; the figure is
notifications delivered to sockets per second, from the first POST to the last frame.

    python -m bench.online [--readers 500] [--count 10000] [--away] [--profile worker]

``--profile worker|gateway`` records that part (with its child processes) with py-spy
meanwhile, and writes its samples and top frames under bench/results/.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
from typing import Any

import psutil

from backend.core.config import Settings
from bench import pipeline, profile
from bench.pipeline import Online, end_to_end
from bench.results import RESULTS, allow_many_sockets, fast_event_loop, save, stamp
from bench.stack import BenchStack, bench_stack
from tests.support.db import new_tenant

PARTS = ("backend.cli worker", "backend.cli gateway", "backend.cli api", "backend.cli bridge",
         "postgres", "redis-server", "bench.online")


async def delivered_per_second(stack: BenchStack, readers: int, count: int,
                               by_ids: bool = False) -> dict[str, Any]:
    online = await Online.open(stack, new_tenant(f"bench-{secrets.token_hex(3)}"), readers,
                               by_ids)
    figures = await end_to_end(online, count)
    await online.close()
    return figures


async def stored_per_second(stack: BenchStack, readers: int, count: int) -> dict[str, Any]:
    """The same readers away: stored (and a retry scheduled) per second."""
    names = [f"away{i}" for i in range(readers)]
    tenant = new_tenant(f"bench-{secrets.token_hex(3)}")
    return {"stored_per_second": round(
        await pipeline.stored_per_second(stack, tenant, names, count))}


def cpu_by_process() -> dict[str, float]:
    """CPU seconds so far of every process on the machine, by a short name."""
    seconds: dict[str, float] = {}
    for proc in psutil.process_iter(["cmdline", "cpu_times"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        times = proc.info["cpu_times"]
        if not cmdline or times is None:
            continue
        name = next((part for part in PARTS if part in cmdline), cmdline[:40])
        seconds[name] = seconds.get(name, 0.0) + times.user + times.system
    return seconds


def _past_weeks(weeks: int) -> None:
    from datetime import UTC, datetime

    from backend.db import partitions
    from tests.support.db import session_scope

    with session_scope() as session:
        for back in range(1, weeks + 1):
            partitions.create(session, (datetime.now(UTC) - back * partitions.WEEK).date())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--readers", type=int, default=500)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=2,
                        help="the worker's pool processes (HERALD_WORKER_CONCURRENCY)")
    parser.add_argument("--weeks", type=int, default=0,
                        help="first make this many past weeks' partitions, as a system that "
                        "keeps that much history holds (13 for the default 90 days)")
    parser.add_argument("--away", action="store_true",
                        help="the readers hold no socket: notifications stored per second")
    parser.add_argument("--partitions", type=int, default=1,
                        help="of the ingest stream (HERALD_INGEST_PARTITIONS)")
    parser.add_argument("--batch-size", type=int, default=Settings.model_fields[
                            "batch_size"].default, help="entries per Celery task "
                        "(HERALD_BATCH_SIZE; Herald's default unless given)")
    parser.add_argument("--ack-ids", action="store_true",
                        help="the readers acknowledge each notification by id (once per "
                             "burst), not cumulatively by seq")
    parser.add_argument("--profile", choices=["worker", "gateway", "bridge", "api"],
                        help="record this part with py-spy meanwhile")
    args = parser.parse_args()
    allow_many_sockets()
    fast_event_loop()
    at = stamp()
    folded = RESULTS / f"online-{at}.folded"
    with bench_stack(tenant_rate_per_second="100000", tenant_burst="1000000",
                     ingest_partitions=str(args.partitions),
                     batch_size=str(args.batch_size)) as stack:
        _past_weeks(args.weeks)
        parts = {name: stack.start(name) for name in ("gateway", "api", "bridge")}
        parts["worker"] = stack.start("worker", worker_concurrency=str(args.concurrency))
        spy = (profile.record(parts[args.profile].popen.pid, 40, folded) if args.profile
               else None)
        before = cpu_by_process()
        figures = asyncio.run(
            stored_per_second(stack, args.readers, args.count) if args.away else
            delivered_per_second(stack, args.readers, args.count, args.ack_ids))
        after = cpu_by_process()
        if spy is not None:
            spy.wait()
    cpu_ms = {name: round((after[name] - before.get(name, 0.0)) * 1000 / args.count, 3)
              for name in after if after[name] - before.get(name, 0.0) > 0.5}
    print(f"{args.readers} readers {'away' if args.away else 'online'} (acking by "
          f"{'ids' if args.ack_ids else 'seq'}), {args.count} "
          f"notifications through /batch, worker with {args.concurrency} process(es):")
    if args.away:
        print(f"  stored    {figures['stored_per_second']:8.0f}/s")
    else:
        print(f"  accepted  {figures['accepted_per_second']:8.0f}/s")
        print(f"  delivered {figures['delivered_per_second']:8.0f}/s")
        latency = figures["latency_ms"]
        print(f"  202 -> socket p50 {latency['p50']} ms, p95 {latency['p95']} ms, "
              f"p99 {latency['p99']} ms")
    print("  CPU per notification: " + ", ".join(
        f"{name} {ms:.2f} ms" for name, ms in sorted(cpu_ms.items(), key=lambda kv: -kv[1])))
    result = {"readers": args.readers, "away": args.away, "count": args.count,
              "ack": "ids" if args.ack_ids else "seq",
              "past_week_partitions": args.weeks,
              "ingest_partitions": args.partitions, "batch_size": args.batch_size,
              "worker_concurrency": args.concurrency,
              **figures, "cpu_ms_per_notification": cpu_ms}
    if folded.exists():
        result["profile_top_frames"] = profile.report(folded, args.profile)
    save("online", result, at)


if __name__ == "__main__":
    main()
