"""The protocol's frames (``backend.notifications.frames``): client frames decoded field by
field, and the browser's types (herald.d.ts) and sends (herald.js) held to the same
definitions."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from backend.notifications import frames
from backend.notifications.frames import (
    AckIds,
    AckSeq,
    ErrorFrame,
    FrameError,
    Hello,
    NotificationFrame,
    Ping,
    StateChange,
    StateFrame,
)

STATIC = Path(__file__).resolve().parents[2] / "gateway" / "static"


def interface(name: str) -> set[str]:
    """The field names of one interface of herald.d.ts."""
    text = (STATIC / "herald.d.ts").read_text()
    body = re.search(rf"export interface {name} \{{(.*?)\n\}}", text, re.S)
    assert body, f"herald.d.ts has no interface {name}"
    return set(re.findall(r"^\s+(\w+)\??:", body.group(1), re.M))


@pytest.mark.parametrize(("typed", "declared", "without"), [
    (NotificationFrame, "HeraldNotification", {"type"}),
    (StateFrame, "HeraldStateFrame", set()),
    (ErrorFrame, "HeraldErrorFrame", set()),
])
def test_herald_d_ts_declares_the_frames_the_gateway_sends(typed, declared, without):
    assert interface(declared) == set(typed.__annotations__) - without


def test_the_rest_inbox_items_are_the_notification_frames():
    from gateway.inbox import InboxItem

    assert set(InboxItem.model_fields) == set(NotificationFrame.__annotations__) - {"type"}


def test_every_frame_herald_js_sends_is_one_the_gateway_decodes():
    sent = set(re.findall(r'send\(\{\s*type: "(\w+)"', (STATIC / "herald.js").read_text()))
    sent |= set(re.findall(r'\{\s*type: "(\w+)"', (STATIC / "herald.js").read_text()))
    sent -= {"notification"}  # a frame herald.js makes for its own listeners
    assert sent and sent <= set(frames.CLIENT), sent - set(frames.CLIENT)


def test_client_frames_decode_to_their_classes():
    nid = uuid.uuid4()
    assert frames.decode({"type": "ping"}) == Ping()
    assert frames.decode({"type": "ack", "seq": 7}) == AckSeq(7)
    assert frames.decode({"type": "ack", "ids": [str(nid)]}) == AckIds((nid,))
    assert frames.decode({"type": "read_all"}) == StateChange("read", None)
    assert frames.decode({"type": "archive", "ids": [str(nid)]}) == StateChange("archive",
                                                                                   (nid,))
    assert frames.decode({"type": "hello", "since": 3, "epoch": "e"}) == Hello(3, "e", None)
    until = datetime.now(UTC) + timedelta(hours=1)
    snooze = frames.decode({"type": "snooze", "ids": [str(nid)], "until": until.isoformat()})
    assert snooze == StateChange("snooze", (nid,), until)


@pytest.mark.parametrize(("frame", "named"), [
    ({"type": "shout"}, "unknown frame type 'shout'"),
    ({"type": 3}, "unknown frame type 3"),
    ({"type": "ack", "seq": -1}, "ack: seq must be an integer"),
    ({"type": "ack", "seq": True}, "ack: seq must be an integer"),
    ({"type": "ack"}, "ids must be a list of 1 to 1000"),
    ({"type": "read", "ids": ["nope"]}, "ids:"),
    ({"type": "seen", "ids": [str(uuid.uuid4())] * 1001}, "ids must be a list of 1 to 1000"),
    ({"type": "hello", "since": "1"}, "hello: since must be an integer"),
    ({"type": "snooze", "ids": [str(uuid.uuid4())], "until": "tomorrow"}, "snooze: until"),
    ({"type": "snooze", "ids": [str(uuid.uuid4())], "until": "2001-01-01T00:00:00Z"},
     "in the future"),
])
def test_a_malformed_client_frame_is_named(frame, named):
    with pytest.raises(FrameError, match=re.escape(named)):
        frames.decode(frame)
