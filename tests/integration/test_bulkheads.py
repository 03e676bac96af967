"""One bad value never fails a shared batch: socket opens, replays, acks and worker batches
gather many readers' and tenants' work; a hostile member fails alone, with a clear error,
and everyone beside it goes through."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import UTC, datetime

import httpx
import jwt
import pytest
import redis
import websockets

from backend.core import redis_keys as keys
from tests.support.db import new_tenant, stored_count
from tests.support.harness import wait_until
from tests.support.sockets import Socket, connect, token_for
from tests.support.stack import Stack, TenantKeys

SURROGATE = "\ud800"


def raw_json(text: str) -> bytes:
    """A body as a client may send it: JSON text with an escaped lone surrogate, which
    Python's own encoder would refuse to write."""
    return text.replace("SURROGATE", "\\ud800").encode()


async def _opened(stack: Stack, key: str, token: str) -> int | str:
    """``welcome``, or the close code the socket got."""
    async with websockets.connect(f"{stack.ws_url}?api_key={key}") as ws:
        await ws.send(json.dumps({"type": "auth", "token": token}))
        await ws.send(json.dumps({"type": "hello", "since": 0}))
        try:
            while True:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 20))
                if frame["type"] == "welcome":
                    return "welcome"
        except websockets.ConnectionClosed as exc:
            return exc.rcvd.code if exc.rcvd else 1006


@pytest.mark.timeout(180)
async def test_a_surrogate_token_fails_alone_beside_other_tenants_opening(
        stack: Stack, tenant: TenantKeys):
    other = new_tenant("opening-beside")
    bad = jwt.encode({"sub": SURROGATE, "exp": int(time.time()) + 600}, tenant.signing_secret,
                     "HS256")
    goods = [token_for(stack.api_url, other.secret_key, f"r{i}") for i in range(40)]
    for _ in range(3):
        results = await asyncio.gather(
            *(_opened(stack, tenant.publishable_key, bad) for _ in range(10)),
            *(_opened(stack, other.publishable_key, good) for good in goods))
        assert results[:10] == [4401] * 10
        assert results[10:] == ["welcome"] * len(goods)
    counts = httpx.get(f"{stack.gateway_url}/v1/me/counts", headers={
        "Authorization": f"Bearer {bad}", "X-API-Key": tenant.publishable_key})
    assert counts.status_code == 401 and "sub" in counts.text


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/v1/notifications", '{"recipients":["SURROGATE"],"content":{"title":"t"}}', "recipients"),
    ("/v1/notifications", '{"recipients":["u"],"content":{"title":"aSURROGATE"}}', "title"),
    ("/v1/notifications", '{"recipients":["u"],"content":{"title":"t"},'
     '"data":{"k":["SURROGATE"]}}', "data"),
    ("/v1/notifications", '{"recipients":["u"],"content":{"title":"t\\u0000"}}', "title"),
    ("/v1/tokens", '{"user_id":"SURROGATE"}', "user_id"),
    ("/v1/users/u", '{"name":"SURROGATE"}', "name"),
])
def test_a_lone_surrogate_or_nul_in_the_service_api_is_a_422_naming_the_field(
        api: httpx.Client, path: str, body: str, field: str):
    send = api.put if path.startswith("/v1/users") else api.post
    response = send(path, content=raw_json(body), headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    assert field in json.dumps(response.json()["detail"])


def test_a_surrogate_in_a_topics_subscribers_is_a_422(api: httpx.Client):
    assert api.put("/v1/topics/news", json={}).status_code in (200, 201)
    response = api.post("/v1/topics/news/subscribers", content=raw_json(
        '{"add":["fine","SURROGATE"]}'), headers={"content-type": "application/json"})
    assert response.status_code == 422 and "add" in response.text


@pytest.mark.timeout(180)
async def test_an_out_of_range_since_or_seq_fails_alone(stack: Stack, tenant: TenantKeys,
                                                        api: httpx.Client):
    other = new_tenant("replaying-beside")
    hostile = [await connect(stack.ws_url, tenant.publishable_key,
                             token_for(stack.api_url, tenant.secret_key, f"h{i}"), since=0)
               for i in range(5)]
    for i in range(3):
        httpx.post(f"{stack.api_url}/v1/notifications", headers={"X-API-Key": other.secret_key},
                   json={"recipients": [f"b{j}" for j in range(40)],
                         "content": {"title": f"n{i}"}}).raise_for_status()
    wait_until(lambda: stored_count(other.tenant_id) == 120, what="B's 120 stored")
    tokens = [token_for(stack.api_url, other.secret_key, f"b{j}") for j in range(40)]
    stop = asyncio.Event()

    async def flood(sock: Socket) -> list[dict]:
        errors = []
        while not stop.is_set():
            await sock.send({"type": "hello", "since": 10 ** 20})
            await sock.send({"type": "ack", "seq": 2 ** 70})
            errors.append(await sock.next_of("error"))
            errors.append(await sock.next_of("error"))
            await asyncio.sleep(0.2)  # 10 frames a second: within the socket's frame rate
        return errors

    floods = [asyncio.create_task(flood(s)) for s in hostile]
    try:
        for _ in range(3):
            replays = await asyncio.gather(*(connect(stack.ws_url, other.publishable_key, t,
                                                     since=0) for t in tokens))
            for sock in replays:
                frames = [await sock.next_of("notification") for _ in range(3)]
                # Three sends stored by two workers at once may take seqs in either order.
                assert sorted(f["title"] for f in frames) == ["n0", "n1", "n2"]
                assert [f["seq"] for f in frames] == [1, 2, 3]
                await sock.send({"type": "ack", "seq": 3})
                await sock.close()
    finally:
        stop.set()
        errors = [e for f in await asyncio.gather(*floods) for e in f]
    assert {e["message"] for e in errors} == {
        "hello: since must be an integer from 0 to 9223372036854775807",
        "ack: seq must be an integer from 0 to 9223372036854775807"}
    for sock in hostile:  # still open, still served
        await sock.send({"type": "ping"})
        await sock.next_of("pong")
        await sock.close()
    # B's replays and acknowledgements went through beside the hostile ones: nothing is
    # left waiting (a notification whose in-app retries ran out before its reader's first
    # replay, 3 of them in the test settings, has failed: a replay shows it, an ack moves
    # only what is waiting).
    wait_until(lambda: not {api_status(stack, other, nid) for nid in b_ids(other)}
               - {"delivered", "failed"}, what="B's acks applied")
    assert "delivered" in {api_status(stack, other, nid) for nid in b_ids(other)}


def b_ids(tenant: TenantKeys) -> list[str]:
    from sqlalchemy import select

    from backend.db.models import Notification
    from tests.support.db import session_scope

    with session_scope() as session:
        return [str(i) for i in session.scalars(select(Notification.id).where(
            Notification.tenant_id == uuid.UUID(tenant.tenant_id)))]


def api_status(stack: Stack, tenant: TenantKeys, nid: str) -> str:
    return httpx.get(f"{stack.api_url}/v1/notifications/{nid}",
                     headers={"X-API-Key": tenant.secret_key}).json()["status"]


@pytest.mark.timeout(180)
def test_one_bad_entry_is_dead_lettered_and_the_batch_beside_it_stored(stack: Stack,
                                                                       tenant: TenantKeys):
    """An entry no API path writes (an older version's, a bug's) beside good ones."""
    client = redis.Redis.from_url(stack.env["HERALD_REDIS_URL"])
    other = new_tenant("batched-beside")
    now = datetime.now(UTC).isoformat()

    def entry(tenant_id: str, recipient: str) -> dict[str, str]:
        nid = str(uuid.uuid4())
        fields = {"tenant_id": tenant_id, "priority": "normal", "channels": ["in_app"],
                  "content": {"title": "t", "body": ""}, "data": {}, "created_at": now,
                  "id": nid, "group_id": nid, "recipient": recipient}
        return {"n": json.dumps(fields)}  # ensure_ascii: the surrogate as \\ud800

    with client.pipeline(transaction=False) as pipe:
        pipe.xadd(keys.ingest_stream(0), entry(tenant.tenant_id, SURROGATE))
        for i in range(20):
            pipe.xadd(keys.ingest_stream(0), entry(other.tenant_id, f"good{i}"))
        pipe.execute()
    wait_until(lambda: stored_count(other.tenant_id) == 20, timeout=90,
               what="the 20 good entries stored beside the bad one")
    letters = wait_until(lambda: httpx.get(
        f"{stack.api_url}/v1/dead-letters", headers={"X-API-Key": tenant.secret_key}
    ).json()["items"], timeout=60, what="the bad entry dead-lettered")
    assert len(letters) == 1 and "recipient" in letters[0]["reason"]


@pytest.mark.timeout(120)
def test_concurrent_webhook_creations_stop_at_the_cap(stack: Stack, tenant: TenantKeys):
    from concurrent.futures import ThreadPoolExecutor

    def create(i: int) -> int:
        return httpx.post(f"{stack.api_url}/v1/webhooks", timeout=30,
                          headers={"X-API-Key": tenant.secret_key},
                          json={"url": f"https://hooks.example.com/{i}",
                                "events": ["notification.delivered"]}).status_code

    with ThreadPoolExecutor(40) as pool:
        codes = list(pool.map(create, range(40)))
    assert codes.count(201) == 10 and codes.count(422) == 30, codes
    listed = httpx.get(f"{stack.api_url}/v1/webhooks",
                       headers={"X-API-Key": tenant.secret_key}).json()
    assert len(listed) == 10


async def test_a_frame_nested_too_deep_is_an_error_frame(stack: Stack, tenant: TenantKeys):
    sock = await connect(stack.ws_url, tenant.publishable_key,
                         token_for(stack.api_url, tenant.secret_key, "deep"), since=0)
    await sock.ws.send("[" * 30_000 + "]" * 30_000)
    error = await sock.next_of("error")
    assert "nested" in error["message"]
    await sock.send({"type": "ping"})
    await sock.next_of("pong")
    await sock.close()


@pytest.mark.parametrize(("depth", "said"), [
    (40, "nested deeper than 32 levels"),
    (5_000, "There was an error parsing the body"),  # past the JSON parser's own depth
])
def test_a_body_nested_too_deep_is_a_4xx(api: httpx.Client, depth: int, said: str):
    body = ('{"recipients":["u"],"content":{"title":"t"},"data":{"k":'
            + "[" * depth + "]" * depth + "}}")
    response = api.post("/v1/notifications", content=body.encode(),
                        headers={"content-type": "application/json"})
    assert response.status_code in (400, 422) and said in response.text, response.text[:300]


def test_one_reader_polling_its_inbox_is_refused_before_it_slows_anyone(
        start_part, stack: Stack, tenant: TenantKeys):
    gateway = start_part("gateway", name="gateway-inbox-limit", inbox_requests_per_second="5")
    url = f"http://127.0.0.1:{gateway.port}/v1/me/counts"

    def headers(user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token_for(stack.api_url, tenant.secret_key, user)}",
                "X-API-Key": tenant.publishable_key}

    poller, other = headers("poller"), headers("other")
    with httpx.Client(timeout=30) as client:
        answers = [client.get(url, headers=poller) for _ in range(40)]
        codes = [answer.status_code for answer in answers]
        assert codes[:10] == [200] * 10 and 429 in codes
        # One of those refused (a request sent after them may find a token refilled meanwhile
        # on a slow machine: it was 200 once).
        refused = answers[codes.index(429)]
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
        assert "HERALD_INBOX_REQUESTS_PER_SECOND" in refused.text
        assert client.get(url, headers=other).status_code == 200  # another reader unharmed


async def test_a_snooze_with_an_offset_postgresql_cannot_hold_is_applied(
        stack: Stack, tenant: TenantKeys, api: httpx.Client):
    """``+23:59`` is a valid ISO 8601 offset that PostgreSQL's timestamptz refuses: the time
    is taken in UTC, and the socket carries on (before: dropped with no close frame)."""
    from datetime import timedelta, timezone

    sock = await connect(stack.ws_url, tenant.publishable_key,
                         token_for(stack.api_url, tenant.secret_key, "sleepy"), since=0)
    nid = api.post("/v1/notifications", json={"recipients": ["sleepy"],
                                              "content": {"title": "later"}}).json()["id"]
    await sock.next_of("notification", timeout=30)
    far_east = timezone(timedelta(hours=23, minutes=59))
    until = (datetime.now(UTC) + timedelta(days=1)).astimezone(far_east)
    await sock.send({"type": "snooze", "ids": [nid], "until": until.isoformat()})
    state = await sock.next_of("state")
    assert state["ids"] == [nid]
    assert datetime.fromisoformat(state["snoozed_until"]) == until
    await sock.send({"type": "ping"})
    await sock.next_of("pong")
    await sock.close()
