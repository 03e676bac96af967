"""Past one machine, every fault of one host is survived while notifications flow steadily
to readers connected through HAProxy, and each ends with the ledger check: every 202 stored
once and shown once, in seq order, on the reader's sockets. Each prints what a producer saw:
the time from the fault to the first 202 again, and the p99 latency of a 202 during and
after."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.cluster.conftest import on_client
from tests.cluster.servers import wait_for
from tests.cluster.topology import REDIS_HOSTS, Cluster
from tests.support.ledger import Flow

RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results"


@dataclass
class Figures:
    fault: str
    first_202_after_s: float
    p99_during_ms: float
    p99_after_ms: float
    accepted: int

    def say(self) -> None:
        line = (f"{self.fault}: first 202 again {self.first_202_after_s:.2f} s after the fault;"
                f" p99 202 {self.p99_during_ms:.0f} ms during, {self.p99_after_ms:.0f} ms "
                f"after; {self.accepted} accepted, every one stored once and shown once")
        print(line, flush=True)
        RESULTS.mkdir(parents=True, exist_ok=True)
        with (RESULTS / "cluster-failovers.jsonl").open("a") as out:
            out.write(json.dumps({"at": time.strftime("%Y-%m-%dT%H:%M:%S"),
                                  **self.__dict__}) + "\n")


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000 if ordered else 0.0


async def _through(cluster: Cluster, name: str, fault: Callable[[], None],
                   recover: Callable[[], None] | None = None) -> Figures:
    """Traffic, the fault, traffic through it, the recovery, more traffic, the ledger."""
    flow = Flow(cluster.api_url, cluster.ws_url, cluster.tenant["secret_key"],
                cluster.tenant["publishable_key"], rate=20.0)
    await flow.start(reader_count=4)
    await flow.flowing(shown=20, timeout=90)
    loop = asyncio.get_running_loop()
    faulted = loop.time()
    await asyncio.to_thread(fault)
    await flow.more_accepted(40, timeout=180)
    recovered = loop.time()
    if recover is not None:
        await asyncio.to_thread(recover)
    await flow.more_accepted(40, timeout=180)
    await flow.check(cluster.dsn, timeout=180)
    after_fault = [answered for asked, answered in flow.timings if asked >= faulted]
    return Figures(
        name, round(min(after_fault) - faulted, 2),
        _p99([b - a for a, b in flow.timings if faulted <= a < recovered]),
        _p99([b - a for a, b in flow.timings if a >= recovered]), len(flow.accepted))


@pytest.mark.timeout(600)
def test_the_redis_primary_killed_and_a_replica_promoted(cluster: Cluster):
    primary = cluster.redis_primary()

    def kill() -> None:
        cluster.kill(f"redis-{primary}")
        wait_for(lambda: cluster.redis_primary() != primary, 60, "a replica promoted")

    def bring_back() -> None:  # as its supervisor would: it rejoins as a replica
        cluster.restart(f"redis-{primary}")
        wait_for(lambda: cluster.redis_info(primary, "replication")["role"] == "slave", 60,
                 f"{primary} back as a replica")

    figures = on_client(cluster, lambda: _through(cluster, "Redis primary SIGKILLed", kill,
                                                  bring_back))
    figures.say()
    assert cluster.redis_primary() in REDIS_HOSTS and cluster.redis_primary() != primary


@pytest.mark.timeout(600)
def test_a_gateway_host_cut_off_its_readers_move_to_the_other(cluster: Cluster):
    figures = on_client(cluster, lambda: _through(
        cluster, "gateway host gw1 cut off", lambda: cluster.network.cut("gw1"),
        lambda: cluster.network.heal("gw1")))
    figures.say()
