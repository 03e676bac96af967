"""The gateway: who may connect, several nodes, several tabs, and sockets that misbehave."""

from __future__ import annotations

import asyncio
import json
import socket
import time
import uuid
from typing import Any

import httpx
import jwt
import psutil
import pytest
import redis
import websockets
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from backend.core import redis_keys as keys
from gateway.routing import MARK_CHUNK
from tests.support.harness import wait_until
from tests.support.sockets import Socket, connect, token_for
from tests.support.stack import Stack, StartPart, TenantKeys


async def close_code(url: str, first_frame: dict | None = None) -> tuple[int, list]:
    """Connect; returns the close code and every data frame received before it."""
    received = []
    async with websockets.connect(url) as ws:
        if first_frame is not None:
            await ws.send(json.dumps(first_frame))
        try:
            while True:
                received.append(await asyncio.wait_for(ws.recv(), 15))
        except websockets.ConnectionClosed as closed:
            return closed.rcvd.code, received
    raise AssertionError("unreachable")


def rsa_keys() -> tuple[bytes, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, public.decode()


def now() -> int:
    return int(time.time())


@pytest.mark.parametrize("claims", [
    {"sub": "u", "exp": now() + 60, "nbf": now() + 600},  # not yet valid
    {"sub": "", "exp": now() + 60},  # empty subject
])
async def test_invalid_claims_close_4401(stack: Stack, tenant: TenantKeys, claims: dict):
    token = jwt.encode(claims, tenant.signing_secret, "HS256")
    code, frames = await close_code(f"{stack.ws_url}?api_key={tenant.publishable_key}",
                                    {"type": "auth", "token": token})
    assert (code, frames) == (4401, [])


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
async def test_other_algorithm_closes_4401(stack: Stack, tenant: TenantKeys):
    token = jwt.encode({"sub": "u", "exp": now() + 60}, tenant.signing_secret, "HS512")
    code, frames = await close_code(
        f"{stack.ws_url}?api_key={tenant.publishable_key}&token={token}")
    assert (code, frames) == (4401, [])


async def test_no_auth_frame_in_time_closes_4401(stack: Stack, tenant: TenantKeys):
    code, frames = await close_code(f"{stack.ws_url}?api_key={tenant.publishable_key}")
    assert (code, frames) == (4401, [])


async def test_tenant_with_rs256_accepts_its_tokens_only(stack: Stack, tenant: TenantKeys):
    from backend.db.models import Tenant
    from tests.support.db import session_scope

    private, public = rsa_keys()
    with session_scope() as session:
        row = session.get(Tenant, uuid.UUID(tenant.tenant_id))
        row.jwt_algorithm, row.jwt_public_key = "RS256", public
    # (This tenant's publishable key was never used before: no gateway cached it yet.)
    good = jwt.encode({"sub": "rsa-user", "exp": now() + 60}, private, "RS256")
    sock = await connect(stack.ws_url, tenant.publishable_key, good)
    assert sock.welcome["user"] == "rsa-user"
    await sock.close()
    hs = jwt.encode({"sub": "rsa-user", "exp": now() + 60}, tenant.signing_secret, "HS256")
    code, _ = await close_code(f"{stack.ws_url}?api_key={tenant.publishable_key}",
                               {"type": "auth", "token": hs})
    assert code == 4401


async def test_expired_token_warns_then_closes_4403(stack: Stack, tenant: TenantKeys):
    sock = await connect(stack.ws_url, tenant.publishable_key,
                         token_for(stack.api_url, tenant.secret_key, "short", ttl=2))
    error = await sock.next_of("error", timeout=10)
    assert error["code"] == "token_expired"
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await sock.recv(timeout=10)
    assert closed.value.rcvd.code == 4403


async def test_fresh_auth_frame_keeps_the_connection(stack: Stack, tenant: TenantKeys):
    sock = await connect(stack.ws_url, tenant.publishable_key,
                         token_for(stack.api_url, tenant.secret_key, "renews", ttl=2))
    assert (await sock.next_of("error", timeout=10))["code"] == "token_expired"
    await sock.send({"type": "auth",
                     "token": token_for(stack.api_url, tenant.secret_key, "renews")})
    await asyncio.sleep(2.0)  # longer than the 1.5 s grace: a close would have come by now
    await sock.send({"type": "ping"})
    assert (await sock.next_of("pong"))["type"] == "pong"
    await sock.close()


async def test_push_on_one_node_reaches_a_reader_on_another(
    stack: Stack, start_part: StartPart, tenant: TenantKeys, api: httpx.Client
):
    node2 = start_part("gateway", name="gateway-node2")
    ws2 = f"ws://127.0.0.1:{node2.port}/ws"
    sock = await connect(ws2, tenant.publishable_key,
                         token_for(stack.api_url, tenant.secret_key, "on-node-2"), since=0)
    # Workers push to node 1 only (HERALD_GATEWAY_URL); the reader sits on node 2.
    sent = api.post("/v1/notifications", json={
        "recipients": ["on-node-2"], "content": {"title": "across nodes"}}).json()
    frame = await sock.next_of("notification")
    assert frame["id"] == sent["id"]
    answer = httpx.post(f"{stack.gateway_url}/internal/push",
                        headers={"X-Internal-Key": stack.env["HERALD_INTERNAL_KEY"]},
                        json={"items": [
                            {"tenant_id": tenant.tenant_id, "external_id": "nowhere",
                             "frame": {**frame, "id": "offline-1", "seq": 1}},
                            {"tenant_id": tenant.tenant_id, "external_id": "on-node-2",
                             "frame": frame}]}).json()
    assert {r["id"]: r["delivered"] for r in answer["results"]} == {
        "offline-1": False, frame["id"]: True}
    await sock.close()


async def test_read_in_one_tab_updates_the_other(stack: Stack, start_part: StartPart,
                                                 tenant: TenantKeys, api: httpx.Client):
    token = token_for(stack.api_url, tenant.secret_key, "tabs")
    tab1 = await connect(stack.ws_url, tenant.publishable_key, token, since=0)
    tab2 = await connect(stack.ws_url, tenant.publishable_key, token, since=0)
    sent = api.post("/v1/notifications", json={
        "recipients": ["tabs"], "content": {"title": "both tabs"}}).json()
    assert (await tab1.next_of("notification"))["id"] == sent["id"]
    assert (await tab2.next_of("notification"))["id"] == sent["id"]
    await tab1.send({"type": "read", "ids": [sent["id"]]})
    assert (await tab2.next_of("read"))["ids"] == [sent["id"]]
    assert (await tab2.next_of("unread"))["count"] == 0
    await tab1.close()
    await tab2.close()


async def _reading_slowly(port: int, stack: Stack, tenant: TenantKeys, user: str) -> Socket:
    """A reader welcomed on the gateway at ``port`` whose client reads only when the test
    asks it to (a queue of one frame, and a receive buffer of 64 KiB rather than the
    megabytes Linux grows one to: the socket's buffers fill behind it)."""
    token = token_for(stack.api_url, tenant.secret_key, user)
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)  # before connect
    raw.setblocking(False)
    await asyncio.get_running_loop().sock_connect(raw, ("127.0.0.1", port))
    ws = await websockets.connect(f"ws://127.0.0.1:{port}/ws?api_key="
                                  f"{tenant.publishable_key}&token={token}", max_queue=1,
                                  sock=raw)
    sock = Socket(ws)
    await sock.send({"type": "hello", "since": 0})
    await sock.next_of("welcome")
    return sock


def _push_item(tenant: TenantKeys, user: str, seq: int, nid: str, title: str, body: str
               ) -> dict[str, Any]:
    """A notification frame for ``/internal/push``, as a worker sends it."""
    return {"tenant_id": tenant.tenant_id, "external_id": user, "frame": {
        "type": "notification", "id": nid, "seq": seq, "title": title, "body": body,
        "category": None, "priority": "normal", "data": {},
        "created_at": "2026-01-01T00:00:00+00:00", "read": False}}


def _stored(tenant: TenantKeys, user: str) -> int:
    """How many notifications of ``user`` are stored."""
    from sqlalchemy import func, select

    from backend.db.models import Notification, User
    from tests.support.db import session_scope

    with session_scope() as session:
        return session.scalar(select(func.count()).select_from(Notification).join(User).where(
            User.tenant_id == uuid.UUID(tenant.tenant_id), User.external_id == user)) or 0


async def test_a_burst_of_retries_of_frames_a_reader_holds_does_not_close_its_socket(
    stack: Stack, start_part: StartPart, api: httpx.Client, tenant: TenantKeys
):
    """Retries of notifications a reader already holds (due while it was away, arriving after
    its replay) come as one push bigger than its send queue: they are dropped as repeats,
    not counted against the reader as a slow client (4408)."""
    node = start_part("gateway", name="gateway-repeats", ws_send_queue_size="20")
    assert api.post("/v1/notifications/batch", json={"items": [
        {"recipients": ["repeated"], "content": {"title": f"r{i}"}} for i in range(30)]}
    ).status_code == 202
    wait_until(lambda: _stored(tenant, "repeated") == 30, what="all 30 stored")
    sock = await connect(f"ws://127.0.0.1:{node.port}/ws", tenant.publishable_key,
                         token_for(stack.api_url, tenant.secret_key, "repeated"), since=0)
    while len(sock.notifications()) < 30:
        await sock.next_of("notification")
    held = sock.notifications()
    items = [_push_item(tenant, "repeated", f["seq"], f["id"], f["title"], f["body"])
             for _ in range(3) for f in held]
    pushed = httpx.post(f"http://127.0.0.1:{node.port}/internal/push", json={"items": items},
                        headers={"X-Internal-Key": stack.env["HERALD_INTERNAL_KEY"]})
    assert pushed.status_code == 200
    await sock.send({"type": "ping"})
    assert (await sock.next_of("pong"))["type"] == "pong"  # still open
    assert [f["seq"] for f in sock.notifications()] == list(range(1, 31))  # none twice
    await sock.close()


async def test_socket_that_stops_reading_is_closed_4408_without_memory_growth(
    stack: Stack, start_part: StartPart, tenant: TenantKeys
):
    node = start_part("gateway", name="gateway-slow", ws_send_queue_size="20")
    gateway = psutil.Process(node.popen.pid)
    sock = await _reading_slowly(node.port, stack, tenant, "sloth")
    # The client now stops reading. 1,500 frames of 64 KB (about 100 MB) are pushed at it.
    body = "x" * 64_000
    rss_before = gateway.memory_info().rss
    taken = []
    async with httpx.AsyncClient(timeout=60) as client:
        for start in range(1, 1501, 50):
            items = [_push_item(tenant, "sloth", seq, f"big-{seq}", "big", body)
                     for seq in range(start, start + 50)]
            answer = await client.post(f"http://127.0.0.1:{node.port}/internal/push",
                                       headers={"X-Internal-Key":
                                                stack.env["HERALD_INTERNAL_KEY"]},
                                       json={"items": items})
            taken += [r["delivered"] for r in answer.json()["results"]]
    growth = gateway.memory_info().rss - rss_before
    assert taken.count(False) > 1000  # refused once the socket was dropped
    assert growth < 40 * 1024 * 1024, growth
    with pytest.raises(websockets.ConnectionClosed) as closed:
        while True:
            await sock.recv(timeout=30)
    assert closed.value.rcvd.code == 4408
    metrics = httpx.get(f"http://127.0.0.1:{node.port}/metrics").text
    assert "herald_gateway_slow_closes_total 1.0" in metrics


async def test_flooding_client_is_closed_4429(stack: Stack, tenant: TenantKeys):
    sock = await connect(stack.ws_url, tenant.publishable_key,
                         token_for(stack.api_url, tenant.secret_key, "flood"))
    with pytest.raises(websockets.ConnectionClosed) as closed:
        for _ in range(500):
            await sock.send({"type": "ping"})
        while True:
            await sock.recv()
    assert closed.value.rcvd.code == 4429


async def test_oversized_frame_is_refused(stack: Stack, tenant: TenantKeys):
    sock = await connect(stack.ws_url, tenant.publishable_key,
                         token_for(stack.api_url, tenant.secret_key, "big"))
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await sock.send({"type": "read", "ids": ["x" * 100_000]})
        while True:
            await sock.recv()
    assert closed.value.rcvd.code == 1009  # message too big


async def test_bad_frame_gets_an_error_that_names_it(stack: Stack, tenant: TenantKeys):
    sock = await connect(stack.ws_url, tenant.publishable_key,
                         token_for(stack.api_url, tenant.secret_key, "typo"))
    await sock.send({"type": "raed", "ids": []})
    error = await sock.next_of("error")
    assert error["code"] == "bad_frame" and "raed" in error["message"]
    await sock.send({"type": "read", "ids": "all"})
    assert "ids" in (await sock.next_of("error"))["message"]
    await sock.close()


async def test_token_in_url_is_redacted_from_gateway_logs(stack: Stack, tenant: TenantKeys):
    token = token_for(stack.api_url, tenant.secret_key, "private")
    ws = await websockets.connect(f"{stack.ws_url}?api_key={tenant.publishable_key}"
                                  f"&token={token}")
    await ws.close()
    log = stack.procs["gateway"].output()
    assert "token=[redacted]" in log
    assert token not in log


def test_the_demo_link_is_logged_redacted_without_a_logging_error(stack: Stack,
                                                                   tenant: TenantKeys):
    """The link `herald up` prints carries the token: its access-log line is redacted, and
    redacting keeps uvicorn's log record whole (no "--- Logging error ---" traceback)."""
    token = token_for(stack.api_url, tenant.secret_key, "demo-visitor")
    response = httpx.get(f"{stack.gateway_url}/demo",
                         params={"api_key": tenant.publishable_key, "token": token})
    assert response.status_code == 200
    gateway = stack.procs["gateway"]
    wait_until(lambda: "GET /demo?api_key=[redacted]&token=[redacted]" in gateway.output(),
               timeout=15, what="the redacted access-log line")
    assert token not in gateway.output()
    assert "Logging error" not in gateway.output()


async def test_cumulative_acks_of_several_readers_are_applied(
        stack: Stack, tenant: TenantKeys, api: httpx.Client):
    """Acks are gathered and applied together: a notification whose delivery was not recorded
    (its marking lost) is marked delivered by its reader's ``ack`` up to its seq, for every
    reader that acknowledged, and no further than the seq acknowledged."""
    from sqlalchemy import update

    from backend.db.models import Notification
    from tests.support.api import send
    from tests.support.db import session_scope

    def status(nid: str) -> str:
        return api.get(f"/v1/notifications/{nid}").json()["status"]

    users = [f"acker-{uuid.uuid4().hex[:6]}" for _ in range(2)]
    socks = [await connect(stack.ws_url, tenant.publishable_key,
                           token_for(stack.api_url, tenant.secret_key, u)) for u in users]
    for u in users:
        for i in range(3):
            send(api, u, f"n{i}")
    # By seq, as the reader holds them: two batches stored at once may interleave, so the
    # order of sending is not the order of seqs (and an ack is by seq).
    sent = {u: [frame["id"] for frame in sorted(
        [await sock.next_of("notification", timeout=30) for _ in range(3)],
        key=lambda f: f["seq"])] for u, sock in zip(users, socks, strict=True)}
    every = [nid for ids in sent.values() for nid in ids]
    wait_until(lambda: all(status(n) == "delivered" for n in every), what="delivered")
    with session_scope() as session:  # as if the worker's record of the push was lost
        session.execute(update(Notification).where(Notification.id.in_(every))
                        .values(status="persisted", delivered_at=None))
    for sock in socks:
        await sock.send({"type": "ack", "seq": 2})
    wait_until(lambda: all(status(sent[u][i]) == "delivered" for u in users for i in (0, 1)),
               timeout=10, what="both readers' acks applied")
    assert [status(sent[u][2]) for u in users] == ["persisted", "persisted"]
    for sock in socks:
        await sock.close()


def test_the_gateway_says_when_it_is_ready(stack: Stack):
    """``/readyz`` on the gateway too: Redis and PostgreSQL answer (what `herald up` and a load
    balancer wait for), beside ``/healthz`` (the process is up)."""
    ready = httpx.get(f"{stack.gateway_url}/readyz", timeout=10)
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})
    assert httpx.get(f"{stack.gateway_url}/healthz", timeout=10).json()["status"] == "ok"


def _redis_connections(proc: Any, port: int) -> int:
    """TCP connections the part's processes hold to the Redis server on ``port``."""
    parent = psutil.Process(proc.popen.pid)
    return sum(1 for p in [parent, *parent.children(recursive=True)]
               for c in p.net_connections(kind="tcp") if c.raddr and c.raddr.port == port)


async def _open_readers(stack: Stack, tenant: TenantKeys, port: int,
                        readers: list[str]) -> list[Socket]:
    """One socket per reader on the gateway at ``port``, 50 opening at once."""
    url = f"ws://127.0.0.1:{port}/ws"
    tokens = await asyncio.gather(*(asyncio.to_thread(
        token_for, stack.api_url, tenant.secret_key, r) for r in readers))
    sockets = []
    for start in range(0, len(readers), 50):
        sockets += await asyncio.gather(*(connect(url, tenant.publishable_key, t)
                                          for t in tokens[start:start + 50]))
    return sockets


async def test_a_heartbeat_renews_every_readers_presence_and_online_mark(
    stack: Stack, start_part: StartPart, tenant: TenantKeys
):
    """More readers than one command marks (``MARK_CHUNK``): with each heartbeat every
    reader's presence entry moves forward, its online mark (what a topic send reads to reach
    it first) with it, and both keep an expiry of three heartbeats."""
    node = start_part("gateway", name="gateway-heartbeat", gateway_heartbeat_seconds="1")
    readers = [f"beating-{i}" for i in range(MARK_CHUNK + 20)]
    sockets = await _open_readers(stack, tenant, node.port, readers)
    client = redis.Redis.from_url(stack.env["HERALD_REDIS_URL"], decode_responses=True)
    online = keys.online(tenant.tenant_id)

    def marks() -> dict[str, tuple[int, int]]:
        """Per reader, its presence entry's expiry and its online mark, read at one moment."""
        with client.pipeline(transaction=True) as pipe:
            for reader in readers:
                pipe.hvals(keys.presence(tenant.tenant_id, reader))
            pipe.zmscore(online, readers)
            *entries, scores = pipe.execute()
        return {r: (int(v), int(score or 0))
                for r, (v,), score in zip(readers, entries, scores, strict=True)}

    joined = marks()
    wait_until(lambda: all(m[0] > joined[r][0] for r, m in marks().items()),
               timeout=10, what="every reader's presence renewed by a heartbeat")
    assert all(until == score for until, score in marks().values())
    ttls = [client.pttl(keys.presence(tenant.tenant_id, r)) for r in readers]
    assert all(0 < ttl <= 3000 for ttl in [*ttls, client.pttl(online)])
    await asyncio.gather(*(s.close() for s in sockets))


async def test_hundreds_of_sockets_closing_at_once_leave_no_presence_behind(
    stack: Stack, start_part: StartPart, tenant: TenantKeys, servers: Any
):
    """Each closing socket removes its reader's presence in Redis; hundreds at once share
    round trips, not fail for want of a connection (the pool held 100 and raised) nor open
    one each (each took a connection of the pool, which grew to its 64)."""
    node = start_part("gateway", name="gateway-mass-close")
    readers = [f"leaver-{i}" for i in range(400)]
    sockets = await _open_readers(stack, tenant, node.port, readers)
    client = redis.Redis.from_url(stack.env["HERALD_REDIS_URL"], decode_responses=True)
    assert all(client.exists(keys.presence(tenant.tenant_id, r)) for r in readers)
    await asyncio.gather(*(s.close() for s in sockets))
    # Well before presence would expire by itself (3 heartbeats, 30 s).
    wait_until(lambda: not any(client.exists(keys.presence(tenant.tenant_id, r))
                               for r in readers), timeout=10, what="presence removed")
    assert "Too many connections" not in node.output()
    assert _redis_connections(node, servers.redis_port) <= 8


def test_a_malformed_push_is_refused_naming_the_item(stack: Stack):
    headers = {"X-Internal-Key": stack.env["HERALD_INTERNAL_KEY"]}
    answer = httpx.post(f"{stack.gateway_url}/internal/push", headers=headers, json={
        "items": [{"tenant_id": "t", "external_id": "a", "frame": {"id": "n1"}},
                  {"tenant_id": "t", "external_id": "b", "frame": {}}]})
    assert answer.status_code == 422, answer.text
    assert "items" in answer.text and "frame" in answer.text
    not_json = httpx.post(f"{stack.gateway_url}/internal/push", headers=headers,
                          content=b"{", timeout=10)
    assert not_json.status_code == 422 and "not JSON" in not_json.text


@pytest.mark.parametrize("deflate", [False, True], ids=["plain", "permessage-deflate"])
async def test_one_push_of_many_frames_reaches_every_tab_whole_and_in_order(
    stack: Stack, start_part: StartPart, tenant: TenantKeys, deflate: bool
):
    """A push's frames for one socket are written together at its end, and at once past
    64 KiB: 300 frames of 1 KB to each of two tabs arrive each once, in seq order; framed
    by the gateway itself, or by websockets when the socket compresses."""
    url = stack.gateway_url
    if deflate:
        node = start_part("gateway", name="gateway-deflate", ws_per_message_deflate="true")
        url = f"http://127.0.0.1:{node.port}"
    user = f"gathered-{deflate}"
    token = token_for(stack.api_url, tenant.secret_key, user)
    tabs = [await connect(url.replace("http", "ws") + "/ws", tenant.publishable_key, token,
                          since=0) for _ in range(2)]
    assert all(("permessage-deflate" in (tab.ws.response.headers.get(
        "Sec-WebSocket-Extensions") or "")) is deflate for tab in tabs)
    items = [_push_item(tenant, user, seq, f"g-{seq}", f"t{seq}", "b" * 1000)
             for seq in range(1, 301)]
    pushed = httpx.post(f"{url}/internal/push", json={"items": items},
                        headers={"X-Internal-Key": stack.env["HERALD_INTERNAL_KEY"]})
    assert [r["delivered"] for r in pushed.json()["results"]] == [True] * 300
    for tab in tabs:
        while len(tab.notifications()) < 300:
            await tab.next_of("notification")
        assert [(f["seq"], f["title"]) for f in tab.notifications()] == [
            (seq, f"t{seq}") for seq in range(1, 301)]
        await tab.send({"type": "ping"})
        await tab.next_of("pong")  # nothing after the 300th but the answer
        assert len(tab.notifications()) == 300
        await tab.close()


@pytest.mark.parametrize("purged", [(), (3,)], ids=["every seq stored", "one purged"])
async def test_pushes_arriving_while_a_reader_catches_up_do_not_close_its_socket(
    stack: Stack, start_part: StartPart, api: httpx.Client, tenant: TenantKeys,
    purged: tuple[int, ...]
):
    """A reader back to many stored notifications is replayed them; retries of the same
    notifications pushed meanwhile overflow its send queue. They are stored, so the gateway
    reads them once the replay is done instead of closing the socket as too slow (4408).
    Also when retention removed one early on (the replay looks into the gap, a replay within
    the replay, and goes on)."""
    from sqlalchemy import and_, select

    from backend.db.models import Notification, User
    from backend.notifications.retention import _delete
    from tests.support.db import session_scope

    node = start_part("gateway", name="gateway-catch-up", ws_send_queue_size="20")
    body = "y" * 10_000  # the replay's 6 MB fill the socket's buffers: it waits on them
    for start in range(0, 600, 100):
        assert api.post("/v1/notifications/batch", json={"items": [
            {"recipients": ["returning"], "content": {"title": f"n{i}", "body": body}}
            for i in range(start, start + 100)]}).status_code == 202

    wait_until(lambda: _stored(tenant, "returning") == 600, what="all 600 stored")
    with session_scope() as session:
        reader = session.scalar(select(User.id).where(
            User.tenant_id == uuid.UUID(tenant.tenant_id), User.external_id == "returning"))
        _delete(session, and_(Notification.reader_id == reader, Notification.seq.in_(purged)))
    sock = await _reading_slowly(node.port, stack, tenant, "returning")
    # Not reading for now: the replay waits on the socket. Retries of 100 of them arrive.
    items = [_push_item(tenant, "returning", seq, str(uuid.uuid4()), f"n{seq - 1}", body)
             for seq in range(1, 101) if seq not in purged]
    pushed = httpx.post(f"http://127.0.0.1:{node.port}/internal/push", json={"items": items},
                        headers={"X-Internal-Key": stack.env["HERALD_INTERNAL_KEY"]},
                        timeout=30)
    assert pushed.status_code == 200
    kept = [seq for seq in range(1, 601) if seq not in purged]
    while len(sock.notifications()) < len(kept):
        await sock.next_of("notification", timeout=30)
    assert [f["seq"] for f in sock.notifications()] == kept
    await sock.send({"type": "ping"})
    await sock.next_of("pong")  # still open
    await sock.close()
