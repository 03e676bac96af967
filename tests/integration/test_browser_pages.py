"""The pages a new user opens first, in real Chromium: the API docs with no internet, the demo
inbox right-to-left and in Japanese (with glyphs that really render), and herald.js used from
a page on another origin (CORS)."""

from __future__ import annotations

import functools
import http.server
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.support.api import send
from tests.support.browser import chromium_page, local_only
from tests.support.harness import free_port, wait_until
from tests.support.sockets import token_for
from tests.support.stack import Stack, TenantKeys

# Draws ``text`` and as many private-use characters (which no font has: tofu boxes) into a
# canvas; the pixels differ only if a font really has the glyphs.
GLYPHS_RENDER = """(text) => {
  const draw = (s) => {
    const c = document.createElement("canvas"); c.width = 200; c.height = 60;
    const ctx = c.getContext("2d"); ctx.font = "32px sans-serif"; ctx.fillText(s, 4, 44);
    return ctx.getImageData(0, 0, 200, 60).data.join(",");
  };
  return draw(text) !== draw("\\uE000".repeat([...text].length));
}"""


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
@pytest.mark.parametrize("app", ["api", "gateway"])
def test_the_docs_render_with_no_internet(stack: Stack, app: str, path: str):
    base = stack.api_url if app == "api" else stack.gateway_url
    title = "Herald service API" if app == "api" else "Herald gateway"
    with chromium_page() as page:
        refused = local_only(page)
        page.goto(base + path)
        if path == "/docs":
            expect(page.locator(".opblock").first).to_be_visible(timeout=20_000)
        else:
            expect(page.locator("h1").filter(has_text=title)).to_be_visible(timeout=20_000)
        expect(page.get_by_text("/v1/").first).to_be_attached()
        # What was refused is decoration (ReDoc's web font and its "powered by" logo).
        assert all("fonts." in url or "redoc/logo" in url for url in refused), refused


@pytest.mark.parametrize(("lang", "title", "body", "rtl"), [
    ("ar", "Invoice INV-204 is ready", "لديك ٥ رسائل جديدة", True),
    ("ja", "請求書 INV-204 の準備ができました", "新しいメッセージが5件あります", False),
])
def test_the_demo_inbox_reads_right_in_arabic_and_japanese(
        stack: Stack, tenant: TenantKeys, api: httpx.Client, tmp_path: Path,
        lang: str, title: str, body: str, rtl: bool):
    user = f"lang-{uuid.uuid4().hex[:6]}"
    token = token_for(stack.api_url, tenant.secret_key, user)
    with chromium_page(locale=lang) as page:
        page.goto(f"{stack.gateway_url}/demo?lang={lang}&api_key={tenant.publishable_key}"
                  f"&token={token}")
        expect(page.get_by_test_id("state")).to_have_attribute("data-state", "open")
        send(api, user, title, body)
        item = page.get_by_test_id("item")
        expect(item).to_have_count(1)
        page.screenshot(path=tmp_path / f"demo-{lang}.png", full_page=True)
        # The unread marker stands where lines start: the right in Arabic, the left otherwise.
        border = item.evaluate("el => [getComputedStyle(el).borderRightWidth, "
                               "getComputedStyle(el).borderLeftWidth]")
        assert border == (["4px", "1px"] if rtl else ["1px", "4px"])
        # The title keeps its own direction, and the date is isolated from the body's text.
        assert item.get_by_test_id("title").evaluate("el => el.dir") == "auto"
        assert item.get_by_test_id("date").evaluate("el => el.tagName") == "BDI"
        assert page.evaluate(GLYPHS_RENDER, title.split()[0] if not rtl else body.split()[0])
        assert page.evaluate(GLYPHS_RENDER, page.get_by_test_id("read-all").inner_text())


def test_the_demo_says_the_inbox_is_empty_only_once_it_knows(stack: Stack, tenant: TenantKeys,
                                                              api: httpx.Client):
    """Not "No notifications yet" beside a badge of 1 while the list loads: the words start
    hidden, and show for a reader with nothing, after the inbox came."""
    has_one, has_none = (f"{w}-{uuid.uuid4().hex[:6]}" for w in ("one", "none"))
    send(api, has_one, "waiting for you")
    for user, shown in ((has_one, False), (has_none, True)):
        token = token_for(stack.api_url, tenant.secret_key, user)
        with chromium_page() as page:
            page.goto(f"{stack.gateway_url}/demo?api_key={tenant.publishable_key}"
                      f"&token={token}")
            expect(page.get_by_test_id("state")).to_have_attribute("data-state", "open")
            if shown:
                expect(page.get_by_test_id("empty")).to_be_visible()
            else:
                expect(page.get_by_test_id("item")).to_have_count(1)
                expect(page.get_by_test_id("empty")).to_be_hidden()


def test_the_demo_page_has_a_favicon(stack: Stack):
    for path in ("/favicon.ico", "/static/favicon.svg"):
        icon = httpx.get(stack.gateway_url + path)
        assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg")


def test_the_demo_page_cannot_be_framed_and_runs_only_its_own_script(stack: Stack):
    page = httpx.get(f"{stack.gateway_url}/demo")
    assert page.headers["x-frame-options"] == "DENY"
    policy = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "default-src 'none'" in policy
    nonce = policy.split("'nonce-")[1].split("'")[0]
    assert f'<script type="module" nonce="{nonce}">' in page.text
    assert httpx.get(f"{stack.gateway_url}/demo").headers[
        "content-security-policy"] != policy  # a nonce per answer


CROSS_ORIGIN_PAGE = """<!doctype html><meta charset="utf-8"><title>My product</title>
<script type="module">
  const params = new URLSearchParams(location.search);
  const gateway = params.get("gateway");
  const { Herald } = await import(`${gateway}/static/herald.js`);
  const herald = new Herald({ url: gateway, apiKey: params.get("pk"),
                              token: params.get("token"), storage: null });
  herald.addEventListener("inbox", (e) => { window.titles = e.detail.map((n) => n.title); });
  herald.connect();
  const headers = { Authorization: `Bearer ${params.get("token")}`, "X-API-Key": params.get("pk") };
  fetch(`${gateway}/v1/me/unread-count`, { headers })
    .then((r) => r.json()).then((j) => { window.unread = j.count; },
                                 () => { window.unread = "refused by CORS"; });
</script>"""


@pytest.fixture
def product_site(tmp_path: Path) -> Iterator[str]:
    """A product's own page, served from another origin than the gateway's."""
    (tmp_path / "index.html").write_text(CROSS_ORIGIN_PAGE)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _open_product_page(page: Page, site: str, stack: Stack, tenant: TenantKeys, user: str
                       ) -> None:
    token = token_for(stack.api_url, tenant.secret_key, user)
    page.goto(f"{site}/index.html?gateway={stack.gateway_url}&pk={tenant.publishable_key}"
              f"&token={token}")
    page.wait_for_function("window.unread !== undefined", timeout=20_000)


def test_herald_js_on_a_page_of_another_origin(stack: Stack, tenant: TenantKeys,
                                                api: httpx.Client, product_site: str):
    user = f"site-{uuid.uuid4().hex[:6]}"
    send(api, user, "Sent before the page opened")
    with chromium_page() as page:
        _open_product_page(page, product_site, stack, tenant, user)
        assert page.evaluate("window.unread") == "refused by CORS"

    assert api.put("/v1/tenant/allowed-origins",
                   json={"origins": [product_site]}).status_code == 200
    preflight = {"Origin": product_site, "Access-Control-Request-Method": "GET"}
    wait_until(lambda: httpx.options(f"{stack.gateway_url}/v1/me/unread-count",
                                     headers=preflight).status_code == 204,
               timeout=40, what="the gateway to learn of the tenant's origin")
    with chromium_page() as page:
        _open_product_page(page, product_site, stack, tenant, user)
        assert page.evaluate("window.unread") == 1
        page.wait_for_function("window.titles !== undefined", timeout=20_000)
        assert page.evaluate("window.titles") == ["Sent before the page opened"]
