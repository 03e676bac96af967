"""<herald-inbox> in real Chromium: used with the keyboard alone, in the reader's time zone,
and audited with axe-core for WCAG 2.1 A and AA, in both layouts and right to left.

The demo page is the element on a page of its own (``/demo?layout=dropdown`` puts it behind
a bell in the header, as a product's page would)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.support.api import send
from tests.support.browser import chromium_page
from tests.support.harness import wait_until
from tests.support.sockets import token_for
from tests.support.stack import Stack, TenantKeys

AXE = Path(__file__).parents[1] / "js" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def persisted(api: httpx.Client, nid: str) -> bool:
    return api.get(f"/v1/notifications/{nid}").json()["status"] != "accepted"


def open_demo(page: Page, stack: Stack, tenant: TenantKeys, user: str, **query: str) -> None:
    token = token_for(stack.api_url, tenant.secret_key, user)
    extra = "".join(f"&{k}={v}" for k, v in query.items())
    page.goto(f"{stack.gateway_url}/demo?api_key={tenant.publishable_key}&token={token}{extra}")
    expect(page.get_by_test_id("state")).to_have_attribute("data-state", "open")


def item(page: Page, nid: str):
    return page.locator(f'[data-testid="item"][data-id="{nid}"]')


@pytest.fixture
def reader(api: httpx.Client) -> Iterator[tuple[str, list[str]]]:
    """A reader with three notifications, stored."""
    user = f"inbox-{uuid.uuid4().hex[:6]}"
    ids = [send(api, user, title, "from the test")["id"]
           for title in ("Build passed", "Review asked", "Invoice ready")]
    wait_until(lambda: all(persisted(api, nid) for nid in ids), what="stored")
    yield user, ids


def focused(page: Page) -> str:
    """What has the keyboard focus, inside the element's shadow root: its test id, or, for a
    notification, its id."""
    return page.evaluate("""() => {
      const inner = document.querySelector("herald-inbox").shadowRoot.activeElement;
      return inner ? (inner.dataset.id || inner.dataset.testid) : document.activeElement.tagName;
    }""")


def tab_to(page: Page, wanted: str, limit: int = 20) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused(page) == wanted:
            return
    raise AssertionError(f"Tab never reached {wanted}; stopped at {focused(page)}")


def test_keyboard_alone_opens_reads_archives_and_closes(
        stack: Stack, tenant: TenantKeys, api: httpx.Client, reader):
    user, (oldest, middle, newest) = reader
    with chromium_page() as page:
        page.add_init_script("""addEventListener("herald-click", (e) => {
          (window.clicked ||= []).push(e.detail.id); }, true)""")
        open_demo(page, stack, tenant, user, layout="dropdown")
        bell = page.get_by_test_id("bell")
        expect(page.get_by_test_id("badge")).to_have_text("3")
        expect(bell).to_have_attribute("aria-label", "Notifications, 3 unseen")
        expect(page.get_by_test_id("panel")).to_be_hidden()

        tab_to(page, "bell")
        page.keyboard.press("Enter")
        expect(bell).to_have_attribute("aria-expanded", "true")
        expect(page.get_by_test_id("badge")).to_have_text("0")  # opening the bell: all seen
        tab_to(page, newest)  # the newest first
        page.keyboard.press("ArrowDown")
        assert focused(page) == middle
        page.keyboard.press("PageDown")
        assert focused(page) == oldest
        page.keyboard.press("PageUp")
        assert focused(page) == middle
        page.keyboard.press("Enter")
        expect(item(page, middle)).to_have_class("item read")
        wait_until(lambda: api.get(f"/v1/notifications/{middle}").json()["status"] == "read",
                   what="the read stored")
        assert page.evaluate("window.clicked") == [middle]

        tab_to(page, "archive")  # the focused notification's own archive button
        page.keyboard.press("Enter")
        expect(item(page, middle)).to_have_count(0)
        page.keyboard.press("Shift+Tab")
        tab_to(page, "show-archive", limit=30)
        page.keyboard.press("Enter")
        expect(item(page, middle)).to_have_count(1)
        expect(page.get_by_test_id("item")).to_have_count(1)
        expect(page.get_by_test_id("show-archive")).to_have_attribute("aria-selected", "true")

        page.keyboard.press("Escape")
        expect(page.get_by_test_id("panel")).to_be_hidden()
        expect(bell).to_have_attribute("aria-expanded", "false")
        assert focused(page) == "bell"


def test_dates_are_shown_in_the_time_zone_asked_for(
        stack: Stack, tenant: TenantKeys, api: httpx.Client, reader):
    user, ids = reader
    created = datetime.fromisoformat(api.get(f"/v1/notifications/{ids[0]}").json()["created_at"])
    with chromium_page(locale="de", timezone_id="America/New_York") as page:
        open_demo(page, stack, tenant, user, lang="de")
        shown = item(page, ids[0]).get_by_test_id("date")
        expect(shown).to_contain_text(created.astimezone(ZoneInfo("America/New_York"))
                                      .strftime("%H:%M"))
        page.evaluate("document.querySelector('herald-inbox')"
                      ".setAttribute('time-zone', 'Asia/Tokyo')")
        expect(shown).to_contain_text(created.astimezone(ZoneInfo("Asia/Tokyo"))
                                      .strftime("%d.%m.%Y, %H:%M"))
        expect(page.get_by_test_id("read-all")).to_have_text("Alle als gelesen markieren")


def axe_violations(page: Page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("""async (tags) => {
      const result = await axe.run(document, { runOnly: { type: "tag", values: tags } });
      return result.violations.map((v) => ({ id: v.id, help: v.help,
        nodes: v.nodes.map((n) => n.target.join(" > ")) }));
    }""", WCAG_21_AA)
    return found


@pytest.mark.parametrize(("layout", "lang"), [("dropdown", "en"), ("page", "ar")])
def test_axe_finds_no_wcag_21_aa_violation(stack: Stack, tenant: TenantKeys,
                                           api: httpx.Client, reader, layout: str, lang: str):
    """With notifications read and unread, the panel open, and the archive tab."""
    user, (oldest, middle, _newest) = reader
    with chromium_page(locale=lang, bypass_csp=True) as page:
        open_demo(page, stack, tenant, user, layout=layout, lang=lang)
        if layout == "dropdown":
            page.get_by_test_id("bell").click()
        expect(page.get_by_test_id("item")).to_have_count(3)
        item(page, middle).click()
        expect(item(page, middle)).to_have_class("item read")
        assert axe_violations(page) == []

        item(page, oldest).get_by_test_id("archive").click()
        page.get_by_test_id("show-archive").click()
        expect(item(page, oldest)).to_have_count(1)
        assert axe_violations(page) == []
        if lang == "ar":
            expect(page.get_by_test_id("read-all")).to_have_text("تعليم الكل كمقروء")
            assert page.evaluate("getComputedStyle(document.querySelector('herald-inbox'))"
                                 ".direction") == "rtl"
