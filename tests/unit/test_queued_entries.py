"""A stream entry on its way from the bridge to a worker (``QueuedEntry``)."""

from __future__ import annotations

import json

from backend.core import redis_keys as keys
from backend.notifications.messages import QueuedEntry, StreamEntry

ENTRY = StreamEntry(id="0193", group_id="0193", tenant_id="t1", recipient="ada",
                    priority="high", channels=["in_app"], created_at="2026-11-29T15:00:00+00:00",
                    content={"title": "Hi {{ name }}"}, data={"name": "Ada \"the first\""})


def test_the_bridge_forwards_the_text_it_read_and_the_worker_reads_it_back() -> None:
    raw = ENTRY.encode()
    lane = keys.ingest_stream(2, "high", 5)
    message = json.loads(json.dumps(QueuedEntry("1-0", ENTRY, lane, raw).to_dict()))
    assert message["entry"] == raw
    assert QueuedEntry.from_dict(message) == QueuedEntry("1-0", ENTRY, lane)


def test_an_entry_without_its_text_is_encoded() -> None:
    message = QueuedEntry("1-0", ENTRY, keys.ingest_stream(0)).to_dict()
    assert StreamEntry.decode(message["entry"]) == ENTRY


def test_a_message_queued_by_an_earlier_version_is_read() -> None:
    """Before lanes, a partition was one stream: its normal lane kept the name."""
    earlier = {"stream_id": "1-0", "partition": 1, "entry": ENTRY.to_dict()}
    assert QueuedEntry.from_dict(earlier) == QueuedEntry("1-0", ENTRY, keys.ingest_stream(1))
    assert keys.ingest_stream(1) == "herald:{ingest:1}"
