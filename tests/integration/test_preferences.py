"""Readers choose their channels per category, quiet hours and digests; tenants set
defaults and the categories nobody can opt out of."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from email.message import Message
from zoneinfo import ZoneInfo

import httpx

from tests.support.api import send
from tests.support.harness import wait_until
from tests.support.peers import SmtpServer
from tests.support.sockets import token_for
from tests.support.stack import Stack, TenantKeys


def reader(api: httpx.Client, user: str, preferences: dict | None = None, **profile) -> str:
    address = f"{user}-{uuid.uuid4().hex[:6]}@example.test"
    assert api.put(f"/v1/users/{user}", json={"email": address, **profile}).status_code == 200
    if preferences is not None:
        response = api.put(f"/v1/users/{user}/preferences", json=preferences)
        assert response.status_code == 200, response.text
    return address


def finished(api: httpx.Client, nid: str, *statuses: str, timeout: float = 30) -> dict:
    return wait_until(lambda: (s := api.get(f"/v1/notifications/{nid}").json())["status"]
                      in statuses and s, timeout=timeout, what=f"{nid} in {statuses}")


def text_of(mail: Message) -> str:
    return next(p for p in mail.walk() if p.get_content_type() == "text/plain").get_content()


def html_of(mail: Message) -> str:
    return next(p for p in mail.walk() if p.get_content_type() == "text/html").get_content()


def test_email_opt_out_sends_no_email(api: httpx.Client, stack: Stack, smtp: SmtpServer):
    address = reader(api, "optout", {"categories": {"news": {"email": False}}})
    nid = send(api, "optout", "Hello", "body", category="news", channels=["email"])["id"]
    result = finished(api, nid, "failed", "fallback_sent")
    assert result["status"] == "failed" and "opted out" in result["status_reason"]
    # Other categories still email.
    other = send(api, "optout", "Hello", "body", category="billing", channels=["email"])["id"]
    finished(api, other, "fallback_sent")
    assert [m["Message-ID"] for m in smtp.received(address)] == [f"<{other}@herald>"]


def test_required_category_ignores_the_opt_out(api: httpx.Client, stack: Stack,
                                               smtp: SmtpServer):
    defaults = api.put("/v1/preferences/defaults", json={"required_categories": ["security"]})
    assert defaults.status_code == 200
    address = reader(api, "careful", {"categories": {"*": {"email": False}}})
    nid = send(api, "careful", "New sign-in", "body", category="security", channels=["email"])["id"]
    assert finished(api, nid, "fallback_sent", "failed")["status"] == "fallback_sent"
    assert [m["Subject"] for m in smtp.received(address)] == ["New sign-in"]


def test_quiet_hours_defer_email_to_the_end_of_the_window(api: httpx.Client, stack: Stack,
                                                          smtp: SmtpServer):
    tz = ZoneInfo("Asia/Tokyo")
    now = datetime.now(tz)
    # The window must still be open when the fallback's first attempt runs: under the whole
    # suite, the fallback queue (served last) was seen to wait more than 10 s.
    end = (now + timedelta(seconds=30)).replace(microsecond=0)
    quiet = {"start": (now - timedelta(hours=1)).strftime("%H:%M:%S"),
             "end": end.strftime("%H:%M:%S")}
    address = reader(api, "sleeper", {"quiet_hours": quiet}, timezone="Asia/Tokyo")
    nid = send(api, "sleeper", "Hello", "body", category="news", channels=["email"])["id"]
    result = finished(api, nid, "fallback_sent", "failed", timeout=60)
    assert result["status"] == "fallback_sent"
    deferred, sent = result["attempts"][0], result["attempts"][-1]
    assert deferred["outcome"] == "deferred" and "quiet hours until" in deferred["error"]
    assert sent["outcome"] == "sent"
    assert smtp.recorder.received_at[address][0] >= end.timestamp()
    assert len(smtp.received(address)) == 1


def test_digest_gathers_unread_notifications_into_one_email(api: httpx.Client, stack: Stack,
                                                            smtp: SmtpServer):
    address = reader(api, "digester", {"digest": "hourly"}, locale="de")
    ids = [send(api, "digester", f"Update {i}", "body", category="news", channels=["email"])["id"]
           for i in range(3)]
    for nid in ids:
        finished(api, nid, "fallback_sent")
    (digest,) = smtp.received(address)
    assert digest["Subject"] == "Sie haben 3 ungelesene Benachrichtigungen"
    body = text_of(digest)
    assert all(f"Update {i}" in body for i in range(3))
    assert "Ihre Benachrichtigungen" in body


def test_rtl_locale_gets_rtl_email(api: httpx.Client, stack: Stack, smtp: SmtpServer):
    address = reader(api, "arabic", locale="ar")
    nid = send(api, "arabic", "مرحبا", "body", category="news", channels=["email"])["id"]
    finished(api, nid, "fallback_sent")
    (mail,) = smtp.received(address)
    assert 'dir="rtl"' in html_of(mail)


def test_reader_manages_own_preferences_over_rest(stack: Stack, tenant: TenantKeys):
    token = token_for(stack.api_url, tenant.secret_key, "self-service")
    headers = {"Authorization": f"Bearer {token}", "X-API-Key": tenant.publishable_key}
    with httpx.Client(base_url=stack.gateway_url, headers=headers) as gateway:
        wanted = {"categories": {"marketing": {"email": False}},
                  "quiet_hours": {"start": "22:00:00", "end": "07:00:00"}, "digest": "daily"}
        assert gateway.put("/v1/me/preferences", json=wanted).status_code == 200
        assert gateway.get("/v1/me/preferences").json() == wanted
        bad = gateway.put("/v1/me/preferences", json={"digest": "weekly"})
        assert bad.status_code == 422 and "digest" in bad.text
        assert gateway.get("/v1/me/preferences").json() == wanted
