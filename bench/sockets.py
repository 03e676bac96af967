"""The gateway's cost per socket: resident memory per open, idle socket, and sockets opened
per second (JWT, reader row, state, welcome) with 50 clients opening at once, first for new
readers, then for the same readers again (a reconnect storm).

    python -m bench.sockets [--sockets 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import time

import httpx
import psutil
import websockets

from bench.results import allow_many_sockets, save, stamp
from bench.stack import bench_stack
from tests.support.db import new_tenant

AT_ONCE = 50


async def _tokens(api_url: str, secret_key: str, count: int) -> list[str]:
    async with httpx.AsyncClient(base_url=api_url, headers={"X-API-Key": secret_key}) as api:
        return [(await api.post("/v1/tokens", json={"user_id": f"s{i}"})).json()["token"]
                for i in range(count)]


async def _open(url: str, token: str) -> websockets.ClientConnection:
    ws = await websockets.connect(url)
    await ws.send(json.dumps({"type": "auth", "token": token}))
    await ws.send(json.dumps({"type": "hello", "since": None}))
    await ws.recv()
    return ws


async def measure(gateway_pid: int, gateway_url: str, api_url: str, count: int
                  ) -> dict[str, float]:
    tenant = new_tenant(f"bench-{secrets.token_hex(3)}")
    tokens = await _tokens(api_url, tenant.secret_key, count)
    node = psutil.Process(gateway_pid)
    url = gateway_url.replace("http", "ws") + f"/ws?api_key={tenant.publishable_key}"
    # Warm-up: the first sockets pay for imports, pools and caches, not per socket.
    for ws in [await _open(url, t) for t in tokens[:AT_ONCE]]:
        await ws.close()
    before = node.memory_info().rss
    opened: list[websockets.ClientConnection] = []
    begin = time.perf_counter()
    for start in range(0, count, AT_ONCE):
        opened += await asyncio.gather(*(_open(url, t) for t in tokens[start:start + AT_ONCE]))
    seconds = time.perf_counter() - begin
    await asyncio.sleep(1)  # idle: whatever each socket allocates later is counted too
    per_socket = (node.memory_info().rss - before) / count / 1024
    for ws in opened:
        await ws.close()
    # A reconnect storm: the same readers again (their rows exist now).
    begin = time.perf_counter()
    for start in range(0, count, AT_ONCE):
        opened = await asyncio.gather(*(_open(url, t) for t in tokens[start:start + AT_ONCE]))
        for ws in opened:
            await ws.close()
    reopens = count / (time.perf_counter() - begin)
    return {"kib_per_socket": per_socket, "opens_per_second": count / seconds,
            "reopens_per_second": reopens}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sockets", type=int, default=2000)
    args = parser.parse_args()
    allow_many_sockets()
    at = stamp()
    with bench_stack() as stack:
        gateway, _ = stack.start("gateway"), stack.start("api")
        figures = asyncio.run(measure(gateway.popen.pid, stack.gateway_url, stack.api_url,
                                      args.sockets))
    print(f"{args.sockets} idle sockets on one gateway process:")
    print(f"  memory  {figures['kib_per_socket']:7.1f} KiB per socket")
    print(f"  opened  {figures['opens_per_second']:7.0f} sockets/s ({AT_ONCE} at once)")
    print(f"  again   {figures['reopens_per_second']:7.0f} sockets/s (the same readers)")
    save("sockets", {"sockets": args.sockets, **{k: round(v, 1) for k, v in figures.items()}},
         at)


if __name__ == "__main__":
    main()
