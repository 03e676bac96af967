"""Servers away for a while under steady traffic: PostgreSQL stopped, the gateway down (every
push fails), a second gateway node SIGKILLed. Everything catches up, and the ledger holds."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import psycopg2

from tests.support.harness import REPO, free_port, port_open, wait_until
from tests.support.ledger import Flow
from tests.support.sockets import connect, token_for
from tests.support.system import HeraldUp


async def _outage(herald: HeraldUp, program: str, seconds: float) -> None:
    """Stop a supervised program for ``seconds`` (the fault itself), then start it again."""
    await asyncio.to_thread(herald.rpc().stopProcess, program)
    await asyncio.sleep(seconds)
    await asyncio.to_thread(herald.rpc().startProcess, program)


async def test_postgres_stopped_for_10_s_the_api_keeps_accepting(herald: HeraldUp, flow: Flow):
    await flow.flowing()
    await asyncio.to_thread(herald.rpc().stopProcess, "postgres")
    during = len(flow.accepted)
    await asyncio.sleep(10)
    accepted_while_down = len(flow.accepted) - during
    await asyncio.to_thread(herald.rpc().startProcess, "postgres")
    assert accepted_while_down > 20, "the API stopped accepting while PostgreSQL was away"
    await flow.check(herald.database_dsn, timeout=120)


async def test_gateway_down_for_10_s_every_push_fails_then_all_arrive(herald: HeraldUp,
                                                                      flow: Flow):
    await flow.flowing()
    await _outage(herald, "herald:gateway", 10)
    await asyncio.to_thread(wait_until, lambda: port_open(herald.ports["GATEWAY"]), 60,
                            "the gateway back")
    await flow.check(herald.database_dsn, timeout=120)


async def test_second_gateway_node_killed_its_readers_move_to_the_first(herald: HeraldUp):
    """Readers spread over two gateway nodes; node 2 is SIGKILLed; its readers reconnect to
    node 1 (as through a load balancer) and miss nothing, repeat nothing."""
    port = free_port()
    env = {**herald.part_env("gateway"), "HERALD_GATEWAY_PORT": str(port)}
    node = subprocess.Popen([sys.executable, "-m", "backend.cli", "gateway"], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        await asyncio.to_thread(wait_until, lambda: port_open(port), 60, "gateway node 2")
        creds = herald.creds()
        flow = Flow(herald.api_url, herald.ws_url, creds["secret_key"], creds["publishable_key"],
                    ws_urls=[f"ws://127.0.0.1:{port}/ws", herald.ws_url])
        await flow.start()
        await flow.flowing()
        os.killpg(node.pid, 9)
        node.wait(10)
        await flow.more_accepted()
        await flow.check(herald.database_dsn)
        assert all(r.connects >= 2 for r in flow.readers[::2]), "node 2's readers reconnected"
    finally:
        if node.poll() is None:
            os.killpg(node.pid, 9)


def _answers(dsn: str) -> bool:
    try:
        psycopg2.connect(dsn, connect_timeout=2).close()
    except psycopg2.OperationalError:
        return False
    return True


async def test_postgres_restarted_the_next_sockets_open_at_once(herald: HeraldUp):
    """The gateway's reads use pooled connections without a ping before each use; after a
    restart those connections are dead, and the first read on one must be retried on a fresh
    connection rather than close the socket (1011)."""
    creds = herald.creds()

    async def opens(user: str) -> dict:
        token = token_for(herald.api_url, creds["secret_key"], user)
        sock = await connect(herald.ws_url, creds["publishable_key"], token, since=0)
        await sock.close()
        return sock.welcome

    # Several at once: the read pool holds several connections when PostgreSQL goes.
    await asyncio.gather(*(opens(f"before-{i}") for i in range(8)))
    await asyncio.to_thread(herald.rpc().stopProcess, "postgres")
    await asyncio.to_thread(herald.rpc().startProcess, "postgres")
    await asyncio.to_thread(wait_until, lambda: _answers(herald.database_dsn), 60,
                            "PostgreSQL answering again")
    welcomes = await asyncio.gather(*(opens(f"before-{i}") for i in range(8)))
    assert [w["type"] for w in welcomes] == ["welcome"] * 8
