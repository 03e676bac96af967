"""What a push carries, cut to the 4,096 bytes push services take (RFC 8291 leaves 3,993 of
them for the text), body first, never inside a character."""

from __future__ import annotations

import json
import uuid

from hypothesis import given
from hypothesis import strategies as st

from backend.channels.web_push import ELLIPSIS, MAX_PLAINTEXT, contact_of, payload
from backend.db.models import Notification


def _notification(title: str, body: str) -> Notification:
    return Notification(id=uuid.uuid4(), title=title, body=body)


def test_a_short_notification_goes_whole():
    n = _notification("Bericht fertig", "Ihr Bericht ist fertig")
    assert json.loads(payload(n, "https://app.example.test/r/7")) == {
        "id": str(n.id), "title": "Bericht fertig", "body": "Ihr Bericht ist fertig",
        "url": "https://app.example.test/r/7"}


def test_a_long_body_is_cut_to_fit_with_an_ellipsis():
    n = _notification("Title", "é" * 5000)
    carried = payload(n, None)
    assert len(carried) <= MAX_PLAINTEXT
    fields = json.loads(carried)
    assert fields["title"] == "Title" and fields["body"].endswith(ELLIPSIS)
    assert len(fields["body"]) > 1000  # cut to fit, not emptied


def test_a_long_title_is_cut_after_the_body():
    n = _notification("t" * 8000, "b" * 8000)
    fields = json.loads(payload(n, None))
    assert fields["body"] == ELLIPSIS and fields["title"].endswith(ELLIPSIS)


def test_an_overlong_url_is_left_out_rather_than_cut():
    fields = json.loads(payload(_notification("t" * 3000, "b"), "https://x.test/" + "a" * 4000))
    assert fields["url"] is None


@given(st.text(max_size=6000), st.text(max_size=6000))
def test_every_payload_fits_and_is_valid_json(title, body):
    carried = payload(_notification(title, body), None)
    assert len(carried) <= MAX_PLAINTEXT
    fields = json.loads(carried.decode())
    assert body.startswith(fields["body"].removesuffix(ELLIPSIS).rstrip()) or fields["body"] == body


def test_the_vapid_contact_defaults_to_the_email_sender():
    assert contact_of(None, "Herald <no-reply@example.com>") == "mailto:no-reply@example.com"
    assert contact_of("https://example.com/contact", "x") == "https://example.com/contact"
