"""Scheduled and recurring sends, dispatched by exactly one celery beat."""

from __future__ import annotations

import asyncio
import os
import signal
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import redis
from sqlalchemy import func, select, text

from backend.cli.embedded import EmbeddedRedis
from backend.core import redis_keys as keys
from tests.support.db import stored_count
from tests.support.harness import free_port, wait_until
from tests.support.sockets import connect, token_for
from tests.support.stack import Stack, StartPart, TenantKeys


async def test_send_at_arrives_after_its_time(api: httpx.Client, stack: Stack,
                                              tenant: TenantKeys):
    sock = await connect(stack.ws_url, tenant.publishable_key,
                         token_for(stack.api_url, tenant.secret_key, "later"), since=0)
    send_at = datetime.now(UTC) + timedelta(seconds=2)
    response = api.post("/v1/notifications", json={
        "recipients": ["later"], "content": {"title": "Reminder"},
        "send_at": send_at.isoformat()})
    assert response.status_code == 202
    answer = response.json()
    assert answer["status"] == "scheduled"
    assert api.get(f"/v1/notifications/{answer['id']}").json()["status"] == "scheduled"
    frame = await sock.next_of("notification", timeout=20)
    assert frame["id"] == answer["id"]
    assert datetime.now(UTC) >= send_at
    assert datetime.fromisoformat(frame["created_at"]) >= send_at - timedelta(seconds=2)
    await sock.close()


def test_a_scheduled_send_shows_what_it_will_send(api: httpx.Client):
    send_at = datetime.now(UTC) + timedelta(hours=2)
    answer = api.post("/v1/notifications", json={
        "recipients": ["planner"], "content": {"title": "Standup in {{ m }} min"},
        "data": {"m": 5}, "category": "meetings", "send_at": send_at.isoformat()}).json()
    status = api.get(f"/v1/notifications/{answer['id']}").json()
    assert status["status"] == "scheduled"
    assert (status["recipient"], status["title"], status["category"]) == (
        "planner", "Standup in {{ m }} min", "meetings")
    assert status["data"] == {"m": 5}
    assert datetime.fromisoformat(status["send_at"]) == send_at


def test_a_send_at_in_the_past_is_refused_unless_just_now(api: httpx.Client):
    hour_ago = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    refused = api.post("/v1/notifications", json={
        "recipients": ["x"], "content": {"title": "t"}, "send_at": hour_ago})
    assert refused.status_code == 422
    detail = refused.json()["detail"][0]
    assert detail["loc"] == ["body", "send_at"] and "is in the past" in detail["msg"]
    just_now = (datetime.now(UTC) - timedelta(seconds=5)).isoformat()
    sent = api.post("/v1/notifications", json={
        "recipients": ["x"], "content": {"title": "t"}, "send_at": just_now})
    assert sent.status_code == 202 and sent.json()["status"] == "accepted"
    assert "topic" not in sent.json() and "recipients" not in sent.json()  # no nulls


def test_send_at_without_offset_is_rejected(api: httpx.Client):
    response = api.post("/v1/notifications", json={
        "recipients": ["x"], "content": {"title": "t"}, "send_at": "2030-01-01T10:00:00"})
    assert response.status_code == 422
    assert any("send_at" in err["loc"] for err in response.json()["detail"])


async def test_per_second_cron_fires_once_a_second_until_deleted(
    api: httpx.Client, stack: Stack, tenant: TenantKeys
):
    sock = await connect(stack.ws_url, tenant.publishable_key,
                         token_for(stack.api_url, tenant.secret_key, "cron"), since=0)
    created = api.post("/v1/schedules", json={
        "cron": "* * * * * *", "timezone": "Europe/Berlin",
        "notification": {"recipients": ["cron"], "content": {"title": "tick"}}})
    assert created.status_code == 201, created.text
    schedule = created.json()
    frames = [await sock.next_of("notification", timeout=10) for _ in range(5)]
    span = (datetime.fromisoformat(frames[-1]["created_at"])
            - datetime.fromisoformat(frames[0]["created_at"])).total_seconds()
    assert 3.0 <= span <= 6.5, span  # 5 runs of a per-second cron span about 4 s
    assert [f["seq"] for f in frames] == [1, 2, 3, 4, 5]

    assert api.delete(f"/v1/schedules/{schedule['id']}").status_code == 204
    assert api.get(f"/v1/schedules/{schedule['id']}").status_code == 404
    # Drain what was already in flight at deletion, then nothing more may come.
    last = frames[-1]["seq"]
    with pytest.raises(asyncio.TimeoutError):
        while True:
            frame = await sock.next_of("notification", timeout=3)
            assert frame["seq"] <= last + 2, "schedule kept firing after deletion"
    await sock.close()


def test_bad_cron_is_422(api: httpx.Client):
    response = api.post("/v1/schedules", json={
        "cron": "every tuesday", "notification": {"recipients": ["x"],
                                                  "content": {"title": "t"}}})
    assert response.status_code == 422
    assert "cron" in response.text


def test_second_beat_waits_for_the_lock_and_takes_over(stack: Stack, start_part: StartPart):
    """Only one beat dispatches; a second waits, and takes over when the first dies."""
    client = redis.Redis.from_url(stack.env["HERALD_REDIS_URL"], decode_responses=True)
    holder = client.get(keys.BEAT_LOCK)
    assert holder is not None
    second = start_part("beat", name="beat-2", gateway_url=stack.gateway_url,
                        ready_text="another beat holds the lock")
    assert "beat: Starting" not in second.output()
    assert client.get(keys.BEAT_LOCK) == holder
    stack.procs["beat"].kill()
    wait_until(lambda: "beat: Starting" in second.output(), timeout=30,
               what="the second beat to take over")
    assert client.get(keys.BEAT_LOCK) != holder
    stack.procs["beat"] = second


def test_beat_rides_out_a_redis_stall_longer_than_its_lock(start_part: StartPart, tmp_path):
    """Redis frozen (SIGSTOP) for three lock lifetimes: the lock expired with nobody else
    holding it, so beat takes it again and goes on ticking, instead of stopping itself."""
    server = EmbeddedRedis(tmp_path / "redis", free_port())
    server.start()
    try:
        beat = start_part("beat", name="beat-stall", redis_url=server.url,
                          beat_lock_ttl_seconds="1")
        pid = server.running_pid()
        assert pid is not None
        os.kill(pid, signal.SIGSTOP)
        try:
            time.sleep(3)  # the fault itself: Redis frozen for 3 s (3 lock lifetimes)
        finally:
            os.kill(pid, signal.SIGCONT)
        wait_until(lambda: "beat lock taken again" in beat.output()
                   or beat.popen.poll() is not None, timeout=30, what="beat to recover")
        ticks = beat.output().count("Sending due task")
        wait_until(lambda: beat.output().count("Sending due task") > ticks + 5
                   or beat.popen.poll() is not None, timeout=30, what="beat to tick again")
        assert beat.popen.poll() is None, beat.output()[-2000:]
        client = redis.Redis.from_url(server.url, decode_responses=True)
        assert client.get(keys.BEAT_LOCK) is not None
        beat.stop()
    finally:
        server.stop()


@contextmanager
def scheduled_rows_refused(tenant_id: str) -> Iterator[None]:
    """PostgreSQL refuses this tenant's scheduled rows, as a failed commit would."""
    from tests.support.db import session_scope

    function = f"refuse_{tenant_id.replace('-', '')}"
    with session_scope() as session:
        session.execute(text(f"""
            CREATE FUNCTION {function}() RETURNS trigger AS $$
            BEGIN
              IF NEW.tenant_id = '{tenant_id}' THEN RAISE EXCEPTION 'refused by the test';
              END IF;
              RETURN NEW;
            END $$ LANGUAGE plpgsql;
            CREATE TRIGGER refuse_scheduled BEFORE INSERT ON scheduled_sends
              FOR EACH ROW EXECUTE FUNCTION {function}();"""))
    try:
        yield
    finally:
        with session_scope() as session:
            session.execute(text("DROP TRIGGER refuse_scheduled ON scheduled_sends;"
                                 f"DROP FUNCTION {function}()"))


async def test_a_scheduled_send_whose_row_was_refused_is_scheduled_by_its_retry(
    api: httpx.Client, stack: Stack, tenant: TenantKeys
):
    """The idempotency key was claimed, then the scheduled row could not be written: the
    answer is an error, and the retry with the same key schedules the send, once."""
    sock = await connect(stack.ws_url, tenant.publishable_key,
                         token_for(stack.api_url, tenant.secret_key, "retried"), since=0)
    request = {"recipients": ["retried"], "content": {"title": "Reminder"},
               "idempotency_key": "refused-once",
               "send_at": (datetime.now(UTC) + timedelta(seconds=2)).isoformat()}
    with scheduled_rows_refused(tenant.tenant_id):
        refused = api.post("/v1/notifications", json=request)
    assert refused.status_code == 503, refused.text
    assert "idempotency_key" in refused.json()["detail"]
    retried = api.post("/v1/notifications", json=request)
    assert retried.status_code == 202, retried.text
    assert api.post("/v1/notifications", json=request).json() == retried.json()
    assert scheduled_rows(tenant.tenant_id) == 1
    frame = await sock.next_of("notification", timeout=20)
    assert frame["id"] == retried.json()["id"]
    assert stored_count(tenant.tenant_id) == 1
    await sock.close()


def scheduled_rows(tenant_id: str) -> int:
    from backend.db.models import ScheduledSend
    from tests.support.db import session_scope

    with session_scope() as session:
        return session.scalar(select(func.count()).where(
            ScheduledSend.tenant_id == uuid.UUID(tenant_id))) or 0
