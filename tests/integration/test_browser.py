"""The demo inbox in real Chromium (Debian's), driven by playwright: badge, live list,
click to read, and recovery after the gateway restarts."""

from __future__ import annotations

import uuid

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.support.api import send
from tests.support.browser import chromium_page
from tests.support.harness import free_port, wait_until
from tests.support.sockets import token_for
from tests.support.stack import Stack, StartPart, TenantKeys


@pytest.fixture
def page():
    with chromium_page() as opened:
        yield opened


def persisted(api: httpx.Client, nid: str) -> bool:
    return api.get(f"/v1/notifications/{nid}").json()["status"] != "accepted"


def test_demo_inbox_live_read_and_gateway_restart(
    page: Page, stack: Stack, start_part: StartPart, tenant: TenantKeys, api: httpx.Client
):
    user = f"browser-{uuid.uuid4().hex[:6]}"
    first, second = (send(api, user, title, "from the test")["id"]
                     for title in ("Welcome", "Your invoice"))
    wait_until(lambda: persisted(api, first) and persisted(api, second), what="persisted")

    port = free_port()
    node = start_part("gateway", name="gateway-browser", gateway_port=str(port))
    token = token_for(stack.api_url, tenant.secret_key, user)
    page.goto(f"http://127.0.0.1:{port}/demo?api_key={tenant.publishable_key}&token={token}")
    expect(page.get_by_test_id("state")).to_have_attribute("data-state", "open")
    expect(page.get_by_test_id("badge")).to_have_text("2")
    expect(page.get_by_test_id("item")).to_have_count(2)

    live = send(api, user, "Live one", "from the test")["id"]
    item = page.locator(f'[data-testid="item"][data-id="{live}"]')
    expect(item).to_contain_text("Live one")
    expect(page.get_by_test_id("badge")).to_have_text("3")

    item.click()
    expect(page.get_by_test_id("badge")).to_have_text("2")
    expect(item).to_have_class("item read")

    node.stop()
    expect(page.get_by_test_id("state")).to_have_attribute("data-state", "reconnecting")
    meanwhile = send(api, user, "Sent while the gateway was down", "from the test")["id"]
    wait_until(lambda: persisted(api, meanwhile), what="the missed one to be stored")
    start_part("gateway", name="gateway-browser-again", gateway_port=str(port))
    expect(page.get_by_test_id("state")).to_have_attribute("data-state", "open",
                                                        timeout=30_000)
    expect(page.locator(f'[data-testid="item"][data-id="{meanwhile}"]')).to_have_count(1)
    ids = page.get_by_test_id("item").evaluate_all("els => els.map(e => e.dataset.id)")
    assert sorted(ids) == sorted([first, second, live, meanwhile])  # all, none twice
    expect(page.get_by_test_id("badge")).to_have_text("3")

    page.get_by_test_id("read-all").click()
    expect(page.get_by_test_id("badge")).to_have_text("0")
    assert api.get(f"/v1/notifications/{meanwhile}").json()["status"] == "read"


@pytest.mark.parametrize(("query", "header", "tag", "direction"), [
    ("?lang=de", None, "de", "ltr"),
    ("", "ja,en;q=0.5", "ja", "ltr"),
    ("?lang=ar", None, "ar", "rtl"),
    ("", "pt-BR,pt;q=0.9", "pt-BR", "ltr"),
    ("", "xx", "en", "ltr"),
])
def test_demo_page_speaks_the_visitors_language(stack: Stack, query, header, tag, direction):
    """The page says which language it is in; <herald-inbox> takes it from there."""
    headers = {"Accept-Language": header} if header else {}
    page = httpx.get(f"{stack.gateway_url}/demo{query}", headers=headers)
    assert page.status_code == 200
    assert f'<html lang="{tag}" dir="{direction}">' in page.text


@pytest.mark.parametrize(("lang", "text"), [
    ("de", "Alle als gelesen markieren"), ("ja", "すべて既読にする"),
    ("pt-BR", "Marcar tudo como lido"), ("fr-CA", "Tout marquer comme lu"),
    ("es", "Marcar todo como leído"), ("ar", "تعليم الكل كمقروء"), ("xx", "Mark all read"),
])
def test_the_inbox_element_speaks_the_pages_language(page: Page, stack: Stack, lang, text):
    page.goto(f"{stack.gateway_url}/demo?lang=en")
    page.evaluate("(lang) => document.querySelector('herald-inbox').setAttribute('lang', lang)",
                  lang)
    expect(page.get_by_test_id("read-all")).to_have_text(text)


def test_a_burst_of_300_keeps_the_socket_open(page: Page, stack: Stack, tenant: TenantKeys,
                                              api: httpx.Client):
    """herald.js acknowledges a burst in a few frames: the gateway's frame limit (20 a second)
    never closes a reader who receives 300 notifications at once."""
    user = f"burst-{uuid.uuid4().hex[:6]}"
    sockets: list[object] = []
    page.on("websocket", lambda ws: sockets.append(ws))
    token = token_for(stack.api_url, tenant.secret_key, user)
    page.goto(f"{stack.gateway_url}/demo?api_key={tenant.publishable_key}&token={token}")
    expect(page.get_by_test_id("state")).to_have_attribute("data-state", "open")
    for start in range(0, 300, 100):
        response = api.post("/v1/notifications/batch", json={"items": [
            {"recipients": [user], "content": {"title": f"burst {i}"}}
            for i in range(start, start + 100)]})
        assert response.status_code == 202
    wait_until(lambda: page.evaluate("window.herald.seq") == 300, timeout=60,
               what="all 300 notifications in the browser")
    assert page.evaluate("window.herald.state") == "open"
    assert len(sockets) == 1, "the socket was closed and reopened during the burst"


def test_demo_inbox_follows_edits_retractions_and_states_on_two_tabs(
    page: Page, stack: Stack, tenant: TenantKeys, api: httpx.Client
):
    """The badge counts unseen and the bell clears it on every tab; an edit, a retraction, an
    archive and a snooze show on the other tab; the snoozed one comes back by itself."""
    user = f"tabs-{uuid.uuid4().hex[:6]}"
    first, second = (send(api, user, title)["id"] for title in ("Draft ready", "Review asked"))
    wait_until(lambda: persisted(api, first) and persisted(api, second), what="persisted")
    token = token_for(stack.api_url, tenant.secret_key, user)
    url = f"{stack.gateway_url}/demo?api_key={tenant.publishable_key}&token={token}"
    other = page.context.browser.new_page()
    for tab in (page, other):
        tab.goto(url)
        expect(tab.get_by_test_id("badge")).to_have_text("2")

    def item(tab: Page, nid: str):
        return tab.locator(f'[data-testid="item"][data-id="{nid}"]')

    page.get_by_test_id("bell").click()
    expect(other.get_by_test_id("badge")).to_have_text("0")

    api.patch(f"/v1/notifications/{first}", json={"content": {"title": "Draft approved"}})
    expect(item(other, first)).to_contain_text("Draft approved")
    api.delete(f"/v1/notifications/{second}")
    expect(item(other, second)).to_have_count(0)
    expect(item(page, second)).to_have_count(0)

    third = send(api, user, "Meeting moved")["id"]
    expect(other.get_by_test_id("badge")).to_have_text("1")
    item(page, third).get_by_test_id("archive").click()
    expect(item(other, third)).to_have_count(0)
    other.get_by_test_id("show-archive").click()
    expect(item(other, third)).to_contain_text("Meeting moved")
    other.get_by_test_id("show-inbox").click()

    item(page, first).get_by_test_id("snooze").select_option(label="in 10 seconds")
    expect(item(other, first)).to_have_count(0)
    expect(item(other, first)).to_have_count(1, timeout=30_000)
    expect(item(other, first)).to_have_class("item unread")
