"""``make bench``: every performance figure in one run, on real processes as ``herald up``
runs them (embedded Redis and PostgreSQL), each beside its target or its peer. Prints a table
and writes ``bench/results/bench-<stamp>.json`` and a PNG of latency against offered rate.

    python -m bench.run [--quick] [--no-peers]

``--quick`` runs every measurement with small counts (a smoke run of a minute or two).
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import time
from dataclasses import dataclass
from typing import Any

from backend.core.config import Settings
from bench import ceilings, neighbours, peers, pipeline, sockets, topics
from bench.clients import open_socketio
from bench.plot import latency_plot
from bench.results import RESULTS, allow_many_sockets, fast_event_loop, save, stamp
from bench.stack import BenchStack, bench_stack
from bench.table import print_table, verdict
from tests.support.db import forget_waits, new_tenant


@dataclass
class Sizes:
    readers: int = 1000
    count: int = 50_000
    rates: tuple[int, ...] = (250, 500, 1000, 2000, 3000)
    seconds_per_rate: float = 8.0
    backlog: int = 20_000
    urgent: int = 100
    storm_readers: int = 5000
    missed: int = 10
    ratio_count: int = 2000
    sockets: int = 10_000
    messages: int = 5
    topic_subscribers: int = 100_000
    topic_online: int = 500
    neighbour_seconds: float = 30.0

    @classmethod
    def quick(cls) -> Sizes:
        return cls(readers=100, count=2000, rates=(100, 400), seconds_per_rate=2.0,
                   backlog=1000, urgent=20, storm_readers=200, missed=5, ratio_count=500,
                   sockets=300, messages=2, topic_subscribers=2000, topic_online=50,
                   neighbour_seconds=5.0)


def phase(name: str) -> float:
    print(f"- {name} ...", flush=True)
    return time.perf_counter()


async def readers_online(stack: BenchStack, sizes: Sizes, out: dict[str, Any]) -> str:
    tenant = new_tenant(f"bench-{secrets.token_hex(3)}")
    online = await pipeline.Online.open(stack, tenant, sizes.readers)
    phase(f"end to end: {sizes.readers} readers online, {sizes.count} notifications")
    out["online"] = {"readers": sizes.readers, "count": sizes.count,
                     **await pipeline.end_to_end(online, sizes.count)}
    out["online"]["gaps"], out["online"]["duplicates"] = online.gaps_and_duplicates()
    sent_by_ids = await acks_by_ids(stack, sizes, out)
    out["latency_by_rate"] = []
    for rate in sizes.rates:
        phase(f"latency at {rate}/s offered")
        out["latency_by_rate"].append(await pipeline.at_rate(online, rate,
                                                             sizes.seconds_per_rate))
    phase(f"priority: {sizes.backlog} low queued, then {sizes.urgent} high")
    out["priority"] = await pipeline.priority_under_backlog(online, sizes.backlog, sizes.urgent)
    await online.close()
    phase("the backlog stored, before the next figure")
    sent = sizes.count + sum(r["sent"] for r in out["latency_by_rate"]) + out["priority"]["sent"]
    forget_waits(sent_by_ids)
    await pipeline.until_stored(tenant.tenant_id, sent)
    # Each figure measures its own path: the retries still waiting for a phase's readers who
    # are away (here the priority backlog's 20,000, after the storm its 50,000) would run
    # under the figures after it. The tests drop a flood's waits the same way.
    forget_waits(tenant.tenant_id)
    return tenant.tenant_id


async def acks_by_ids(stack: BenchStack, sizes: Sizes, out: dict[str, Any]) -> str:
    """The same run with readers of another tenant acknowledging each notification by id
    (once per burst) instead of cumulatively by seq; returns that tenant's id."""
    tenant = new_tenant(f"bench-{secrets.token_hex(3)}")
    online = await pipeline.Online.open(stack, tenant, sizes.readers, by_ids=True)
    phase(f"end to end again, the {sizes.readers} readers acking by ids")
    figures = await pipeline.end_to_end(online, sizes.count)
    await online.close()
    out["acks_by_ids"] = {**figures, "over_seq": round(
        figures["delivered_per_second"] / out["online"]["delivered_per_second"], 2)}
    await pipeline.until_stored(tenant.tenant_id, sizes.count)
    return tenant.tenant_id


async def readers_away(stack: BenchStack, sizes: Sizes, out: dict[str, Any]) -> None:
    tenant = new_tenant(f"bench-{secrets.token_hex(3)}")
    names = [f"away{i}" for i in range(sizes.storm_readers)]
    count = sizes.storm_readers * sizes.missed
    phase(f"readers away: {count} notifications for {len(names)} readers")
    out["offline"] = {"count": count, "stored_per_second": round(
        await pipeline.stored_per_second(stack, tenant, names, count))}
    phase(f"reconnect storm: {len(names)} readers, {sizes.missed} missed each")
    out["storm"] = await sockets.reconnect_storm(stack, tenant, names, sizes.missed)
    forget_waits(tenant.tenant_id)


def ratios(stack: BenchStack, parts: dict[str, Any], sizes: Sizes, out: dict[str, Any]
           ) -> None:
    """Batch size 1 against 100, one worker process against two (batches of the default
    size), readers away."""
    tenant = new_tenant(f"bench-{secrets.token_hex(3)}")
    names = [f"ratio{i}" for i in range(500)]
    measured: dict[str, float] = {}
    default = str(Settings.model_fields["batch_size"].default)
    for label, settings in (("batch_1", {"batch_size": "1", "worker_concurrency": "2"}),
                            ("batch_100", {"batch_size": "100", "worker_concurrency": "2"}),
                            ("workers_1", {"batch_size": default, "worker_concurrency": "1"}),
                            ("workers_2", {"batch_size": default, "worker_concurrency": "2"})):
        phase(f"ratio: {label.replace('_', ' ')}")
        for name in ("worker", "bridge"):
            parts[name].stop()
        parts["bridge"] = stack.start("bridge", batch_size=settings["batch_size"])
        parts["worker"] = stack.start("worker", **settings)
        measured[label] = round(asyncio.run(pipeline.stored_per_second(
            stack, tenant, names, sizes.ratio_count)))
    out["ratios"] = {**measured,
                     "batch_100_over_1": round(measured["batch_100"] / measured["batch_1"], 2),
                     "workers_2_over_1": round(measured["workers_2"] / measured["workers_1"],
                                               2)}


def against_peers(sizes: Sizes, out: dict[str, Any]) -> None:
    commands = peers.install()
    out["peers"] = {}
    for name, command in commands.items():
        phase(f"peer {name}: {sizes.sockets} sockets")
        with peers.running(name, command) as peer:
            url = peer.url.replace("http", "ws")
            out["peers"][name] = asyncio.run(sockets.measure_server(
                peer.pid, sizes.sockets, sizes.messages, lambda _i, u=url: open_socketio(u),
                lambda n, p=peer: asyncio.to_thread(p.blast, n, sockets.FRAME)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="small counts: a smoke run")
    parser.add_argument("--no-peers", action="store_true", help="leave the peers out")
    args = parser.parse_args()
    sizes = Sizes.quick() if args.quick else Sizes()
    allow_many_sockets()
    fast_event_loop()
    at, begin, out = stamp(), time.perf_counter(), {"sizes": sizes.__dict__}
    with bench_stack(tenant_rate_per_second="1000000", tenant_burst="10000000") as stack:
        parts = {name: stack.start(name) for name in ("gateway", "api", "bridge", "worker")}
        online_tenant = asyncio.run(readers_online(stack, sizes, out))
        asyncio.run(readers_away(stack, sizes, out))
        phase("ceilings: XADD, COPY and INSERT of the same entries and rows")
        out["ceilings"] = {"xadd_per_second": round(ceilings.xadd_per_second(
            stack.env["HERALD_REDIS_URL"], sizes.count)),
            **ceilings.rows_per_second(stack.env["HERALD_DATABASE_URL"], online_tenant)}
        phase(f"gateway: {sizes.sockets} sockets on one process")
        out["gateway"] = asyncio.run(sockets.herald_gateway(
            stack, parts["gateway"].popen.pid, sizes.sockets, sizes.messages))
        phase(f"topic of {sizes.topic_subscribers:,}, {sizes.topic_online} of them online")
        parts["beat"] = stack.start("beat")  # a topic send fans out on beat's ticks
        out["topic"] = {"subscribers": sizes.topic_subscribers, "online": sizes.topic_online,
                        **asyncio.run(topics.topic_send(stack, sizes.topic_subscribers,
                                                        sizes.topic_online))}
        parts["beat"].stop()
        ratios(stack, parts, sizes, out)
    phase(f"noisy neighbour: B quiet, then A flooding, {sizes.neighbour_seconds:g} s each")
    out["neighbours"] = neighbours.in_a_process_of_its_own(sizes.neighbour_seconds)
    if not args.no_peers:
        against_peers(sizes, out)
    out["minutes"] = round((time.perf_counter() - begin) / 60, 1)
    out["targets"] = verdict(out)
    print_table(out)
    save("bench", out, at)
    print(f"plot written to {latency_plot(out['latency_by_rate'], RESULTS / f'bench-{at}.png')}")


if __name__ == "__main__":
    main()
