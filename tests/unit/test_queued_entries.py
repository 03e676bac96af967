"""A stream entry on its way from the bridge to a worker (``QueuedEntry``), naming the
reader's entry before it when that one went in another batch."""

from __future__ import annotations

import json
import time
from dataclasses import replace

import redis
from celery import Celery

from backend.bridge.consumer import ORDER_WAIT_SECONDS, Bridge
from backend.core import redis_keys as keys
from backend.core.config import Settings
from backend.notifications import stream
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
    # The worker keeps the text too: it judges the entry storable on it (``unstorable``).
    assert QueuedEntry.from_dict(message).raw == raw


def test_an_entry_is_judged_unstorable_alike_from_its_text_or_its_values() -> None:
    bad = replace(ENTRY, data={"note": "bad\x00", "deep": [[[]]]})
    for entry in (ENTRY, bad):
        queued = QueuedEntry.from_dict(QueuedEntry("1-0", entry, "lane").to_dict())
        assert queued.raw is not None
        assert queued.unstorable() == entry.unstorable()
    assert bad.unstorable() == "entry.data.note"


def test_an_entry_without_its_text_is_encoded() -> None:
    message = QueuedEntry("1-0", ENTRY, keys.ingest_stream(0)).to_dict()
    assert StreamEntry.decode(message["entry"]) == ENTRY


def test_a_message_queued_by_an_earlier_version_is_read() -> None:
    """Before lanes, a partition was one stream: its normal lane kept the name."""
    earlier = {"stream_id": "1-0", "partition": 1, "entry": ENTRY.to_dict()}
    assert QueuedEntry.from_dict(earlier) == QueuedEntry("1-0", ENTRY, keys.ingest_stream(1))
    assert keys.ingest_stream(1) == "herald:{ingest:1}"


def test_the_reader_s_earlier_entry_travels_and_is_waited_for_until_its_time() -> None:
    waiting = QueuedEntry("2-0", ENTRY, keys.ingest_stream(0), after="0192", after_until=100.0)
    message = json.loads(json.dumps(waiting.to_dict()))
    assert QueuedEntry.from_dict(message) == waiting
    assert waiting.waits_for(now=99.9) == "0192"
    assert waiting.waits_for(now=100.0) is None  # lost or dead-lettered: stored anyway
    assert QueuedEntry("2-0", ENTRY, keys.ingest_stream(0)).waits_for(now=0.0) is None


def _entry(nid: str, recipient: str) -> QueuedEntry:
    return QueuedEntry(f"{nid}-0", replace(ENTRY, id=nid, recipient=recipient),
                       keys.ingest_stream(0))


def test_the_bridge_names_the_reader_s_entry_sent_in_an_earlier_batch() -> None:
    bridge = Bridge(redis.Redis(), Celery(), Settings())
    first = bridge._in_order([_entry("01", "ada"), _entry("02", "ada"), _entry("03", "bob")])
    assert [q.after for q in first] == [None, None, None]  # one batch: stored in its order
    second = bridge._in_order([_entry("04", "ada"), _entry("05", "cy"), _entry("06", "ada")])
    assert [q.after for q in second] == ["02", None, None]
    assert all(q.after_until for q in second[:1])


def test_an_entry_sent_long_after_its_reader_s_last_waits_for_nothing(monkeypatch) -> None:
    bridge = Bridge(redis.Redis(), Celery(), Settings())
    bridge._in_order([_entry("01", "ada")])
    later = time.time() + ORDER_WAIT_SECONDS
    monkeypatch.setattr(time, "time", lambda: later)
    assert bridge._in_order([_entry("02", "ada")])[0].after is None


def test_the_lanes_of_eight_tenant_groups_are_still_read() -> None:
    """Entries an earlier version wrote (eight groups a priority) wait in lanes a bridge of
    this version reads, under the same names."""
    earlier = {keys.ingest_stream(p, priority, group)
               for p in (0, 3) for priority in ("high", "normal", "low") for group in range(8)}
    assert earlier <= {lane for p in (0, 3) for lane in stream.lanes(p)}
    assert keys.ingest_stream(3, "low", 7) == "herald:{ingest:3}:low:7"
