"""Which in-flight stream entries lost their Celery message."""

from __future__ import annotations

import base64
import json

from backend.bridge.redelivery import held_messages_text, lost_entries


def held(*stream_ids: str) -> str:
    body = json.dumps([[{"stream_id": sid, "entry": {}} for sid in stream_ids]])
    message = {"body": base64.b64encode(body.encode()).decode(),
               "properties": {"body_encoding": "base64"}}
    return json.dumps([message, "", "notifications.default"])


def test_an_entry_held_by_a_worker_is_not_lost():
    text = held_messages_text([held("1-0", "2-0")])
    assert lost_entries(["1-0", "3-0"], text, {"1-0": "q", "3-0": "q"}, set()) == ["3-0"]


def test_an_entry_whose_queue_still_has_messages_may_be_waiting_there():
    queue_of = {"1-0": "notifications.low", "2-0": "notifications.high"}
    assert lost_entries(["1-0", "2-0"], "", queue_of, {"notifications.low"}) == ["2-0"]


def test_an_entry_gone_from_the_stream_is_not_published_again():
    assert lost_entries(["1-0"], "", {}, set()) == []


def test_ids_match_whole_not_as_prefixes():
    text = held_messages_text([held("10-0")])
    assert lost_entries(["1-0"], text, {"1-0": "q"}, set()) == ["1-0"]


def test_an_unknown_shape_is_searched_as_text():
    assert held_messages_text(["not json"]) == "not json"
