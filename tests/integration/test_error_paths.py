"""Every error path ends: text from end users cannot break an email, times and addresses
are refused at input when they could never be used, and each refusal names its field."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.test_fallbacks import profile, settled
from tests.support.api import send
from tests.support.peers import SmtpServer


def test_line_breaks_from_data_cannot_break_the_subject(api: httpx.Client, smtp: SmtpServer):
    profile(api, "subject-crlf", email="subject-crlf@example.test")
    nid = api.post("/v1/notifications", json={
        "recipients": ["subject-crlf"], "channels": ["email"],
        "content": {"title": "Hi {{ name }}", "body": "b"},
        "data": {"name": "Eve\r\nBcc: evil@example.test\r\n"}}).json()["id"]
    result = settled(api, nid, "fallback_sent", "failed")
    assert result["status"] == "fallback_sent", result
    (message,) = smtp.received("subject-crlf@example.test")
    assert "\n" not in message["Subject"] and "Eve" in message["Subject"]
    assert message["Bcc"] is None and smtp.received("evil@example.test") == []


@pytest.mark.parametrize("quiet", [{"start": "22:00+05:00", "end": "07:00"},
                                   {"start": "22:00", "end": "07:00Z"}])
def test_quiet_hours_with_an_offset_are_422(api: httpx.Client, quiet: dict):
    response = api.put("/v1/users/q/preferences", json={"quiet_hours": quiet})
    assert response.status_code == 422, response.text
    assert "quiet_hours" in str(response.json()["detail"]) and "time zone" in response.text


@pytest.mark.parametrize("address", ["a@b.c,evil@x.y", "a@b.c;evil@x.y", "Eve <a@b.c>",
                                     "a@b.c\nbcc: evil@x.y", "a@@b.c"])
def test_email_must_be_one_address(api: httpx.Client, address: str):
    response = api.put("/v1/users/mail", json={"email": address})
    assert response.status_code == 422, response.text
    assert "email" in str(response.json()["detail"])


def test_valid_email_still_sends(api: httpx.Client, smtp: SmtpServer):
    profile(api, "plain", email="plain.person+tag@example.test")
    nid = send(api, "plain", "Hello", channels=["email"])["id"]
    assert settled(api, nid, "fallback_sent", "failed")["status"] == "fallback_sent"
