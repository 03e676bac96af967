"""The soak: ``herald up`` at a steady rate for a while, with random kills of random parts.

Prints each process's memory, the queue depths, stream length and pending entries at the
start and the end (no growth trend expected), then the ledger: every accepted notification
stored once and shown once, in order. ``make chaos`` or
``python -m bench.chaos [--minutes 10] [--rate 20]``. Writes bench/results/chaos-<date>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil
import redis

from backend.notifications import queues
from tests.support import ingest
from tests.support.ledger import Flow
from tests.support.system import HeraldUp

RESULTS = Path(__file__).parent / "results"
VICTIMS = ("worker", "bridge", "gateway", "beat", "api", "redis")


def snapshot(system: HeraldUp) -> dict[str, Any]:
    """Memory of every supervised process (with its children), and the backlog in Redis."""
    memory = {}
    for info in system.rpc().getAllProcessInfo():
        if info["pid"]:
            proc = psutil.Process(info["pid"])
            rss = sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)])
            memory[info["name"]] = round(rss / 2**20, 1)
    client = redis.Redis.from_url(system.redis_url, decode_responses=True)
    return {
        "memory_mib": memory,
        "queue_depths": {q: client.llen(q) for q in queues.ALL},
        "stream_length": ingest.length(client),
        "pending": ingest.pending(client),
    }


async def soak(system: HeraldUp, minutes: float, rate: float) -> dict[str, Any]:
    creds = system.creds()
    flow = Flow(system.api_url, system.ws_url, creds["secret_key"], creds["publishable_key"],
                rate=rate)
    await flow.start(reader_count=8)
    await asyncio.sleep(10)
    start = await asyncio.to_thread(snapshot, system)
    print("start:", json.dumps(start), flush=True)
    kills: list[str] = []
    deadline = time.monotonic() + minutes * 60
    while time.monotonic() < deadline:
        await asyncio.sleep(random.uniform(10, 30))
        victim = random.choice(VICTIMS)
        old = await asyncio.to_thread(system.kill, victim)
        await asyncio.to_thread(system.wait_restarted, victim, old, 120)
        kills.append(victim)
        print(f"{datetime.now(UTC):%H:%M:%S} killed {victim}; restarted; "
              f"{len(flow.accepted)} accepted so far", flush=True)
    await asyncio.sleep(15)  # settle before the end snapshot, still under traffic
    end = await asyncio.to_thread(snapshot, system)
    print("end:  ", json.dumps(end), flush=True)
    await flow.check(system.database_dsn, timeout=300)
    shown = sum(len(r.frames) for r in flow.readers)
    print(f"ledger: {len(flow.accepted)} accepted, {len(flow.accepted)} stored once each, "
          f"{shown} frames shown, none twice, in seq order, after {len(kills)} kills", flush=True)
    return {"minutes": minutes, "rate": rate, "kills": kills, "start": start, "end": end,
            "accepted": len(flow.accepted), "shown": shown}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--rate", type=float, default=20, help="notifications per second")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="herald-chaos-") as work:
        system = HeraldUp(Path(work) / ".herald", Path(work) / "up.log", {
            "HERALD_RETRY_BASE_SECONDS": "1", "HERALD_DISPATCH_INTERVAL_SECONDS": "0.5",
            "HERALD_VISIBILITY_TIMEOUT_SECONDS": "30",
            "HERALD_STREAM_REDELIVER_AFTER_SECONDS": "20"})
        system.start()
        try:
            result = asyncio.run(soak(system, args.minutes, args.rate))
        finally:
            system.stop()
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"chaos-{datetime.now(UTC):%Y-%m-%d}.json"
    path.write_text(json.dumps(result, indent=2))
    print(f"written to {path}")


if __name__ == "__main__":
    main()
