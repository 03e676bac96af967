"""The ingest stream is partitioned by reader: a reader's notifications keep one partition and
their order, every partition is read (also those of a producer set to more partitions than
the bridge), and a request whose writer failed half way is finished by its retry under the
first ids, stored once."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import redis
from sqlalchemy import func, select

from backend.core import redis_keys as keys
from backend.db.models import Notification, ScheduledSend
from tests.support import ingest
from tests.support.db import session_scope
from tests.support.harness import wait_until
from tests.support.stack import Stack, StartPart, TenantKeys

READERS = 40
EACH = 3


def _stored(tenant_id: str) -> list[tuple[str, int, str]]:
    """(reader, seq, title) of every stored notification of the tenant."""
    from backend.db.models import User

    with session_scope() as session:
        return [(r.external_id, r.seq, r.title) for r in session.execute(
            select(User.external_id, Notification.seq, Notification.title)
            .join(User, User.id == Notification.reader_id)
            .where(Notification.tenant_id == uuid.UUID(tenant_id)))]


def test_readers_keep_one_partition_and_their_order(
    stack: Stack, start_part: StartPart, servers, tenant: TenantKeys
):
    url = servers.redis_url(12)
    client = redis.Redis.from_url(url, decode_responses=True)
    client.flushdb()
    api_proc = start_part("api", name="api-db12", redis_url=url, ingest_partitions="8")
    api = httpx.Client(base_url=f"http://127.0.0.1:{api_proc.port}",
                       headers={"X-API-Key": tenant.secret_key})
    for n in range(EACH):  # one /batch per round: every reader's n-th notification
        items = [{"recipients": [f"p{r}"], "content": {"title": f"n{n}"}}
                 for r in range(READERS)]
        assert api.post("/v1/notifications/batch", json={"items": items}).status_code == 202

    where: dict[str, set[str]] = defaultdict(set)
    titles: dict[str, list[str]] = defaultdict(list)
    for name in ingest.names(client):
        for _, fields in client.xrange(name):
            entry = json.loads(fields["n"])
            where[entry["recipient"]].add(name)
            titles[entry["recipient"]].append(entry["content"]["title"])
    assert len(where) == READERS
    assert all(len(names) == 1 for names in where.values())  # one partition per reader
    assert all(t == [f"n{n}" for n in range(EACH)] for t in titles.values())  # in order
    assert len(set().union(*where.values())) >= 4  # and the readers spread over partitions

    # A bridge set to fewer partitions than the API wrote to still reads every one.
    start_part("bridge", name="bridge-db12", redis_url=url, bridge_consumer="bridge-db12",
               ingest_partitions="2")
    start_part("worker", name="worker-db12", redis_url=url, gateway_url=stack.gateway_url)
    wait_until(lambda: len(_stored(tenant.tenant_id)) == READERS * EACH, timeout=60,
               what="every notification stored")
    by_reader: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for reader, seq, title in _stored(tenant.tenant_id):
        by_reader[reader].append((seq, title))
    for stored in by_reader.values():
        assert [title for _, title in sorted(stored)] == [f"n{n}" for n in range(EACH)]
    wait_until(lambda: ingest.drained(client), what="every partition read and released")


@pytest.mark.parametrize("retry", ["now", "scheduled"])
def test_a_request_cut_off_half_way_is_finished_by_its_retry(
    stack: Stack, start_part: StartPart, servers, tenant: TenantKeys, retry: str
):
    """Redis refuses the API's appends after the idempotency key was claimed (as when the API
    dies or the connection drops between the two): the answer is a 503, and the retry with
    the same key appends the first attempt's entries, under its ids, stored once. A retry
    that asks for a later time (the same key, so the same request to the service) finishes
    the first one likewise and schedules nothing of its own."""
    db = 13
    url = servers.redis_url(db)
    admin = redis.Redis.from_url(url, decode_responses=True)
    admin.flushdb()
    admin.execute_command("ACL", "SETUSER", "noappend", "on", ">pw", "~*", "&*", "+@all",
                          "-xadd")
    cut = start_part("api", name="api-db13-cut",
                     redis_url=f"redis://noappend:pw@127.0.0.1:{servers.redis_port}/{db}")
    request = {"recipients": ["half-1", "half-2"], "content": {"title": "finished"},
               "idempotency_key": "cut-off"}
    headers = {"X-API-Key": tenant.secret_key}
    refused = httpx.post(f"http://127.0.0.1:{cut.port}/v1/notifications", json=request,
                         headers=headers)
    assert refused.status_code == 503, refused.text
    assert "idempotency_key" in refused.json()["detail"]
    assert ingest.length(admin) == 0
    claimed = admin.get(keys.idempotency(tenant.tenant_id, "cut-off"))
    assert claimed is not None  # claimed, never sealed
    first_ids = {n["id"] for n in json.loads(claimed)["writing"]["answer"]["notifications"]}

    api_proc = start_part("api", name="api-db13", redis_url=url)
    start_part("bridge", name="bridge-db13", redis_url=url, bridge_consumer="bridge-db13")
    start_part("worker", name="worker-db13", redis_url=url, gateway_url=stack.gateway_url)
    api = httpx.Client(base_url=f"http://127.0.0.1:{api_proc.port}", headers=headers)
    if retry == "scheduled":
        request["send_at"] = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    retried = api.post("/v1/notifications", json=request)
    assert retried.status_code == 202, retried.text
    assert {n["id"] for n in retried.json()["notifications"]} == first_ids
    appended = ingest.last_ids(admin)
    again = api.post("/v1/notifications", json=request)  # sealed now: nothing appended
    assert again.json() == retried.json()
    assert ingest.last_ids(admin) == appended

    wait_until(lambda: len(_stored(tenant.tenant_id)) == 2, what="both stored")
    wait_until(lambda: ingest.drained(admin), what="every entry read and released")
    with session_scope() as session:
        ids = session.scalars(select(Notification.id).where(
            Notification.tenant_id == uuid.UUID(tenant.tenant_id))).all()
        scheduled = session.scalar(select(func.count()).select_from(ScheduledSend).where(
            ScheduledSend.tenant_id == uuid.UUID(tenant.tenant_id)))
    assert sorted(str(i) for i in ids) == sorted(first_ids)
    assert scheduled == 0
