"""Several gateway processes on one port (HERALD_GATEWAY_PROCESSES): the kernel spreads
sockets over them, each is a node of its own, a killed one is started again, TERM stops all."""

from __future__ import annotations

import asyncio
import os
import signal

import httpx
import psutil
import redis

from backend.core import redis_keys as keys
from tests.support.harness import Proc, wait_until
from tests.support.sockets import Socket, connect, token_for
from tests.support.stack import Stack, StartPart, TenantKeys

READERS = 24


def listening_copies(gateway: Proc, port: int) -> list[psutil.Process]:
    """The gateway's processes that each hold a listening socket on the port (a copy that
    just died, not yet reaped, is not one)."""
    return [child for child in psutil.Process(gateway.popen.pid).children()
            if _listens(child, port)]


def _listens(process: psutil.Process, port: int) -> bool:
    try:
        return any(c.laddr.port == port and c.status == psutil.CONN_LISTEN
                   for c in process.net_connections(kind="tcp"))
    except psutil.NoSuchProcess:
        return False


def nodes_of(stack: Stack, tenant: TenantKeys, readers: list[str]) -> dict[str, set[str]]:
    """Which gateway node each reader's presence names."""
    client = redis.Redis.from_url(stack.env["HERALD_REDIS_URL"], decode_responses=True)
    return {reader: set(client.hgetall(keys.presence(tenant.tenant_id, reader)))
            for reader in readers}


async def open_all(url: str, stack: Stack, tenant: TenantKeys, readers: list[str],
                   since: int | None = 0) -> list[Socket]:
    return [await connect(url, tenant.publishable_key,
                          token_for(stack.api_url, tenant.secret_key, reader), since=since)
            for reader in readers]


async def every_reader_gets_one(api: httpx.Client, sockets: list[Socket], readers: list[str],
                                title: str) -> None:
    sent = api.post("/v1/notifications", json={
        "recipients": readers, "content": {"title": title}})
    assert sent.status_code == 202, sent.text
    frames = await asyncio.gather(*(sock.next_of("notification") for sock in sockets))
    assert [f["title"] for f in frames] == [title] * len(sockets)


def kill_one_and_see_it_back(gateway: Proc) -> None:
    victim = listening_copies(gateway, gateway.port)[0]
    victim.kill()
    wait_until(lambda: len(listening_copies(gateway, gateway.port)) == 2
               and victim.pid not in {p.pid for p in listening_copies(gateway, gateway.port)},
               timeout=30, what="the killed gateway process started again")


async def test_two_processes_share_the_port_and_a_killed_one_comes_back(
    stack: Stack, start_part: StartPart, tenant: TenantKeys, api: httpx.Client
):
    gateway = start_part("gateway", name="gateway-two-processes", gateway_processes="2")
    wait_until(lambda: len(listening_copies(gateway, gateway.port)) == 2, timeout=30,
               what="both gateway processes listening")
    # Killed right after starting: a crash to recover from, not a failure to start.
    kill_one_and_see_it_back(gateway)
    url = f"ws://127.0.0.1:{gateway.port}/ws"
    readers = [f"spread-{i}" for i in range(READERS)]
    sockets = await open_all(url, stack, tenant, readers)

    placed = nodes_of(stack, tenant, readers)
    assert all(len(nodes) == 1 for nodes in placed.values()), placed
    assert len(set().union(*placed.values())) == 2, "every socket landed on one process"
    # Workers push to the main gateway; each reader is reached on whichever process holds it.
    await every_reader_gets_one(api, sockets, readers, "to both processes")

    kill_one_and_see_it_back(gateway)  # while serving sockets
    for sock in sockets:
        await sock.close()
    sockets = await open_all(url, stack, tenant, readers, since=1)
    await every_reader_gets_one(api, sockets, readers, "after a process was killed")
    for sock in sockets:
        await sock.close()

    copies = listening_copies(gateway, gateway.port)
    os.kill(gateway.popen.pid, signal.SIGTERM)  # the watcher alone: it stops its copies
    assert gateway.popen.wait(30) == 0
    gone, alive = psutil.wait_procs(copies, timeout=10)
    assert alive == []
