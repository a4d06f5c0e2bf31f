"""Browser fixtures: one headless Debian Chromium per test session, a fresh page per test.

Playwright's sync API runs an asyncio event loop in this thread, and Django refuses ORM calls from a thread with a
running loop unless told otherwise; the test thread only sets up data, so allowing it is safe here.
"""
import os
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path(os.environ.get("READOUT_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
STATIC_VENDOR = Path(__file__).resolve().parents[2] / "static" / "vendor" / "chart.umd.min.js"
SCREENSHOTS = os.environ.get("READOUT_SCREENSHOTS")  # a folder: save screenshots there while developing


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"browser test: {CHROMIUM} is missing (apt-get install -y chromium)")
    if not STATIC_VENDOR.exists():
        pytest.skip("static/vendor is missing: run `node scripts/vendor.js` (make test does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    yield page
    context.close()


@pytest.fixture
def screenshot():
    """screenshot(page, name): save a full-page PNG to $READOUT_SCREENSHOTS when it is set, else do nothing."""

    def take(page, name: str) -> None:
        if SCREENSHOTS:
            Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)

    return take
