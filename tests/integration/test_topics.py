"""Topics: one send to a named list of readers, each reader with a notification of its own."""

from __future__ import annotations

import uuid

import httpx
import psutil
import redis
from sqlalchemy import select

from backend.db.models import Notification, User
from backend.notifications import queues
from tests.support.db import session_scope
from tests.support.harness import wait_until
from tests.support.sockets import connect, token_for
from tests.support.stack import Stack, TenantKeys


def _readers_of(group_id: str) -> dict[str, tuple[str, int]]:
    """Who got a notification of this send: external id -> (notification id, seq)."""
    with session_scope() as session:
        rows = session.execute(
            select(User.external_id, Notification.id, Notification.seq)
            .join(User, User.id == Notification.reader_id)
            .where(Notification.group_id == uuid.UUID(group_id))).all()
    return {ext: (str(nid), seq) for ext, nid, seq in rows}


def _topic(api: httpx.Client, key: str, add: list[str], remove: list[str] | None = None
           ) -> dict:
    assert api.put(f"/v1/topics/{key}", json={"name": key.title()}).status_code == 200
    response = api.post(f"/v1/topics/{key}/subscribers",
                        json={"add": add, "remove": remove or []})
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_topic_send_reaches_every_subscriber_and_no_one_else(
    stack: Stack, tenant: TenantKeys, api: httpx.Client
):
    """Three subscribers online each get their own notification (own id, seq 1); a reader
    removed from the topic and one never in it get nothing."""
    changed = _topic(api, "releases", ["ana", "bo", "cy", "dee"])
    assert changed == {"added": 4, "removed": 0, "subscribers": 4}
    assert _topic(api, "releases", [], ["dee"])["subscribers"] == 3
    sockets = {}
    for reader in ("ana", "bo", "cy", "dee", "eve"):
        token = token_for(stack.api_url, tenant.secret_key, reader)
        sockets[reader] = await connect(stack.ws_url, tenant.publishable_key, token, since=0)

    response = api.post("/v1/notifications", json={
        "topic": "releases", "content": {"title": "v2 is out for {{ name }}"},
        "data": {"name": "you"}})
    assert response.status_code == 202, response.text
    answer = response.json()
    assert (answer["status"], answer["topic"], answer["recipients"]) == ("accepted", "releases", 3)

    frames = {r: await sockets[r].next_of("notification") for r in ("ana", "bo", "cy")}
    assert {f["title"] for f in frames.values()} == {"v2 is out for you"}
    assert len({f["id"] for f in frames.values()}) == 3
    assert {f["seq"] for f in frames.values()} == {1}
    wait_until(lambda: len(_readers_of(answer["id"])) >= 3, what="three rows")
    stored = _readers_of(answer["id"])
    assert sorted(stored) == ["ana", "bo", "cy"]
    assert {r: stored[r][0] for r in stored} == {r: f["id"] for r, f in frames.items()}
    # The send: fanned out once a tick finds no subscriber left (the API reached the three
    # online ones before any tick).
    wait_until(lambda: api.get(f"/v1/notifications/{answer['id']}").json()["status"]
               == "fanned_out", what="the send fanned out")
    whole = api.get(f"/v1/notifications/{answer['id']}").json()
    assert (whole["send"]["subscribers"], whole["send"]["appended"]) == (3, 3)
    for sock in sockets.values():
        await sock.close()


def test_the_same_idempotency_key_sends_to_a_topic_once(
    stack: Stack, tenant: TenantKeys, api: httpx.Client
):
    _topic(api, "ops", ["on-call-1", "on-call-2"])
    body = {"topic": "ops", "content": {"title": "Disk full"}, "idempotency_key": "incident-9"}
    one, two = (api.post("/v1/notifications", json=body).json() for _ in range(2))
    assert one == two and one["recipients"] == 2
    sentinel = api.post("/v1/notifications", json={**body, "idempotency_key": "incident-10"})
    wait_until(lambda: len(_readers_of(sentinel.json()["id"])) == 2, what="the second send")
    assert sorted(_readers_of(one["id"])) == ["on-call-1", "on-call-2"]
    with session_scope() as session:
        seqs = session.scalars(select(Notification.seq).join(User).where(
            User.external_id == "on-call-1", User.tenant_id == uuid.UUID(tenant.tenant_id)))
        assert sorted(seqs) == [1, 2]


def test_subscribers_page_by_cursor_and_a_deleted_topic_is_gone(
    stack: Stack, tenant: TenantKeys, api: httpx.Client
):
    readers = [f"member-{i:02d}" for i in range(25)]
    _topic(api, "club", readers)
    seen, cursor = [], None
    while True:
        params = {"limit": 10, **({"cursor": cursor} if cursor else {})}
        page = api.get("/v1/topics/club/subscribers", params=params).json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == readers
    assert api.delete("/v1/topics/club").status_code == 204
    assert api.get("/v1/topics/club/subscribers").status_code == 404
    refused = api.post("/v1/notifications", json={"topic": "club", "content": {"title": "x"}})
    assert refused.status_code == 422 and "topic 'club' does not exist" in refused.text


def test_bad_topic_requests_are_refused_and_change_nothing(
    stack: Stack, tenant: TenantKeys, api: httpx.Client
):
    _topic(api, "news", ["reader-1"])
    both = api.post("/v1/notifications", json={
        "topic": "news", "recipients": ["reader-2"], "content": {"title": "x"}})
    assert both.status_code == 422 and "exactly one of recipients" in both.text
    neither = api.post("/v1/notifications", json={"content": {"title": "x"}})
    assert neither.status_code == 422 and "exactly one of recipients" in neither.text
    assert api.post("/v1/topics/news/subscribers",
                    json={"add": ["x" * 300]}).status_code == 422
    assert api.post("/v1/topics/nope/subscribers", json={"add": ["a"]}).status_code == 404
    assert api.get("/v1/topics/news/subscribers", params={"cursor": "abc"}).status_code == 422
    assert api.get("/v1/topics/news").json()["subscribers"] == 1


def test_a_topic_send_says_how_far_its_fan_out_got(api: httpx.Client):
    """Not "accepted" with every field null long after its readers had it: fanning_out, then
    fanned_out, with the subscribers at send time, how many were made, and their statuses."""
    readers = [f"f{i}" for i in range(25)]
    _topic(api, "changelog", readers)
    send = api.post("/v1/notifications", json={
        "topic": "changelog", "content": {"title": "New"}, "channels": ["in_app"]}).json()
    seen = set()

    def done() -> dict | None:
        status = api.get(f"/v1/notifications/{send['id']}").json()
        seen.add(status["status"])
        return status if status["status"] == "fanned_out" and sum(
            status["send"]["notifications"].values()) == len(readers) else None

    final = wait_until(done, timeout=60, what="the fan-out to finish and be stored")
    assert seen <= {"accepted", "fanning_out", "fanned_out"}
    assert final["send"]["topic"] == "changelog"
    assert (final["send"]["subscribers"], final["send"]["appended"]) == (25, 25)
    assert set(final["send"]["notifications"]) <= {"persisted", "delivered"}


def test_a_whole_sends_id_answers_its_notifications_statuses(api: httpx.Client):
    sent = api.post("/v1/notifications", json={
        "recipients": ["w1", "w2", "w3"], "content": {"title": "All"},
        "channels": ["in_app"]}).json()
    status = wait_until(lambda: (s := api.get(f"/v1/notifications/{sent['id']}")).status_code
                        == 200 and sum(s.json()["send"]["notifications"].values()) == 3
                        and s.json(), what="the send's three notifications stored")
    assert status["status"] in ("persisted", "delivered")


async def test_readers_looking_at_the_page_get_a_big_topic_send_first(
    stack: Stack, tenant: TenantKeys, api: httpx.Client
):
    """Subscribed last, online now: their notifications are appended (and stored, and
    pushed) before those of the 2,500 away, not after them."""
    away = [f"away-{n}" for n in range(2500)]
    for start in range(0, len(away), 1000):
        _topic(api, "outage", away[start:start + 1000])
    online = ["looking-0", "looking-1", "looking-2"]
    _topic(api, "outage", online)
    sockets = [await connect(stack.ws_url, tenant.publishable_key,
                             token_for(stack.api_url, tenant.secret_key, reader), since=0)
               for reader in online]
    response = api.post("/v1/notifications", json={
        "topic": "outage", "content": {"title": "Going down in 5 minutes"}})
    assert response.status_code == 202, response.text
    for sock in sockets:
        assert (await sock.next_of("notification"))["title"] == "Going down in 5 minutes"
    wait_until(lambda: len(_readers_of(response.json()["id"])) == 2503, timeout=120,
               what="every subscriber's notification stored")
    ids = {reader: uuid.UUID(nid) for reader, (nid, _) in
           _readers_of(response.json()["id"]).items()}
    # Ids are UUIDv7: made in the order the fan-out appended them.
    assert max(ids[r] for r in online) < min(ids[r] for r in away)
    for sock in sockets:
        await sock.close()


async def test_a_topic_send_reaches_open_pages_without_waiting_for_beats_tick(
    stack: Stack, tenant: TenantKeys, api: httpx.Client
):
    """With celery beat frozen (no tick for the fan-out), a send's subscribers with an open
    page still get it: the API takes the online step once it has answered. The 1,500 away
    wait for the tick, and get theirs once beat runs again."""
    _topic(api, "release", [f"away-{n}" for n in range(1000)])
    _topic(api, "release", [f"away-{n}" for n in range(1000, 1500)] + ["looking"])
    sock = await connect(stack.ws_url, tenant.publishable_key,
                         token_for(stack.api_url, tenant.secret_key, "looking"), since=0)
    beat = psutil.Process(stack.procs["beat"].popen.pid)
    frozen = [beat, *beat.children(recursive=True)]
    for proc in frozen:
        proc.suspend()
    try:  # ticks sent before the freeze are taken first: none is left to fan this out
        queued = redis.Redis.from_url(stack.env["HERALD_REDIS_URL"])
        wait_until(lambda: not queued.llen(queues.PERIODIC), what="no tick queued")
        response = api.post("/v1/notifications", json={
            "topic": "release", "content": {"title": "2.0 is out"}})
        assert response.status_code == 202, response.text
        assert (await sock.next_of("notification"))["title"] == "2.0 is out"
        assert set(_readers_of(response.json()["id"])) == {"looking"}
    finally:
        for proc in frozen:
            proc.resume()
    wait_until(lambda: len(_readers_of(response.json()["id"])) == 1501, timeout=120,
               what="the away subscribers' notifications stored after the tick")
    await sock.close()
