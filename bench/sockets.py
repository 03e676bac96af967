"""What a WebSocket server spends per socket and per frame, measured the same way for
Herald's gateway and for its peers: resident memory per open idle socket, sockets opened per
second (50 opening at once), the time one message takes to reach every socket, and frames
delivered per second when several messages go to every socket. For Herald also a reconnect
storm: readers who each missed notifications all coming back at once.

    python -m bench.sockets [--sockets 2000]   (Herald's gateway alone)
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import psutil

from bench import profile
from bench.clients import (
    AT_ONCE,
    HeraldReader,
    Tally,
    close_all,
    open_herald,
    open_many,
    reader_tokens,
)
from bench.results import RESULTS, allow_many_sockets, fast_event_loop, save, stamp
from bench.stack import BenchStack, bench_stack
from tests.support.db import new_tenant
from tests.support.stack import TenantKeys

FRAME = {"type": "notification", "title": "Your export is ready",
         "body": "The report you asked for (412 rows) can be downloaded for 7 days.",
         "category": "exports", "priority": "normal", "data": {"url": "/exports/81"},
         "created_at": "2026-11-29T03:00:00+00:00", "read": False, "change": 0}
PUSH_CHUNK = 1000  # items per /internal/push, as a worker's batch


async def measure_server(pid: int, count: int, messages: int,
                         open_one: Callable[[int], Awaitable[Any]],
                         blast: Callable[[int], Awaitable[None]],
                         opening: Callable[[], object] = lambda: None,
                         fanning: Callable[[], object] = lambda: None,
                         prepare: Callable[[int], object] = lambda _: None) -> dict[str, float]:
    """Open ``count`` sockets, then send one message to all, then ``messages`` more;
    ``opening`` is called as the sockets start opening, ``fanning`` as the messages start,
    ``prepare(n)`` before the clock starts for ``n`` messages."""
    server = psutil.Process(pid)
    await close_all((await open_many(AT_ONCE, open_one))[0])  # warm-up: pools, imports
    opening()
    before = server.memory_info().rss
    sockets, opens = await open_many(count, open_one)
    await asyncio.sleep(1)  # idle: what each socket allocates later counts too
    kib = (server.memory_info().rss - before) / count / 1024
    tally = Tally()
    tasks = [asyncio.create_task(s.run(tally)) for s in sockets]
    tally.expect(count)
    prepare(1)
    begin = time.perf_counter()
    await blast(1)
    await tally.wait(120)
    one_to_all = time.perf_counter() - begin
    tally.expect(count * messages)
    prepare(messages)
    fanning()
    me = psutil.Process()
    cpu_before = (sum(server.cpu_times()[:2]), sum(me.cpu_times()[:2]))
    begin = time.perf_counter()
    await blast(messages)
    await tally.wait(600)
    elapsed = time.perf_counter() - begin
    per_second = count * messages / elapsed
    busy = (sum(server.cpu_times()[:2]) - cpu_before[0]) / elapsed
    clients_busy = (sum(me.cpu_times()[:2]) - cpu_before[1]) / elapsed
    for task in tasks:
        task.cancel()
    await close_all(sockets)
    return {"kib_per_socket": round(kib, 1), "opens_per_second": round(opens),
            "one_to_all_seconds": round(one_to_all, 3),
            "fanout_frames_per_second": round(per_second),
            "fanout_server_cpu": round(busy, 2), "fanout_clients_cpu": round(clients_busy, 2)}


class HeraldGateway:
    """Herald's gateway driven as the peers are: sockets of new readers, frames through
    the push API (as workers hand them over), no acks (the peers get none)."""

    def __init__(self, stack: BenchStack, tenant: TenantKeys, tokens: list[str]) -> None:
        self.stack, self.tenant, self.tokens = stack, tenant, tokens
        self.ws_url = stack.gateway_url.replace("http", "ws") + "/ws"
        self.sent = itertools.count(1)
        self.names = [f"s{i}" for i in range(len(tokens))]
        self.ready: tuple[int, list[bytes]] = (0, [])  # (messages, their pushes)

    async def open_one(self, index: int) -> HeraldReader:
        return await open_herald(self.ws_url, self.tenant.publishable_key,
                                 self.tokens[index % len(self.tokens)], since=None, ack=False)

    def bodies(self, messages: int) -> list[bytes]:
        """The push requests of ``messages`` messages, encoded before the clock starts: the
        frames are the workers' to build (the peers get one small request for all), and the
        bench process, which also holds every client socket, is the one that would pay.
        The messages are handed over together, as the peers get them: each request carries
        all of them, in order, for its share of the readers."""
        seqs = [next(self.sent) for _ in range(messages)]
        items = [{"tenant_id": self.tenant.tenant_id, "external_id": name,
                  "frame": {**FRAME, "id": str(uuid.uuid4()), "seq": seq}}
                 for name in self.names for seq in seqs]
        step = max(1, PUSH_CHUNK // messages) * messages
        return [json.dumps({"items": items[at:at + step]}).encode()
                for at in range(0, len(items), step)]

    def prepare(self, messages: int) -> None:
        self.ready = (messages, self.bodies(messages))

    async def blast(self, messages: int) -> None:
        prepared, bodies = self.ready
        if prepared != messages:
            bodies = self.bodies(messages)
        self.ready = (0, [])
        headers = {"X-Internal-Key": self.stack.env["HERALD_INTERNAL_KEY"],
                   "Content-Type": "application/json"}
        async with httpx.AsyncClient(base_url=self.stack.gateway_url, headers=headers,
                                     timeout=300) as gateway:
            await asyncio.gather(*(gateway.post("/internal/push", content=body)
                                   for body in bodies))


async def herald_gateway(stack: BenchStack, gateway_pid: int, count: int, messages: int,
                         opening: Callable[[], object] = lambda: None,
                         fanning: Callable[[], object] = lambda: None) -> dict[str, float]:
    tenant = new_tenant(f"bench-{secrets.token_hex(3)}")
    names = [f"s{i}" for i in range(count)]
    herald = HeraldGateway(stack, tenant, await reader_tokens(stack.api_url,
                                                               tenant.secret_key, names))
    return await measure_server(gateway_pid, count, messages, herald.open_one, herald.blast,
                                opening, fanning, herald.prepare)


async def reconnect_storm(stack: BenchStack, tenant: TenantKeys, names: list[str],
                          missed: int) -> dict[str, float]:
    """Every reader in ``names`` (each with ``missed`` stored notifications) reconnects at
    once with ``since: 0``: how long until all have caught up, with no gap or duplicate."""
    tokens = await reader_tokens(stack.api_url, tenant.secret_key, names)
    ws_url = stack.gateway_url.replace("http", "ws") + "/ws"
    tally = Tally()
    tally.expect(len(names) * missed)
    tasks: list[asyncio.Task[None]] = []

    async def come_back(index: int) -> HeraldReader:
        reader = await open_herald(ws_url, tenant.publishable_key, tokens[index], since=0)
        tasks.append(asyncio.create_task(reader.run(tally)))
        return reader

    begin = time.perf_counter()
    readers, _ = await open_many(len(names), come_back)
    await tally.wait(600)
    seconds = time.perf_counter() - begin
    behind = sum(r.seq != missed for r in readers)
    for task in tasks:
        task.cancel()
    await close_all(readers)
    return {"readers": len(names), "missed_each": missed, "seconds": round(seconds, 2),
            "gaps": sum(r.gaps for r in readers),
            "duplicates": sum(r.duplicates for r in readers), "not_caught_up": behind}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sockets", type=int, default=2000)
    parser.add_argument("--messages", type=int, default=5)
    parser.add_argument("--profile", type=int, metavar="SECONDS",
                        help="record the gateway with py-spy for the first SECONDS (the opens)")
    parser.add_argument("--profile-fanout", type=int, metavar="SECONDS",
                        help="record the gateway for the first SECONDS of the fan-out instead")
    args = parser.parse_args()
    allow_many_sockets()
    fast_event_loop()
    at = stamp()
    folded = RESULTS / f"sockets-{at}.folded"
    with bench_stack() as stack:
        gateway, _ = stack.start("gateway"), stack.start("api")
        spies = []

        def opening() -> None:
            if args.profile:
                spies.append(profile.record(gateway.popen.pid, args.profile, folded))

        def fanning() -> None:
            if args.profile_fanout:
                spies.append(profile.record(gateway.popen.pid, args.profile_fanout, folded))

        figures = asyncio.run(herald_gateway(stack, gateway.popen.pid, args.sockets,
                                             args.messages, opening, fanning))
        for spy in spies:
            spy.wait()
            figures["profile_top_frames"] = profile.report(folded, "gateway")
    print(f"{args.sockets} idle sockets on one gateway process:")
    print(f"  memory   {figures['kib_per_socket']:7.1f} KiB per socket")
    print(f"  opened   {figures['opens_per_second']:7.0f} sockets/s ({AT_ONCE} at once)")
    print(f"  one to all {figures['one_to_all_seconds']:5.3f} s")
    print(f"  fan-out  {figures['fanout_frames_per_second']:7.0f} frames/s")
    save("sockets", {"sockets": args.sockets, **figures}, at)


if __name__ == "__main__":
    main()
