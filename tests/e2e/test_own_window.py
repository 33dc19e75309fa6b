"""The example own-window (examples/own-window/, plain HTML + JS on the public API) served from a
second origin (another port on 127.0.0.1 is another origin) through a whole video call with the
real agent workspace, in real Chromium: CORS on the conversation and SDK config endpoints, the
consumer socket's Origin check and the public call client module, all cross-origin.

Screenshots: test-artifacts/screenshots/own-window-*.png.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from calls.models import Call, Conversation
from settings_profiles.models import AccountCallSettings
from tests.e2e.test_workspace_page import (
    CALL_TIMEOUT_MS,
    FRAMES_DECODED_JS,
    open_workspace,
    row,
    transcript,
    wait_until,
)
from tests.e2e.test_workspace_page import account as account  # noqa: F401 - fixtures
from tests.e2e.test_workspace_page import agent as agent  # noqa: F401

pytestmark = pytest.mark.e2e

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "own-window"
HEADLESS_UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36"
)


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def brand_site() -> Iterator[str]:
    """The brand's own site: the example directory served by a plain static server on another port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(EXAMPLE)))
    thread = threading.Thread(target=server.serve_forever, name="brand-site", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _allow(account, origins: list[str]) -> None:
    AccountCallSettings.objects.filter(account=account).update(allowed_origins=origins)


def _latest_conversation_id(account_id: int) -> int:
    return Conversation.objects.filter(account_id=account_id).latest("pk").pk


def _call_of(conversation_id: int) -> Call:
    return Call.objects.filter(conversation_id=conversation_id).latest("pk")


def test_example_own_window_makes_a_video_call_from_a_second_origin(tabs, asgi_server, account, agent, brand_site):
    """
    GIVEN the example window on the brand's own origin (another port), listed in the account's allowed origins
    WHEN the visitor writes, the agent invites them to a video call in the workspace and they accept
    THEN video flows both ways, also after the visitor reloads the page mid-call, and the agent's
         hang-up ends the call as completed on both sides
    """
    assert brand_site != asgi_server.url
    _allow(account, [brand_site])
    agent_tab, visitor_tab = tabs(), tabs()
    open_workspace(agent_tab, agent)

    page = visitor_tab.page
    page.goto(f"{brand_site}/index.html?platform={asgi_server.url}&account=acme", wait_until="networkidle")
    page.wait_for_selector("#status[data-state='ready']")
    # The browser check of the public call client: a real Chrome passes, HeadlessChrome does not.
    assert page.evaluate("() => __ownWindow.browser.supported") is True
    assert page.evaluate(f"() => __ownWindow.sdk.checkBrowser(__ownWindow.config.browsers, {HEADLESS_UA!r})") == {
        "supported": False,
        "reason": "unsupported_browser",
        "browser": "HeadlessChrome 156",
    }

    page.fill("#input", "Hello from the brand's own window")
    page.click("#send")
    page.locator("#transcript li.consumer").get_by_text("Hello from the brand's own window").wait_for()
    conversation_id = asgi_server.run(_latest_conversation_id, account_id=account.pk)
    row(agent_tab, conversation_id).locator(".ws-conv-item").click()
    transcript(agent_tab).get_by_text("Hello from the brand's own window").wait_for()

    agent_tab.page.locator("#ws-call-video").click()
    page.wait_for_selector("#invitation:not([hidden])")
    assert page.locator("#accept").is_visible() and page.locator("#unsupported").is_hidden()
    visitor_tab.screenshot("own-window-invitation")
    page.click("#accept")

    agent_tab.page.wait_for_selector("#ws-call[data-call-state='active']", timeout=CALL_TIMEOUT_MS)
    page.wait_for_selector("#call[data-state='active']", timeout=CALL_TIMEOUT_MS)
    wait_until(lambda: agent_tab.page.evaluate(FRAMES_DECODED_JS, "__workspace") > 0, "the agent to see the visitor")
    wait_until(lambda: page.evaluate(FRAMES_DECODED_JS, "__ownWindow") > 0, "the visitor to see the agent")
    assert asgi_server.run(_call_of, conversation_id=conversation_id).state == "active"
    visitor_tab.screenshot("own-window-call")

    # A reload rejoins the call: the rejoining window offers, video flows again, the agent's note clears.
    page.reload(wait_until="networkidle")
    page.wait_for_selector("#call[data-state='active']", timeout=CALL_TIMEOUT_MS)
    wait_until(lambda: page.evaluate(FRAMES_DECODED_JS, "__ownWindow") > 0, "the visitor to see the agent again")
    agent_tab.page.locator(".ws-peer-reconnecting").wait_for(state="detached")
    assert asgi_server.run(_call_of, conversation_id=conversation_id).state == "active"
    agent_tab.screenshot("own-window-agent-call")

    agent_tab.page.locator("#ws-hangup").click()
    page.wait_for_selector("#call[data-state='completed']", state="attached")
    assert page.locator("#call").is_hidden()
    assert asgi_server.run(_call_of, conversation_id=conversation_id).state == "completed"
    visitor_tab.assert_no_console_errors("own window")


def test_example_own_window_is_refused_on_an_origin_the_account_does_not_list(tabs, asgi_server, account, brand_site):
    """The same page on an origin the account does not list (here: the same host, another port) cannot
    read the SDK config or start a conversation: the browser gets no CORS header, nothing is created."""
    _allow(account, [brand_site.rsplit(":", 1)[0] + ":1"])
    page = tabs().page
    page.goto(f"{brand_site}/index.html?platform={asgi_server.url}&account=acme", wait_until="networkidle")
    page.wait_for_selector("#status[data-state='error']")
    assert "Messaging is not available here" in page.locator("#status").inner_text()
    assert not asgi_server.run(lambda: Conversation.objects.exists())
