"""Client frames that make database work (state changes, acks by id) are cheap and bounded:
acks by id are applied together, and one tenant's flood of them is refused past its budget
while another tenant's frames are applied."""

from __future__ import annotations

import asyncio
import uuid

import httpx
from sqlalchemy import text

from tests.support.api import send
from tests.support.db import new_tenant, session_scope
from tests.support.sockets import Socket, connect, token_for
from tests.support.stack import Stack, TenantKeys

PER_FRAME = 1000  # ids in each flooding frame, the most a frame may carry


def random_ids(count: int) -> list[str]:
    return [str(uuid.uuid4()) for _ in range(count)]


async def errors_of(sock: Socket, timeout: float = 3.0) -> list[dict]:
    """Every error frame the socket receives until it has been quiet for ``timeout``."""
    with_errors = []
    try:
        while True:
            frame = await sock.recv(timeout)
            if frame["type"] == "error":
                with_errors.append(frame)
    except TimeoutError:
        return with_errors


async def test_a_tenants_frame_flood_is_refused_past_its_budget_not_at_others_expense(
        stack: Stack, tenant: TenantKeys):
    flooder = new_tenant("flooder")
    token = token_for(stack.api_url, flooder.secret_key, "flood")
    floods = [await connect(stack.ws_url, flooder.publishable_key, token) for _ in range(5)]
    for sock in floods:
        for n in range(20):
            kind = "seen" if n % 2 else "ack"
            await sock.send({"type": kind, "ids": random_ids(PER_FRAME)})

    with httpx.Client(base_url=stack.api_url, headers={"X-API-Key": tenant.secret_key}) as api:
        nid = send(api, "calm", "Still mine to read")["notifications"][0]["id"]
    calm = await connect(stack.ws_url, tenant.publishable_key,
                         token_for(stack.api_url, tenant.secret_key, "calm"), since=0)
    await calm.next_of("notification")
    await calm.send({"type": "read", "ids": [nid]})
    state = await calm.next_of("state")
    assert state["ids"] == [nid] and state["read"] is True

    refused = await asyncio.gather(*(errors_of(sock) for sock in floods))
    for errors in refused:
        assert errors and {e["code"] for e in errors} == {"over_budget"}, errors
        assert "ids a second" in errors[0]["message"]
    assert sum(map(len, refused)) >= 50  # most of the 100 frames: a few fit the budget
    assert not [f for f in calm.seen if f["type"] == "error"]
    for sock in [*floods, calm]:
        await sock.close()


def commits() -> int:
    with session_scope() as session:
        return int(session.execute(text(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"))
            .scalar_one())


async def test_acks_by_id_are_applied_together_not_a_transaction_each(
        stack: Stack, tenant: TenantKeys):
    with httpx.Client(base_url=stack.api_url, headers={"X-API-Key": tenant.secret_key}) as api:
        for n in range(3):
            send(api, "acker", f"ack me {n}")
    sock = await connect(stack.ws_url, tenant.publishable_key,
                         token_for(stack.api_url, tenant.secret_key, "acker"), since=0)
    ids = [(await sock.next_of("notification"))["id"] for _ in range(3)]
    before = commits()
    for _ in range(35):  # one burst, within the socket's frame rate
        await sock.send({"type": "ack", "ids": ids})
    await sock.send({"type": "ping"})
    await sock.next_of("pong")  # every ack before it has been handled
    # A transaction per ack frame: 35 commits by now. Together: one per interval, beside
    # beat's ticks and the other parts' (a few in this moment).
    assert commits() - before < 25
    await sock.close()
