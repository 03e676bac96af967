"""Erasing a reader: no row and no stream entry of theirs is left (queried directly), other
readers are untouched, and a later send starts a fresh reader."""

from __future__ import annotations

import json
import uuid

import httpx
import redis
from sqlalchemy import func, select

from backend.db.models import Notification, TopicSubscriber, User
from backend.notifications import dead_letters
from tests.support import ingest
from tests.support.api import send
from tests.support.db import session_scope
from tests.support.harness import wait_until
from tests.support.stack import TenantKeys

DB = 10  # a Redis database of its own: this test stops its bridge


def _reader(tenant: TenantKeys, user_id: str) -> tuple[int, str, int] | None:
    """(row id, epoch, notifications) of a reader, if stored."""
    with session_scope() as session:
        user = session.scalar(select(User).where(
            User.tenant_id == uuid.UUID(tenant.tenant_id), User.external_id == user_id))
        if user is None:
            return None
        count = session.scalar(select(func.count()).where(Notification.reader_id == user.id))
        return user.id, user.epoch, count or 0


def _in_stream(client: redis.Redis, user_id: str) -> list[str]:
    return [json.loads(fields["n"])["recipient"]
            for _, fields in ingest.entries(client)
            if json.loads(fields["n"])["recipient"] == user_id]


def test_erasure_leaves_nothing_of_the_reader(side_stack, start_part, tenant: TenantKeys):
    side = side_stack(DB)
    client = redis.Redis.from_url(side.redis_url, decode_responses=True)
    api = httpx.Client(base_url=side.api_url, headers={"X-API-Key": tenant.secret_key})
    api.put("/v1/users/gone", json={"email": "gone@example.com", "locale": "fr"})
    api.put("/v1/topics/news", json={})
    api.post("/v1/topics/news/subscribers", json={"add": ["gone", "kept"]})
    for user in ("gone", "gone", "kept"):
        send(api, user, "Stored")
    wait_until(lambda: (_reader(tenant, "gone") or (0, "", 0))[2] == 2
               and (_reader(tenant, "kept") or (0, "", 0))[2] == 1, what="three stored")
    _, old_epoch, _ = _reader(tenant, "gone") or (0, "", 0)
    dead_letters.add(client, "could not persist", {"tenant_id": tenant.tenant_id,
                                                   "recipient": "gone", "id": "x"}, 100)

    side.bridge.stop()  # what is sent now stays in the stream, not yet stored
    send(api, "gone", "Still in the stream")
    send(api, "kept", "Still in the stream")
    assert len(_in_stream(client, "gone")) >= 1

    response = api.delete("/v1/users/gone")
    assert response.status_code == 200, response.text
    erased = response.json()["erased"]
    assert (erased["notifications"], erased["subscriptions"], erased["dead_letters"]) == (2, 1, 1)
    assert erased["stream_entries"] >= 1

    assert _reader(tenant, "gone") is None
    with session_scope() as session:
        assert session.scalar(select(func.count()).where(
            TopicSubscriber.external_id == "gone")) == 0
    assert _in_stream(client, "gone") == []
    assert _in_stream(client, "kept") != []
    assert "gone" not in json.dumps(dead_letters.list_for(client, tenant.tenant_id, None, 100))
    assert api.get("/v1/topics/news/subscribers").json()["items"] == ["kept"]

    start_part("bridge", name=f"bridge-db{DB}-again", redis_url=side.redis_url,
               bridge_consumer=f"bridge-db{DB}")
    wait_until(lambda: (_reader(tenant, "kept") or (0, "", 0))[2] == 2, what="kept's second")
    assert _reader(tenant, "gone") is None  # nothing of theirs came back through the stream

    send(api, "gone", "A new start")
    wait_until(lambda: _reader(tenant, "gone") is not None, what="a fresh reader")
    _, epoch, count = _reader(tenant, "gone") or (0, "", 0)
    assert count == 1 and epoch != old_epoch
    with session_scope() as session:
        seqs = list(session.scalars(select(Notification.seq).join(User).where(
            User.tenant_id == uuid.UUID(tenant.tenant_id), User.external_id == "gone")))
    assert seqs == [1]


def test_entries_already_queued_for_an_erased_reader_are_not_stored(
    side_stack, start_part, stack, tenant: TenantKeys
):
    """Past the stream (in a Celery queue) an entry cannot be deleted: the worker drops it."""
    side = side_stack(DB + 1)
    client = redis.Redis.from_url(side.redis_url, decode_responses=True)
    api = httpx.Client(base_url=side.api_url, headers={"X-API-Key": tenant.secret_key})
    side.worker.stop()
    send(api, "queued-gone", "Waiting in Celery")
    wait_until(lambda: client.llen("notifications.default") >= 1, what="the batch queued")
    assert api.delete("/v1/users/queued-gone").status_code == 200

    start_part("worker", name=f"worker-db{DB + 1}-again", redis_url=side.redis_url,
               gateway_url=stack.gateway_url)
    send(api, "queued-kept", "After")
    wait_until(lambda: _reader(tenant, "queued-kept") is not None, what="the sentinel stored")
    wait_until(lambda: client.llen("notifications.default") == 0
               and ingest.in_flight(client) == 0, what="the queue drained")
    assert _reader(tenant, "queued-gone") is None
