"""A reader who comes back to 10,000 missed notifications gets all of them, in order, once,
on one socket that stays open (acknowledging cumulatively, as herald.js does)."""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx
import pytest
import websockets

from tests.support.harness import wait_until
from tests.support.ledger import query
from tests.support.sockets import token_for
from tests.support.system import HeraldUp

MISSED = 10_000


def _stored(dsn: str, tenant_id: str, user: str) -> int:
    ((count,),) = query(dsn, "SELECT count(*) FROM notifications n JOIN users u "
                             "ON u.id = n.reader_id WHERE u.tenant_id = %s AND u.external_id = %s",
                        tenant_id, user)
    return int(count)


# Storing 10,000 for one reader, behind what the outage tests before it left queued, took
# 50-60 s on a quiet machine and past 300 s in one CI run: the wait is for the event,
# bounded generously.
@pytest.mark.timeout(900)
async def test_reconnect_to_10000_missed_notifications(herald: HeraldUp):
    creds = herald.creds()
    user = f"away-{uuid.uuid4().hex[:6]}"
    with httpx.Client(base_url=herald.api_url, headers={"X-API-Key": creds["secret_key"]},
                      timeout=60) as api:
        for start in range(0, MISSED, 100):
            answer = api.post("/v1/notifications/batch", json={"items": [
                {"recipients": [user], "content": {"title": f"missed {i}"}, "priority": "low"}
                for i in range(start, start + 100)]})
            assert answer.status_code == 202
        token = token_for(herald.api_url, creds["secret_key"], user)
    await asyncio.to_thread(wait_until, lambda: _stored(herald.database_dsn, creds["tenant_id"],
                                                        user) == MISSED, 720, "all stored")
    seqs: list[int] = []
    async with websockets.connect(f"{herald.ws_url}?api_key={creds['publishable_key']}",
                                  max_size=None) as ws:
        await ws.send(json.dumps({"type": "auth", "token": token}))
        await ws.send(json.dumps({"type": "hello", "since": 0}))
        acked = 0
        while len(seqs) < MISSED:
            frame = json.loads(await asyncio.wait_for(ws.recv(), 30))
            if frame["type"] == "notification":
                seqs.append(frame["seq"])
            if len(seqs) - acked >= 500 or len(seqs) == MISSED:
                await ws.send(json.dumps({"type": "ack", "seq": seqs[-1]}))
                acked = len(seqs)
        await ws.send(json.dumps({"type": "ping"}))
        while (frame := json.loads(await asyncio.wait_for(ws.recv(), 30)))["type"] != "pong":
            assert frame["type"] != "notification", "a notification came twice"
    assert seqs == list(range(1, MISSED + 1))
