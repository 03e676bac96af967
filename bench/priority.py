"""The priority figure alone (issue 24): ``--backlog`` low notifications for readers who are
away, then ``--urgent`` high ones for readers online; the high ones' 202 → socket latency,
on the make bench stack, ``--runs`` times on one stack.

    python -m bench.priority [--backlog 20000] [--urgent 100] [--readers 200] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
from typing import Any

from bench import pipeline
from bench.results import allow_many_sockets, fast_event_loop, save, stamp
from bench.stack import BenchStack, bench_stack
from tests.support.db import forget_waits, new_tenant


async def measure(stack: BenchStack, args: argparse.Namespace) -> list[dict[str, Any]]:
    tenant = new_tenant(f"bench-{secrets.token_hex(3)}")
    online = await pipeline.Online.open(stack, tenant, args.readers)
    found, sent = [], 0
    for run in range(args.runs):
        figures = await pipeline.priority_under_backlog(online, args.backlog, args.urgent)
        sent += figures["sent"]
        print(f"  run {run + 1}: high p50 {figures['p50']:.0f} ms, p95 {figures['p95']:.0f} ms, "
              f"p99 {figures['p99']:.0f} ms", flush=True)
        found.append(figures)
        await pipeline.until_stored(tenant.tenant_id, sent)  # each run starts with no backlog
        forget_waits(tenant.tenant_id)
    await online.close()
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backlog", type=int, default=20_000)
    parser.add_argument("--urgent", type=int, default=100)
    parser.add_argument("--readers", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    allow_many_sockets()
    fast_event_loop()
    at = stamp()
    print(f"{args.urgent} high after {args.backlog} low, {args.readers} readers online:")
    with bench_stack(tenant_rate_per_second="1000000", tenant_burst="10000000") as stack:
        for name in ("gateway", "api", "bridge", "worker"):
            stack.start(name)
        runs = asyncio.run(measure(stack, args))
    save("priority", {"backlog": args.backlog, "urgent": args.urgent, "runs": runs}, at)


if __name__ == "__main__":
    main()
