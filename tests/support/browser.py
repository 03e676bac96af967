"""Real Chromium (Debian's package) driven by playwright, for the pages Herald serves."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Page, Route, sync_playwright

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]


@contextmanager
def chromium_page(locale: str | None = None, **options: Any) -> Iterator[Page]:
    """A page of a fresh Chromium; ``options`` go to playwright's ``new_page`` (timezone_id,
    bypass_csp for a test that injects a script of its own, ...)."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield browser.new_page(**({"locale": locale} if locale else {}), **options)
        finally:
            browser.close()


def local_only(page: Page) -> list[str]:
    """Every request to a host other than this machine fails, as with no internet; the list
    fills with the URLs that were refused."""
    refused: list[str] = []

    def route(r: Route) -> None:
        if urlsplit(r.request.url).hostname in ("127.0.0.1", "localhost"):
            r.continue_()
        else:
            refused.append(r.request.url)
            r.abort("internetdisconnected")

    page.route("**/*", route)
    return refused
