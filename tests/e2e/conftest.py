"""The e2e harness: the system Chromium driven by Playwright's sync API against pytest-django's live server.

Nothing is downloaded: the browser is /usr/bin/chromium (never `playwright install`). Without it,
or without the playwright package, the tests skip locally and fail in CI (REQUIRE_SERVICES=1).
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Callable, Iterator
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
# HeadlessChrome is not a supported browser (settings.SUPPORTED_BROWSERS); a person's Chrome is.
CHROME_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"
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


# --- An ASGI live server (pytest-django's live_server is WSGI: it has no WebSockets) ---------------


class AsgiLiveServer:
    """daphne (the production server) serving consoleproj.asgi (HTTP, static files, /ws/) from a thread
    of the test process, so it shares the test database and the channel layer (in-memory, or Redis
    when REDIS_URL is set).

    Twisted's reactor can run only once per process: the first server starts it in a daemon thread
    and it lives until the process exits. Each test still gets a clean database.
    """

    _instance: AsgiLiveServer | None = None

    def __init__(self) -> None:
        from daphne.server import Server
        from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
        from twisted.internet import reactor

        from consoleproj.asgi import application

        self.reactor = reactor
        self.server = Server(
            application=ASGIStaticFilesHandler(application),
            endpoints=["tcp:port=0:interface=127.0.0.1"],
            signal_handlers=False,
            verbosity=0,
        )
        if reactor.running:
            self.server.abort_start = True  # set up the listener, but leave the running reactor alone
            reactor.callFromThread(self.server.run)
        else:
            threading.Thread(target=self.server.run, name="asgi-live-server", daemon=True).start()
        deadline = time.monotonic() + 20
        while not self.server.listening_addresses:
            if time.monotonic() > deadline:
                raise RuntimeError("the ASGI live server did not start listening")
            time.sleep(0.05)
        self.port = self.server.listening_addresses[0][1]
        self.url = f"http://127.0.0.1:{self.port}"

    @classmethod
    def get(cls) -> AsgiLiveServer:
        if cls._instance is None:
            cls._instance = cls()
        return cls._instance

    def run(self, function: Callable, /, **kwargs):
        """Call a sync function (a service, a query) in the server's loop, as a consumer would: its
        channel-layer sends then reach the server's sockets, and database access stays in one thread."""
        from channels.db import database_sync_to_async

        loop = self.reactor._asyncioEventloop
        future = asyncio.run_coroutine_threadsafe(database_sync_to_async(function)(**kwargs), loop)
        return future.result(timeout=20)

    def settle(self, timeout_s: float = 10) -> None:
        """Wait until every connection's application has finished (sockets closed, their clean-up
        done), so nothing touches the database once the test's database access ends."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                details = list(self.server.connections.values())
                busy = [d for d in details if d.get("application_instance") and not d["application_instance"].done()]
            except RuntimeError:  # the reactor thread changed the dict while we read it
                busy = [True]
            if not busy:
                return
            time.sleep(0.1)


@pytest.fixture
def asgi_server(transactional_db) -> Iterator[AsgiLiveServer]:
    server = AsgiLiveServer.get()
    yield server
    # The sockets the browser just closed finish their clean-up before the tables are flushed.
    server.settle()


@pytest.fixture
def tabs(browser, asgi_server, artifacts_dir) -> Iterator[Callable[..., Web]]:
    """Open browser tabs (each in its own context: cookies, storage) on the ASGI live server."""
    screenshots = artifacts_dir / "screenshots"
    screenshots.mkdir(parents=True, exist_ok=True)
    contexts = []

    def open_tab(user_agent: str | None = CHROME_UA) -> Web:
        """A tab whose browser says it is `user_agent` (None: headless Chromium's own)."""
        options = {"user_agent": user_agent} if user_agent is not None else {}
        context = browser.new_context(viewport=VIEWPORT, locale="en-US", **options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        web = Web(page=page, base_url=asgi_server.url, screenshots=screenshots)
        page.on("console", lambda m: m.type == "error" and web.errors.append(f"{m.text} ({m.location.get('url')})"))
        page.on("pageerror", lambda error: web.errors.append(f"uncaught: {error}"))
        return web

    yield open_tab
    for context in contexts:
        context.close()


# --- coturn: a real TURN relay on loopback ------------------------------------------------------------

TURNSERVER = Path("/usr/bin/turnserver")


@dataclass
class Turn:
    url: str
    secret: str
    log: Path


def coturn_command(
    *, port: int, secret: str, work: Path, log: Path, relay_ports: tuple[int, int] = (50000, 50999), extra=()
) -> list[str]:
    """coturn's command line for the tests (see `_coturn` for the two loopback-only flags)."""
    return [
        str(TURNSERVER),
        "-n",  # no configuration file: everything is on this line
        "--listening-ip=127.0.0.1",
        "--relay-ip=127.0.0.1",
        f"--listening-port={port}",
        f"--min-port={relay_ports[0]}",
        f"--max-port={relay_ports[1]}",
        "--use-auth-secret",
        f"--static-auth-secret={secret}",
        "--realm=vvc.test",
        "--allow-loopback-peers",
        "--no-tls",
        "--no-dtls",
        "--no-cli",
        "--no-multicast-peers",
        "--fingerprint",
        f"--pidfile={work / 'turnserver.pid'}",
        f"--userdb={work / 'turndb'}",
        f"--log-file={log}",  # written line by line (stdout to a file would be block-buffered)
        "--simple-log",
        "--verbose",  # logs each allocation with its username: the test reads them
        *extra,
    ]


@pytest.fixture(scope="package")
def coturn(tmp_path_factory, artifacts_dir_package) -> Iterator[Turn]:
    yield from _coturn(tmp_path_factory, artifacts_dir_package, "coturn")


@pytest.fixture(scope="package")
def coturn_thin(tmp_path_factory, artifacts_dir_package) -> Iterator[Turn]:
    """coturn limiting each session to 25,000 bytes/s (200 kbit/s: under what even the fake camera's
    simple picture needs, so the network, not the picture, limits the encoder): the degraded path."""
    yield from _coturn(tmp_path_factory, artifacts_dir_package, "coturn-thin", "--max-bps=25000", ports=(52000, 52999))


def _coturn(tmp_path_factory, artifacts_dir_package, name: str, *extra: str, ports=(50000, 50999)) -> Iterator[Turn]:
    """coturn with `use-auth-secret` on 127.0.0.1, as production runs it but for two loopback-only
    flags: `--allow-loopback-peers` (both peers are on this machine; a production TURN server must
    never set it, it would relay into the server's own network) and no TLS (no certificates here)."""
    import secrets
    import socket
    import subprocess
    from contextlib import closing

    require_service("coturn", TURNSERVER.exists(), f"needs {TURNSERVER} (apt-get install coturn)")
    with closing(socket.socket(socket.AF_INET, socket.SOCK_DGRAM)) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    work = tmp_path_factory.mktemp(name)
    secret = secrets.token_urlsafe(24)
    log = artifacts_dir_package / f"{name}.log"
    command = coturn_command(port=port, secret=secret, work=work, log=log, relay_ports=ports, extra=extra)
    log.write_text("")
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
    try:
        deadline = time.monotonic() + 10
        while "Total General servers" not in log.read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"coturn did not start: {log.read_text()[-2000:]}")
            time.sleep(0.05)
        yield Turn(url=f"turn:127.0.0.1:{port}?transport=udp", secret=secret, log=log)
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="package")
def artifacts_dir_package() -> Path:
    from tests.conftest import ARTIFACTS

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
