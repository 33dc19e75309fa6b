"""The e2e harness: the system Chromium driven by Playwright's sync API against pytest-django's live server.

Nothing is downloaded: the browser is /usr/bin/chromium (never `playwright install`). Without it,
or without the playwright package, the tests skip locally and fail in CI (REQUIRE_SERVICES=1).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import require_service

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]
VIEWPORT = {"width": 1440, "height": 900}
TIMEOUT_MS = 15_000


@pytest.fixture(scope="package")
def browser() -> Iterator:
    """One headless Chromium for all e2e tests.

    Package scope rather than session scope: while Playwright's sync API is started, its event
    loop counts as running in this thread, which would break every later non-e2e test in the
    session (Django's async-unsafe guard, `asyncio.run`, `async_to_sync`). Tearing it down after
    the last e2e test keeps the rest of the run untouched; the package's tests still share it.
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - depends on the environment
        sync_playwright = None
    require_service(
        "chromium",
        CHROMIUM.exists() and sync_playwright is not None,
        f"needs {CHROMIUM} and the playwright package (pip install playwright; never `playwright install`)",
    )
    # The running Playwright loop makes Django refuse ORM calls from this thread (fixtures, test
    # bodies) with SynchronousOnlyOperation; they are ordinary sync calls, so allow them, but only
    # while the browser lives.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@dataclass
class Web:
    """One browser tab on the live server, with the page's console errors collected."""

    page: object  # playwright.sync_api.Page (not imported at module level: playwright may be missing)
    base_url: str
    screenshots: Path
    errors: list[str] = field(default_factory=list)

    def open(self, path: str):
        """Go to `path` and wait for the page to settle; the answer must be a 2xx."""
        response = self.page.goto(self.base_url + path, wait_until="networkidle")
        assert response is not None and response.ok, f"GET {path}: {response and response.status}"
        return response

    def login(self, email: str, password: str) -> None:
        """Log in through the real /accounts/login/ form, as a person would."""
        self.page.context.clear_cookies()
        self.open("/accounts/login/")
        self.page.fill('input[name="username"]', email)
        self.page.fill('input[name="password"]', password)
        with self.page.expect_navigation(wait_until="networkidle"):
            self.page.click('form:has(input[name="password"]) [type="submit"]')
        assert "/accounts/login/" not in self.page.url, f"login as {email} failed: still on {self.page.url}"

    def screenshot(self, name: str) -> Path:
        path = self.screenshots / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def assert_no_console_errors(self, where: str) -> None:
        errors, self.errors[:] = list(self.errors), []
        assert not errors, f"{where}: browser console errors: {errors}"


@pytest.fixture
def web(browser, live_server, transactional_db, artifacts_dir) -> Iterator[Web]:
    """A fresh browser context (no cookies) on the live server; screenshots go to artifacts/screenshots."""
    # localhost and 127.0.0.1 are secure contexts, so getUserMedia works over plain HTTP.
    assert live_server.url.startswith(("http://localhost:", "http://127.0.0.1:")), live_server.url
    screenshots = artifacts_dir / "screenshots"
    screenshots.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport=VIEWPORT, locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    web = Web(page=page, base_url=live_server.url, screenshots=screenshots)
    page.on(
        "console",
        lambda message: (
            message.type == "error" and web.errors.append(f"{message.text} ({message.location.get('url')})")
        ),
    )
    page.on("pageerror", lambda error: web.errors.append(f"uncaught: {error}"))
    try:
        yield web
    finally:
        context.close()
