"""Accepted means durable: what Redis acknowledged survives Redis being SIGKILLed, because
the embedded Redis writes its append-only file before it answers."""

from __future__ import annotations

import os
import signal
import uuid

import redis

from backend.cli.embedded import EmbeddedRedis
from backend.notifications import stream
from backend.notifications.messages import StreamEntry
from tests.support import ingest
from tests.support.harness import free_port, wait_until


def entry(nid: str) -> StreamEntry:
    return StreamEntry(id=nid, group_id=nid, tenant_id="t", recipient="r", priority="normal",
                       channels=["in_app"], created_at="2026-01-01T00:00:00+00:00",
                       content={"title": "durable"})


def test_acknowledged_entries_survive_sigkill_of_redis(tmp_path):
    server = EmbeddedRedis(tmp_path / "redis", free_port())
    server.start()
    try:
        client = redis.Redis.from_url(server.url, decode_responses=True)
        assert client.config_get("appendonly")["appendonly"] == "yes"
        assert client.config_get("maxmemory-policy")["maxmemory-policy"] == "noeviction"
        producer = stream.Ingest(client, 4, 3600)
        ids = []
        for _ in range(500):
            nid = str(uuid.uuid4())
            created, _ = producer.enqueue("t", [entry(nid)], {"id": nid}, f"key-{nid}")
            assert created
            ids.append(nid)
        pid = server.running_pid()
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda: server.running_pid() is None, what="redis to die")
        server.start()
        client = redis.Redis.from_url(server.url, decode_responses=True)
        assert ingest.length(client) == 500
        # The idempotency keys survived too: a retry after the crash creates nothing.
        producer = stream.Ingest(client, 4, 3600)
        created, answer = producer.enqueue("t", [entry("x")], {"id": "x"}, f"key-{ids[-1]}")
        assert (created, answer) == (False, {"id": ids[-1]})
    finally:
        server.stop()
