"""Web Push: a reader whose tab is closed gets the browser's own notification, between the
in-app retries and email, once, in their language, encrypted for their browser and signed
with the tenant's VAPID key; never after it was read, never in quiet hours or against an
opt-out; a subscription its push service says is gone is forgotten."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import BrowserContext, CDPSession, Page, sync_playwright

from tests.support.api import send
from tests.support.browser import ARGS, CHROMIUM
from tests.support.harness import REPO, wait_until
from tests.support.peers import SmtpServer
from tests.support.push_service import Certificate, PushService
from tests.support.sockets import token_for
from tests.support.stack import Stack, TenantKeys


@pytest.fixture
def push_service(push_tls: Certificate) -> Iterator[PushService]:
    service = PushService(push_tls)
    yield service
    service.close()


class Reader:
    """A reader away from the product, with an email address and browsers that subscribed."""

    def __init__(self, stack: Stack, tenant: TenantKeys, api: httpx.Client, name: str,
                 **profile: Any) -> None:
        self.name = name
        self.email = f"{name}-{uuid.uuid4().hex[:6]}@example.test"
        assert api.put(f"/v1/users/{name}", json={"email": self.email, **profile}
                       ).status_code == 200
        self.me = httpx.Client(base_url=f"{stack.gateway_url}/v1/me", headers={
            "Authorization": f"Bearer {token_for(stack.api_url, tenant.secret_key, name)}",
            "X-API-Key": tenant.publishable_key}, timeout=30)
        self.public_key = self.me.get("/push-subscriptions").json()["public_key"]

    def subscribe(self, push_service: PushService, device: str) -> None:
        answer = self.me.post("/push-subscriptions",
                              json=push_service.device(device).subscription())
        assert answer.status_code == 201, answer.text


def attempts(api: httpx.Client, nid: str) -> list[tuple[str, str]]:
    return [(a["channel"], a["outcome"]) for a in api.get(f"/v1/notifications/{nid}").json()
            ["attempts"]]


def chain_over(api: httpx.Client, nid: str, timeout: float = 60) -> dict[str, Any]:
    """The notification once its last channel had its say."""
    def over() -> dict[str, Any] | None:
        found = api.get(f"/v1/notifications/{nid}").json()
        last = found["attempts"][-1] if found["attempts"] else {}
        return found if last.get("channel") == "email" and last.get("outcome") in (
            "sent", "skipped", "failed") else None
    return wait_until(over, timeout, f"{nid}'s chain to reach email")  # type: ignore[return-value]


def test_a_reader_away_gets_one_push_before_any_email(
    api: httpx.Client, stack: Stack, tenant: TenantKeys, push_service: PushService,
    smtp: SmtpServer
):
    reader = Reader(stack, tenant, api, "away", locale="de")
    reader.subscribe(push_service, "laptop")
    reader.subscribe(push_service, "phone")
    nid = send(api, "away", "Bericht fertig", "Ihr Bericht ist fertig",
               data={"url": "https://app.example.test/reports/7"}, priority="high")["id"]
    chain_over(api, nid)
    outcomes = attempts(api, nid)
    assert outcomes[-2:] == [("web_push", "sent"), ("email", "sent")], outcomes
    assert {c for c, _ in outcomes[:-2]} == {"in_app"}
    for device in ("laptop", "phone"):  # once on each of the reader's browsers
        (shown,) = push_service.received(device, reader.public_key)
        assert shown == {"id": nid, "title": "Bericht fertig", "body": "Ihr Bericht ist fertig",
                         "url": "https://app.example.test/reports/7", "urgency": "high",
                         "ttl": "86400"}
    (mail,) = smtp.received(reader.email)
    pushed_at = max(p.at for p in push_service.pushes)
    assert smtp.recorder.received_at[reader.email][0] >= pushed_at


def test_a_notification_read_in_a_tab_is_never_pushed(
    api: httpx.Client, stack: Stack, tenant: TenantKeys, push_service: PushService
):
    reader = Reader(stack, tenant, api, "reads-first")
    reader.subscribe(push_service, "laptop")
    nid = send(api, "reads-first", "Read me", "now")["id"]
    wait_until(lambda: reader.me.post(f"/notifications/{nid}/read").status_code == 200,
               what="the notification stored, and read")
    wait_until(lambda: api.get(f"/v1/notifications/{nid}").json()["status"] == "read" and
               not _delivery_waiting(nid), what="its chain to end with the read")
    assert "web_push" not in {c for c, _ in attempts(api, nid)}
    assert push_service.received("laptop", reader.public_key) == []


def test_a_gone_subscription_is_forgotten_and_email_follows(
    api: httpx.Client, stack: Stack, tenant: TenantKeys, push_service: PushService,
    smtp: SmtpServer
):
    reader = Reader(stack, tenant, api, "reset-browser")
    reader.subscribe(push_service, "old")
    push_service.answers["old"] = 410
    nid = send(api, "reset-browser", "Hello", "again")["id"]
    chain_over(api, nid)
    assert attempts(api, nid)[-2:] == [("web_push", "skipped"), ("email", "sent")]
    assert reader.me.get("/push-subscriptions").json()["subscriptions"] == []
    assert len(push_service.received("old", reader.public_key)) == 1


def test_quiet_hours_defer_the_push(
    api: httpx.Client, stack: Stack, tenant: TenantKeys, push_service: PushService
):
    tz = ZoneInfo("Asia/Tokyo")
    now = datetime.now(tz)
    end = (now + timedelta(seconds=15)).replace(microsecond=0)
    reader = Reader(stack, tenant, api, "sleeping", timezone="Asia/Tokyo")
    assert api.put("/v1/users/sleeping/preferences", json={"quiet_hours": {
        "start": (now - timedelta(hours=1)).strftime("%H:%M:%S"),
        "end": end.strftime("%H:%M:%S")}}).status_code == 200
    reader.subscribe(push_service, "laptop")
    nid = send(api, "sleeping", "Good morning", "")["id"]
    wait_until(lambda: ("web_push", "deferred") in attempts(api, nid), 60,
               "the push deferred by quiet hours")
    wait_until(lambda: ("web_push", "sent") in attempts(api, nid), 60, "the push after them")
    (push,) = [p for p in push_service.pushes if p.device == "laptop"]
    assert push.at >= end.timestamp()


def test_an_opted_out_category_is_never_pushed(
    api: httpx.Client, stack: Stack, tenant: TenantKeys, push_service: PushService,
    smtp: SmtpServer
):
    reader = Reader(stack, tenant, api, "no-push-news")
    assert api.put("/v1/users/no-push-news/preferences", json={
        "categories": {"news": {"web_push": False}}}).status_code == 200
    reader.subscribe(push_service, "laptop")
    news = send(api, "no-push-news", "News", "", category="news")["id"]
    chain_over(api, news)
    assert [c for c, _ in attempts(api, news) if c != "in_app"] == ["email"]
    assert push_service.received("laptop", reader.public_key) == []


def test_a_reader_on_a_digest_is_not_pushed_each_one(
    api: httpx.Client, stack: Stack, tenant: TenantKeys, push_service: PushService
):
    reader = Reader(stack, tenant, api, "digest-reader")
    assert api.put("/v1/users/digest-reader/preferences", json={"digest": "hourly"}
                   ).status_code == 200
    reader.subscribe(push_service, "laptop")
    nid = send(api, "digest-reader", "Weekly numbers", "")["id"]
    wait_until(lambda: ("email", "digest") in attempts(api, nid), 60, "the digest's turn")
    assert ("web_push", "skipped") in attempts(api, nid)
    assert push_service.received("laptop", reader.public_key) == []


def test_a_subscription_must_be_https_and_public_and_well_formed(
    api: httpx.Client, stack: Stack, tenant: TenantKeys, push_service: PushService
):
    reader = Reader(stack, tenant, api, "hostile-browser")
    good = push_service.device("x").subscription()
    for endpoint in ("http://push.example.test/x", "https://10.0.0.1/x",
                     "https://localhost/x", "ftp://push.example.test/x"):
        answer = reader.me.post("/push-subscriptions", json={**good, "endpoint": endpoint})
        assert answer.status_code == 422 and "endpoint" in answer.text, (endpoint, answer.text)
    short = {**good, "keys": {**good["keys"], "auth": "AAAA"}}
    answer = reader.me.post("/push-subscriptions", json=short)
    assert answer.status_code == 422 and "auth: 16 bytes expected" in answer.text
    assert reader.me.get("/push-subscriptions").json()["subscriptions"] == []
    assert reader.me.post("/push-subscriptions", json=good).status_code == 201
    assert reader.me.delete("/push-subscriptions",
                            params={"endpoint": good["endpoint"]}).json() == {"removed": 1}


def test_the_cli_shows_the_key_browsers_subscribe_with_and_sets_the_default_url(
    api: httpx.Client, stack: Stack, tenant: TenantKeys, base_env: dict[str, str],
    push_service: PushService
):
    shown = subprocess.run([sys.executable, "-m", "backend.cli", "tenant", "vapid",
                            tenant.tenant_id, "--default-url", "https://app.example.test/inbox"],
                           cwd=REPO, env=base_env, capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0, shown.stderr
    reader = Reader(stack, tenant, api, "cli-reader")
    assert f"public key   {reader.public_key}" in shown.stdout
    assert "PRIVATE" not in shown.stdout and "BEGIN" not in shown.stdout
    reader.subscribe(push_service, "laptop")
    nid = send(api, "cli-reader", "No url of its own", "")["id"]
    wait_until(lambda: push_service.received("laptop", reader.public_key), 60, "the push")
    (pushed,) = push_service.received("laptop", reader.public_key)
    assert (pushed["id"], pushed["url"]) == (nid, "https://app.example.test/inbox")


def _delivery_waiting(nid: str) -> bool:
    from backend.db.models import Delivery
    from tests.support.db import session_scope

    with session_scope() as session:
        return session.get(Delivery, uuid.UUID(nid)) is not None


def test_in_chromium_a_subscribed_browser_shows_the_push_until_it_is_read(
    api: httpx.Client, stack: Stack, tenant: TenantKeys, push_service: PushService
):
    """herald.js ``subscribePush()`` registers the gateway's service worker and stores the
    browser's subscription; the push the worker sends is shown by that service worker (as
    the browser's own notification, tagged with its id) and closed once read in a tab.

    Headless Chromium refuses a push registration ("permission denied"), and its push
    service is out of reach here: its ``PushManager`` answers with the subscription of the
    test's device, and the test hands the push it received to the service worker through
    the DevTools protocol, as Chromium's push service would."""
    reader = Reader(stack, tenant, api, "chromium-reader")
    device = push_service.device("chromium")
    token = token_for(stack.api_url, tenant.secret_key, "chromium-reader")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            context = browser.new_context(bypass_csp=True)
            context.grant_permissions(["notifications"], origin=stack.gateway_url)
            context.add_init_script(f"""
                PushManager.prototype.getSubscription = async () => null;
                PushManager.prototype.subscribe = async function (options) {{
                  window.subscribedWith = options;
                  const json = {json.dumps(device.subscription())};
                  return {{ endpoint: json.endpoint, toJSON: () => json }};
                }};""")
            page = context.new_page()
            devtools, workers = _worker_registrations(context, page)
            page.goto(f"{stack.gateway_url}/demo")  # same origin as the service worker
            page.evaluate("""async ([apiKey, token]) => {
                const { Herald } = await import("/static/herald.js");
                window.herald = new Herald({ url: location.origin, apiKey, token });
                await window.herald.subscribePush();
            }""", [tenant.publishable_key, token])
            stored = reader.me.get("/push-subscriptions").json()["subscriptions"]
            assert [s["endpoint"] for s in stored] == [device.endpoint]
            assert page.evaluate("window.subscribedWith.applicationServerKey") == \
                reader.public_key
            assert page.evaluate("window.subscribedWith.userVisibleOnly") is True

            nid = send(api, "chromium-reader", "Deploy finished", "All green")["id"]
            wait_until(lambda: push_service.received("chromium", reader.public_key), 60,
                       "the push at the browser's push service")
            (pushed,) = push_service.received("chromium", reader.public_key)
            devtools.send("ServiceWorker.deliverPushMessage", {
                "origin": stack.gateway_url, "registrationId": workers[-1],
                "data": json.dumps({k: pushed[k] for k in ("id", "title", "body", "url")})})
            shown = page.wait_for_function("""async () => {
                const reg = await navigator.serviceWorker.getRegistration("/static/");
                const found = await reg.getNotifications();
                return found.length && found.map((n) => [n.title, n.body, n.tag]);
            }""").json_value()
            assert shown == [["Deploy finished", "All green", nid]]

            page.evaluate("window.herald.connect()")  # a tab opens, and the reader reads it
            wait_until(lambda: reader.me.post(f"/notifications/{nid}/read").status_code == 200)
            page.wait_for_function("""async () => {
                const reg = await navigator.serviceWorker.getRegistration("/static/");
                return (await reg.getNotifications()).length === 0;
            }""")
        finally:
            browser.close()


def _worker_registrations(context: BrowserContext, page: Page) -> tuple[CDPSession, list[str]]:
    """A DevTools session on the page, and its origin's service worker registrations as
    they appear."""
    found: list[str] = []
    cdp = context.new_cdp_session(page)
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda event: found.extend(
        r["registrationId"] for r in event["registrations"] if not r["isDeleted"]))
    cdp.send("ServiceWorker.enable")
    return cdp, found
