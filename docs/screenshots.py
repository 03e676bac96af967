"""The README's screenshots, taken in Chromium from a real ``herald up``:
``docs/demo-inbox.png`` (the demo inbox after a few sends) and ``docs/flower.png`` (Flower's
task list). ``make docs`` runs this; the PNG files are committed."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import expect, sync_playwright

from tests.support.browser import ARGS, CHROMIUM
from tests.support.system import HeraldUp

DOCS = Path(__file__).resolve().parent
SENDS = [("Welcome to Acme", "Your workspace is ready"),
         ("Invoice INV-204 is ready", "Amount due: €120.00"),
         ("Ada mentioned you", "“Can you review the launch plan?”")]


def _send_all(system: HeraldUp) -> None:
    creds = system.creds()
    for title, body in SENDS:
        answer = httpx.post(f"{system.api_url}/v1/notifications",
                            headers={"X-API-Key": creds["secret_key"]},
                            json={"recipients": [creds["demo_user"]],
                                  "content": {"title": title, "body": body}})
        answer.raise_for_status()
        time.sleep(1.1)  # distinct times in the list


def take(system: HeraldUp) -> None:
    creds = system.creds()
    flower_password = (system.data_dir / "flower.password").read_text().strip()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 900, "height": 560})
        page.goto(creds["demo_url"])
        expect(page.get_by_test_id("state")).to_have_attribute("data-state", "open")
        _send_all(system)
        expect(page.get_by_test_id("item")).to_have_count(len(SENDS))
        page.get_by_test_id("item").last.click()
        expect(page.get_by_test_id("badge")).to_have_text(str(len(SENDS) - 1))
        page.screenshot(path=DOCS / "demo-inbox.png")

        flower = browser.new_page(viewport={"width": 1280, "height": 640},
                                  http_credentials={"username": "herald",
                                                    "password": flower_password})
        flower.goto(f"http://127.0.0.1:{system.ports['FLOWER']}/tasks")
        expect(flower.locator("table#tasks-table tbody tr").first).to_be_visible(timeout=30_000)
        flower.screenshot(path=DOCS / "flower.png")
        browser.close()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        system = HeraldUp(Path(tmp) / ".herald", Path(tmp) / "up.log")
        try:
            take(system.start())
        finally:
            system.stop()
    print(f"wrote {DOCS / 'demo-inbox.png'} and {DOCS / 'flower.png'}")


if __name__ == "__main__":
    main()
