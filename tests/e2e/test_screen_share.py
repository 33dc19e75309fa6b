"""Screen sharing in real Chromium on both sides (issue 16 item 5): the agent's workspace and the
consumer's embedded window, with Chromium's capture auto-selection (tests/e2e/conftest.py
CHROMIUM_ARGS: the fake media UI picks the whole screen, which the fake capture devices draw).

The agent shares and the consumer's video element decodes the screen (its frames have the screen's
shape, not the fake camera's); stopping returns to the camera. The consumer, asked, agrees and shares,
or refuses and the agent sees it. Support's kill switch removes the buttons of an open workspace and
stops a running share. A phone never shows the prompt (its refusal reaches the agent) but sees the
agent's screen. Screenshots of each new state, desktop and phone size, go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import pytest

from accounts.models import Account, User
from calls.models import Call, CallEvent
from settings_profiles.models import AccountCallSettings
from tests.e2e.conftest import TIMEOUT_MS, VIEWPORT, AsgiLiveServer, Web
from tests.e2e.test_engagement_window import PHONE, call_state, conversation_of, new_web, open_window, wait_for
from tests.e2e.test_workspace_page import open_workspace, row
from tests.factories import AccountFactory, UserFactory

pytestmark = pytest.mark.e2e

ANDROID_CHROME_UA = (
    "Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/156.0.0.0 Mobile Safari/537.36"
)

# The decoded video's shape on the receiving side (inbound-rtp), and how many frames it decoded.
INBOUND_VIDEO = """async (hook) => {
  const pc = window[hook]?.session?.pc;
  if (!pc) return null;
  let found = null;
  (await pc.getStats()).forEach((s) => {
    if (s.type === "inbound-rtp" && s.kind === "video" && s.frameWidth) found = { w: s.frameWidth, h: s.frameHeight, frames: s.framesDecoded };
  });
  return found;
}"""
# What this side puts on its video sender: a screen (displaySurface) or the camera.
SENDER_VIDEO = """(hook) => {
  const sender = window[hook]?.session?.pc?.getSenders().find((s) => s.track && s.track.kind === "video");
  if (!sender) return null;
  const settings = sender.track.getSettings();
  return { label: sender.track.label, surface: settings.displaySurface ?? null, w: settings.width, h: settings.height };
}"""


@pytest.fixture
def account(transactional_db) -> Account:
    return AccountFactory(slug="demo", name="Acme Telecom")


def _call_of(conversation_id: int) -> int | None:
    return Call.objects.filter(conversation_id=conversation_id).values_list("pk", flat=True).first()


def _share_actions(call_id: int) -> list[tuple[str, str]]:
    return [(e.actor, e.data["action"]) for e in CallEvent.objects.filter(call_id=call_id, kind="share").order_by("id")]


def _share_fields(call_id: int) -> tuple[bool, bool, bool, bool]:
    call = Call.objects.get(pk=call_id)
    return call.agent_sharing, call.consumer_sharing, call.share_requested, call.screen_shared


def _support_sets_sharing(account_id: int, on: bool) -> None:
    from settings_profiles.services import call_settings_update

    call_settings = AccountCallSettings.objects.get(account_id=account_id)
    call_settings_update(
        call_settings=call_settings, data={"screen_share_enabled": on}, changed_by=None, source="admin"
    )


def phone_web(browser, server: AsgiLiveServer, artifacts_dir) -> Web:
    """A phone: Chrome on Android, touch, a phone-size screen."""
    context = browser.new_context(
        viewport=PHONE, locale="en-US", user_agent=ANDROID_CHROME_UA, is_mobile=True, has_touch=True
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    screenshots = artifacts_dir / "screenshots"
    web = Web(page=page, base_url=server.url, screenshots=screenshots)
    page.on("console", lambda m: m.type == "error" and web.errors.append(f"{m.text} ({m.location.get('url')})"))
    page.on("pageerror", lambda error: web.errors.append(f"uncaught: {error}"))
    return web


def video_call(server: AsgiLiveServer, account: Account, agent_web: Web, consumer: Web, agent: User):
    """The agent's workspace invites the consumer's window to a video call; both sides connected and
    decoding each other's camera. Returns (window, call_id, camera shape as the consumer decodes it)."""
    open_workspace(agent_web, agent)
    window = open_window(consumer, "/engage/demo/")
    conversation = conversation_of(server, account)
    row(agent_web, conversation.pk).locator(".ws-conv-item").click()
    agent_web.page.locator("#ws-call-video").click()
    window.locator("#engage-accept").click()
    call_id = wait_for(lambda: server.run(_call_of, conversation_id=conversation.pk), message="the call")
    call_state(server, call_id, "active", timeout=30)
    agent_web.page.wait_for_selector("#ws-call[data-call-state='active']")
    window.locator("#engage-call[data-state='active']").wait_for()
    camera = wait_for(
        lambda: (v := window.frame.evaluate(INBOUND_VIDEO, "__engage")) and v["frames"] > 0 and v,
        timeout=30,
        message="the consumer to decode the agent's camera",
    )
    wait_for(
        lambda: (v := agent_web.page.evaluate(INBOUND_VIDEO, "__workspace")) and v["frames"] > 0,
        timeout=30,
        message="the agent to decode the consumer's camera",
    )
    return window, call_id, camera


# Chromium's fake camera gives 1280x720 (what the call client asks for); its fake screen is 1440x810,
# the same 16:9 shape. So the decoded width tells them apart: a camera frame is never wider than
# 1280, and a screen is sent at its full size (the share's contentHint "detail" keeps the resolution).
CAMERA_WIDTH = 1280


def _decodes_a_screen(page_or_frame, hook: str) -> dict | None:
    """The inbound video once its frames are wider than any camera frame: the shared screen."""
    shape = page_or_frame.evaluate(INBOUND_VIDEO, hook)
    return shape if shape and shape["w"] > CAMERA_WIDTH else None


def _decodes_the_camera(page_or_frame, hook: str, frames_before: int) -> bool:
    shape = page_or_frame.evaluate(INBOUND_VIDEO, hook)
    return bool(shape) and shape["w"] <= CAMERA_WIDTH and shape["frames"] > frames_before


def _shot(web: Web, name: str) -> None:
    """A screenshot once every animation on the page (and in its frames) has finished."""
    for frame in web.page.frames:
        frame.evaluate("() => Promise.all(document.getAnimations().map((a) => a.finished.catch(() => {})))")
    web.page.screenshot(path=str(web.screenshots / f"{name}.png"), timeout=60_000)


def test_agent_shares_the_consumer_sees_the_screen_and_stop_returns_to_the_camera(
    browser, asgi_server, account, artifacts_dir
):
    """
    GIVEN a video call between the agent's workspace and the consumer's window
    WHEN the agent clicks "Share screen", then "Stop sharing"
    THEN the agent's video sender carries the screen (displaySurface "monitor") and the consumer's
         video element decodes frames of the screen's shape with "Alex Agent is sharing their screen"
         over it; after the stop the sender carries the camera again and the consumer decodes the
         camera's shape; the call's events say start and stop and the call counts as shared
    """
    agent = UserFactory(account=account, name="Alex Agent")
    agent_web = new_web(browser, asgi_server, artifacts_dir)
    consumer = new_web(browser, asgi_server, artifacts_dir)
    try:
        window, call_id, camera = video_call(asgi_server, account, agent_web, consumer, agent)
        assert camera["w"] <= CAMERA_WIDTH
        page = agent_web.page
        share = page.locator("#ws-share")
        assert share.is_visible() and share.locator(".ws-ctl-label").text_content() == "Share screen"
        assert page.locator("#ws-ask-share").is_visible()
        camera_label = page.evaluate(SENDER_VIDEO, "__workspace")["label"]

        share.click()
        page.wait_for_selector("#ws-share[aria-pressed='true']")
        sent = page.evaluate(SENDER_VIDEO, "__workspace")
        assert sent["surface"] == "monitor" and sent["label"] != camera_label, sent
        screen = wait_for(
            lambda: _decodes_a_screen(window.frame, "__engage"),
            timeout=30,
            message="the consumer to decode the shared screen",
        )
        badge = window.locator("#engage-peer-sharing")
        badge.wait_for()
        assert badge.text_content().strip() == "Alex Agent is sharing their screen"
        assert window.locator("#engage-call").get_attribute("data-peer-sharing") == "true"
        assert page.locator("#ws-share-banner").text_content().strip().startswith("You are sharing your screen")
        assert asgi_server.run(_share_fields, call_id=call_id) == (True, False, False, True)
        frames = screen["frames"]
        wait_for(
            lambda: window.frame.evaluate(INBOUND_VIDEO, "__engage")["frames"] > frames + 10,
            message="the screen's frames to keep coming",
        )
        _shot(consumer, "share-agent-sharing-window-desktop")
        _shot(agent_web, "share-agent-sharing-workspace-desktop")
        page.set_viewport_size(PHONE)
        _shot(agent_web, "share-agent-sharing-workspace-phone")
        page.set_viewport_size(VIEWPORT)

        before = window.frame.evaluate(INBOUND_VIDEO, "__engage")["frames"]
        page.locator("#ws-share-stop").click()
        page.wait_for_selector("#ws-share[aria-pressed='false']")
        wait_for(
            lambda: _decodes_the_camera(window.frame, "__engage", before),
            timeout=30,
            message="the consumer to decode the agent's camera again",
        )
        assert page.evaluate(SENDER_VIDEO, "__workspace")["label"] == camera_label
        window.locator("#engage-peer-sharing").wait_for(state="hidden")
        assert page.locator("#ws-share-banner").is_hidden()
        assert asgi_server.run(_share_actions, call_id=call_id) == [("agent", "start"), ("agent", "stop")]
        assert asgi_server.run(_share_fields, call_id=call_id) == (False, False, False, True)
        consumer.assert_no_console_errors("agent shares")
        agent_web.assert_no_console_errors("agent shares")
    finally:
        for web in (agent_web, consumer):
            web.page.context.close()


def test_consumer_asked_agrees_and_shares_then_the_browser_stop_returns_to_the_camera(
    browser, asgi_server, account, artifacts_dir
):
    """
    GIVEN a video call
    WHEN the agent clicks "Ask for screen" and the consumer clicks "Share my screen" in the prompt
    THEN the prompt names the agent in the account's words; the agent decodes the consumer's screen
         and reads "… is sharing their screen"; the window shows its banner and "Stop sharing";
         when the capture track ends (the browser's own "Stop sharing") the agent gets the camera back
    """
    agent = UserFactory(account=account, name="Alex Agent")
    agent_web = new_web(browser, asgi_server, artifacts_dir)
    consumer = new_web(browser, asgi_server, artifacts_dir)
    try:
        window, call_id, _ = video_call(asgi_server, account, agent_web, consumer, agent)
        page = agent_web.page
        assert window.locator("#engage-share-prompt").is_hidden()
        assert window.locator("#engage-share-stop").is_hidden(), "the consumer has no share button until asked"

        page.locator("#ws-ask-share").click()
        prompt = window.locator("#engage-share-prompt")
        prompt.wait_for()
        assert window.locator("#engage-share-title").text_content() == "Share your screen?"
        assert window.locator("#engage-share-body").text_content().startswith("Alex Agent asks to see your screen")
        assert window.locator("#engage-share-accept").text_content() == "Share my screen"
        assert window.locator("#engage-share-decline").text_content() == "Not now"
        page.locator(".ws-share-chip").filter(has_text="Waiting for").wait_for()
        _shot(consumer, "share-prompt-window-desktop")
        _shot(agent_web, "share-asked-workspace-desktop")

        window.locator("#engage-share-accept").click()
        prompt.wait_for(state="hidden")
        window.locator("#engage-share-banner").wait_for()
        assert window.locator("#engage-share-stop").is_visible()
        assert window.frame.evaluate(SENDER_VIDEO, "__engage")["surface"] == "monitor"
        wait_for(
            lambda: _decodes_a_screen(page, "__workspace"),
            timeout=30,
            message="the agent to decode the consumer's screen",
        )
        page.locator(".ws-share-chip").filter(has_text="is sharing their screen").wait_for()
        assert asgi_server.run(_share_fields, call_id=call_id) == (False, True, False, True)
        _shot(consumer, "share-consumer-sharing-window-desktop")
        _shot(agent_web, "share-consumer-sharing-workspace-desktop")

        before = page.evaluate(INBOUND_VIDEO, "__workspace")["frames"]
        # The browser's own "Stop sharing" ends the capture track: Chromium fires `ended` on it.
        window.frame.evaluate(
            "() => { const t = window.__engage.shareView.share.track; t.stop(); t.dispatchEvent(new Event('ended')); }"
        )
        window.locator("#engage-share-banner").wait_for(state="hidden")
        wait_for(
            lambda: _decodes_the_camera(page, "__workspace", before),
            timeout=30,
            message="the agent to decode the consumer's camera again",
        )
        page.locator(".ws-share-chip").wait_for(state="detached")
        assert asgi_server.run(_share_actions, call_id=call_id) == [
            ("agent", "request"),
            ("consumer", "start"),
            ("consumer", "stop"),
        ]
        consumer.assert_no_console_errors("consumer shares")
        agent_web.assert_no_console_errors("consumer shares")
    finally:
        for web in (agent_web, consumer):
            web.page.context.close()


def test_consumer_refuses_and_the_agent_sees_it(browser, asgi_server, account, artifacts_dir):
    """
    GIVEN a video call with the window in a narrow (phone-size) desktop browser window
    WHEN the agent asks to see the screen and the consumer clicks "Not now"
    THEN the prompt goes, nothing is shared, and the agent reads "… declined to share their screen."
    """
    agent = UserFactory(account=account, name="Alex Agent")
    agent_web = new_web(browser, asgi_server, artifacts_dir)
    consumer = new_web(browser, asgi_server, artifacts_dir, viewport=PHONE)
    try:
        window, call_id, _ = video_call(asgi_server, account, agent_web, consumer, agent)
        page = agent_web.page
        page.locator("#ws-ask-share").click()
        window.locator("#engage-share-prompt").wait_for()
        _shot(consumer, "share-prompt-window-phone")
        window.locator("#engage-share-decline").click()
        window.locator("#engage-share-prompt").wait_for(state="hidden")
        toast = page.locator(".ws-toast").filter(has_text="declined to share their screen.")
        toast.wait_for()
        _shot(agent_web, "share-declined-workspace-desktop")
        assert asgi_server.run(_share_fields, call_id=call_id) == (False, False, False, False)
        assert asgi_server.run(_share_actions, call_id=call_id) == [("agent", "request"), ("consumer", "decline")]
        assert page.locator(".ws-share-chip").count() == 0
        consumer.assert_no_console_errors("consumer refuses")
        agent_web.assert_no_console_errors("consumer refuses")
    finally:
        for web in (agent_web, consumer):
            web.page.context.close()


def test_the_kill_switch_flipped_while_the_workspace_is_open_removes_the_buttons_and_stops_the_share(
    browser, asgi_server, account, artifacts_dir
):
    """
    GIVEN a video call in which the agent shares a screen
    WHEN support switches screen sharing off for the account
    THEN without a reload the workspace's share and ask buttons disappear, the share stops (the
         consumer's badge goes, the call says nobody shares); switched on again, the buttons return
    """
    agent = UserFactory(account=account, name="Alex Agent")
    agent_web = new_web(browser, asgi_server, artifacts_dir)
    consumer = new_web(browser, asgi_server, artifacts_dir)
    try:
        window, call_id, _ = video_call(asgi_server, account, agent_web, consumer, agent)
        page = agent_web.page
        page.locator("#ws-share").click()
        window.locator("#engage-peer-sharing").wait_for()

        asgi_server.run(_support_sets_sharing, account_id=account.pk, on=False)
        page.locator("#ws-share").wait_for(state="hidden")
        assert page.locator("#ws-ask-share").is_hidden()
        window.locator("#engage-peer-sharing").wait_for(state="hidden")
        wait_for(lambda: asgi_server.run(_share_fields, call_id=call_id)[0] is False, message="the share to stop")
        assert page.evaluate("() => window.__workspace.state.permissions.share") is False
        _shot(agent_web, "share-switched-off-workspace-desktop")

        asgi_server.run(_support_sets_sharing, account_id=account.pk, on=True)
        page.locator("#ws-share").wait_for()
        assert page.locator("#ws-ask-share").is_visible()
        consumer.assert_no_console_errors("kill switch")
        agent_web.assert_no_console_errors("kill switch")
    finally:
        for web in (agent_web, consumer):
            web.page.context.close()


def test_a_phone_gets_no_share_prompt_but_sees_the_agents_screen(browser, asgi_server, account, artifacts_dir):
    """
    GIVEN a video call with the consumer on a phone (Chrome on Android, phone-size screen)
    WHEN the agent asks to see the screen, then shares their own
    THEN the phone shows no prompt and no share button, the agent reads that the device cannot share;
         the phone shows the agent's screen whole with the badge
    """
    agent = UserFactory(account=account, name="Alex Agent")
    agent_web = new_web(browser, asgi_server, artifacts_dir)
    consumer = phone_web(browser, asgi_server, artifacts_dir)
    try:
        window, call_id, _ = video_call(asgi_server, account, agent_web, consumer, agent)
        page = agent_web.page
        assert window.hook("window.__engage.shareView.supported") is False
        page.locator("#ws-ask-share").click()
        page.locator(".ws-toast").filter(has_text="device cannot share a screen.").wait_for()
        assert window.locator("#engage-share-prompt").is_hidden()
        assert window.locator("#engage-share-stop").is_hidden()
        assert asgi_server.run(_share_actions, call_id=call_id) == [("agent", "request"), ("consumer", "decline")]

        page.locator("#ws-share").click()
        window.locator("#engage-peer-sharing").wait_for()
        wait_for(
            lambda: _decodes_a_screen(window.frame, "__engage"),
            timeout=30,
            message="the phone to decode the agent's screen",
        )
        _shot(consumer, "share-agent-sharing-window-phone")
        assert window.locator("#engage-share-prompt").is_hidden()
        consumer.assert_no_console_errors("phone")
        agent_web.assert_no_console_errors("phone")
    finally:
        for web in (agent_web, consumer):
            web.page.context.close()


def test_the_workspace_offers_no_share_without_getdisplaymedia(browser, asgi_server, account, artifacts_dir):
    """A browser without getDisplayMedia gets no "Share screen" button (asking the consumer stays)."""
    agent = UserFactory(account=account, name="Alex Agent")
    agent_web = new_web(browser, asgi_server, artifacts_dir)
    agent_web.page.context.add_init_script("delete MediaDevices.prototype.getDisplayMedia;")
    consumer = new_web(browser, asgi_server, artifacts_dir)
    try:
        video_call(asgi_server, account, agent_web, consumer, agent)
        page = agent_web.page
        assert page.locator("#ws-ask-share").is_visible()
        assert page.locator("#ws-share").is_hidden()
    finally:
        for web in (agent_web, consumer):
            web.page.context.close()
