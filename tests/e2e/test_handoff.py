"""Continue on my phone (issue 18 item 2) in real Chromium: the agent in the workspace and the consumer
in the brand page's window are in a video call; the consumer opens the QR panel, a phone (a mobile-
emulated context of a second Chromium, whose fake camera films an orange picture) opens the link and
takes the call with its back camera; the agent's same call goes on with the phone's picture, the
computer lets go of its camera and says "Continued on your phone", and the used link says so in words.

Screenshots: handoff-*.png in the artifacts dir (desktop and phone sizes).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from accounts.models import Account, User
from calls.models import Call, CallEvent, CallHandoff, Conversation
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, AsgiLiveServer, Web
from tests.e2e.test_engagement_window import open_window
from tests.e2e.test_workspace_page import CALL_TIMEOUT_MS, FRAMES_DECODED_JS, open_workspace, row, wait_until
from tests.factories import AccountFactory, UserFactory

pytestmark = pytest.mark.e2e

# Playwright's devices["Pixel 7"], with a Chrome version the account's browser floors accept.
PIXEL_7 = {
    "user_agent": "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/156.0.0.0 Mobile Safari/537.36",
    "viewport": {"width": 412, "height": 839},
    "screen": {"width": 412, "height": 915},
    "device_scale_factor": 2.625,
    "is_mobile": True,
    "has_touch": True,
}
PHONE_VIEW = {"width": 412, "height": 839}
ORANGE = (255, 140, 0)  # what the phone's camera films (a Y4M file as Chromium's fake capture device)


def orange_y4m(path: Path, width: int = 320, height: int = 240, frames: int = 30) -> Path:
    """A few frames of plain orange in YUV 4:2:0 (full range, BT.601), Chromium's fake camera input."""
    r, g, b = ORANGE
    y = round(0.299 * r + 0.587 * g + 0.114 * b)
    u = round(-0.168736 * r - 0.331264 * g + 0.5 * b + 128)
    v = round(0.5 * r - 0.418688 * g - 0.081312 * b + 128)
    frame = (
        b"FRAME\n"
        + bytes([y]) * (width * height)
        + bytes([u]) * (width * height // 4)
        + bytes([v]) * (width * height // 4)
    )
    path.write_bytes(f"YUV4MPEG2 W{width} H{height} F30:1 Ip A1:1 C420jpeg\n".encode() + frame * frames)
    return path


@pytest.fixture
def account(transactional_db) -> Account:
    return AccountFactory(slug="demo", name="Acme Telecom")


@pytest.fixture
def agent(account) -> User:
    return UserFactory(account=account, name="Alex Agent")


@pytest.fixture
def phone_browser(browser, tmp_path) -> Iterator[object]:
    """A second Chromium: the phone, its camera filming orange."""
    camera = orange_y4m(tmp_path / "phone-camera.y4m")
    chromium = browser.browser_type.launch(
        executable_path=str(CHROMIUM),
        headless=True,
        args=[*CHROMIUM_ARGS, f"--use-file-for-fake-video-capture={camera}"],
    )
    yield chromium
    chromium.close()


def phone_tab(chromium, server: AsgiLiveServer, artifacts_dir: Path) -> Web:
    context = chromium.new_context(locale="en-US", **PIXEL_7)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    web = Web(page=page, base_url=server.url, screenshots=artifacts_dir / "screenshots")
    page.on("console", lambda m: m.type == "error" and web.errors.append(f"{m.text} ({m.location.get('url')})"))
    page.on("pageerror", lambda error: web.errors.append(f"uncaught: {error}"))
    return web


# The middle of a video element's picture, as the page decodes it: the average [r, g, b].
CENTRE_COLOUR_JS = """
(video) => {
  if (!video.videoWidth) return null;
  const canvas = document.createElement("canvas");
  canvas.width = video.videoWidth; canvas.height = video.videoHeight;
  const context = canvas.getContext("2d");
  context.drawImage(video, 0, 0);
  const size = Math.floor(Math.min(canvas.width, canvas.height) / 4);
  const data = context.getImageData((canvas.width - size) >> 1, (canvas.height - size) >> 1, size, size).data;
  const sum = [0, 0, 0];
  for (let i = 0; i < data.length; i += 4) { sum[0] += data[i]; sum[1] += data[i + 1]; sum[2] += data[i + 2]; }
  return sum.map((s) => Math.round(s / (data.length / 4)));
}
"""


def looks_orange(colour) -> bool:
    return colour is not None and all(abs(c - o) <= 40 for c, o in zip(colour, ORANGE, strict=True))


def _conversation_id(account_id: int) -> int | None:
    conversation = Conversation.objects.filter(account_id=account_id).order_by("-id").first()
    return conversation.pk if conversation else None


def _call(conversation_id: int) -> Call | None:
    return Call.objects.filter(conversation_id=conversation_id).order_by("-id").first()


def test_the_call_continues_on_the_phone(tabs, asgi_server, account, agent, phone_browser, artifacts_dir):
    """
    GIVEN the agent in the workspace and the consumer in the brand page's window in an active video call
    WHEN the consumer opens "Move to phone" and a phone opens the link and continues there (back camera)
    THEN the phone decodes the agent's video and the agent decodes the phone's (orange) picture in the
         same call row, still active; the computer released its camera and says "Continued on your
         phone", keeping the transcript; the agent reads that the consumer is on their phone; the used
         link, opened again, says so in the account's words
    """
    agent_tab, desktop = tabs(), tabs()
    open_workspace(agent_tab, agent)
    workspace = agent_tab.page
    window = open_window(desktop, "/engage/demo/")
    found: list[int] = []
    wait_until(
        lambda: (c := asgi_server.run(_conversation_id, account_id=account.pk)) and not found.append(c),
        "the conversation",
    )
    conversation_id = found[0]
    row(agent_tab, conversation_id).locator(".ws-conv-item").click()
    workspace.locator("#ws-call-video").click()
    window.locator("#engage-accept").click()
    workspace.wait_for_selector("#ws-call[data-call-state='active']", timeout=CALL_TIMEOUT_MS)
    wait_until(
        lambda: workspace.evaluate(FRAMES_DECODED_JS, "__workspace") > 0, "the agent to decode the computer's video"
    )
    call = asgi_server.run(_call, conversation_id=conversation_id)
    assert call.state == "active" and call.consumer_device == 0
    # The computer's own tracks, to see them released later.
    window.hook("(window.__desktopTracks = window.__engage.session.localStream.getTracks()).length")
    assert window.hook("window.__desktopTracks.every((t) => t.readyState === 'live')")

    # The QR panel: code, link and time left.
    window.locator("#engage-handoff").click()
    window.locator("#engage-handoff-panel[data-state='ready']").wait_for()
    url = window.locator("#engage-handoff-link").input_value()
    assert re.fullmatch(rf"{re.escape(asgi_server.url)}/go/[0-9A-Z]{{12}}", url), url
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", window.locator("#engage-handoff-code").inner_text())
    assert window.locator("#engage-handoff-qr").evaluate("(img) => img.complete && img.naturalWidth > 0")
    assert window.locator("#engage-handoff-note").inner_text() == "The code works once, for 5 minutes."
    window.locator("#engage-handoff-expiry").filter(has_text=re.compile(r"^Expires in [45]:\d\d$")).wait_for()
    time.sleep(0.5)
    desktop.screenshot("handoff-desktop-qr-panel")
    desktop.page.set_viewport_size(PHONE_VIEW)
    time.sleep(0.3)
    desktop.screenshot("handoff-desktop-qr-panel-phone-size")
    desktop.page.set_viewport_size({"width": 1440, "height": 900})

    # The phone opens the link: the account's words, the back camera chosen.
    phone = phone_tab(phone_browser, asgi_server, artifacts_dir)
    phone.open(url.removeprefix(asgi_server.url))
    page = phone.page
    page.locator("#engage-handoff-title").filter(has_text="Continue the call on this phone").wait_for()
    assert page.locator("#engage-handoff-back").get_attribute("aria-checked") == "true"
    assert page.locator("#engage-handoff-front").get_attribute("aria-checked") == "false"
    assert asgi_server.run(_call, conversation_id=conversation_id).consumer_device == 0  # opening moved nothing
    phone.screenshot("handoff-phone-claim")
    page.locator("#engage-handoff-join").tap()

    # The phone is in the call: it decodes the agent; the agent decodes the phone's orange picture.
    page.locator("#engage-call[data-state='active']").wait_for(timeout=CALL_TIMEOUT_MS)
    page.wait_for_function(
        "() => window.__engage.session && window.__engage.session.pc && window.__engage.session.pc.connectionState === 'connected'",
        timeout=CALL_TIMEOUT_MS,
    )
    assert page.evaluate("() => window.__engage.session.facing") == "environment"
    page.locator("#engage-self[data-facing='environment']").wait_for()  # a back camera's view, not mirrored
    wait_until(lambda: page.evaluate(FRAMES_DECODED_JS, "__engage") > 10, "the phone to decode the agent's video")
    assert page.locator("#engage-remote-video").evaluate("(v) => v.videoWidth > 0")
    remote = workspace.locator("#ws-remote-video")
    wait_until(lambda: looks_orange(remote.evaluate(CENTRE_COLOUR_JS)), "the agent to show the phone's picture")
    decoded = workspace.evaluate(FRAMES_DECODED_JS, "__workspace")
    wait_until(
        lambda: workspace.evaluate(FRAMES_DECODED_JS, "__workspace") > decoded + 10, "more of the phone's frames"
    )

    # The same call, still live, now on the phone; the phone films with its back camera.
    moved = asgi_server.run(_call, conversation_id=conversation_id)
    handoff = asgi_server.run(lambda: CallHandoff.objects.get(call_id=moved.pk))
    assert moved.pk == call.pk and moved.state == "active" and moved.consumer_device == handoff.pk
    assert asgi_server.run(lambda: Call.objects.filter(conversation_id=conversation_id).count()) == 1
    cameras = asgi_server.run(
        lambda: list(
            CallEvent.objects.filter(call_id=call.pk, kind="media", actor="consumer").values_list(
                "data__camera", flat=True
            )
        )
    )
    assert cameras[-1] == "back"

    # The computer let go: its tracks ended (camera light out), no session, the words and the transcript.
    window.locator("#engage-moved").filter(has_text="Continued on your phone").wait_for()
    assert window.hook("window.__desktopTracks.every((t) => t.readyState === 'ended')")
    assert window.hook("window.__engage.session") is None
    window.locator(".msg-system .msg-text").filter(has_text="You continued the video call on your phone.").wait_for()
    assert window.locator(".msg-consumer .msg-text").filter(has_text="Hello, I need help with my modem.").count() == 1
    desktop.screenshot("handoff-desktop-continued")
    desktop.page.set_viewport_size(PHONE_VIEW)
    time.sleep(0.3)
    desktop.screenshot("handoff-desktop-continued-phone-size")

    # The agent reads it: the transcript line and the note on the call.
    workspace.locator("#ws-consumer-media").get_by_text("Consumer on their phone").wait_for()
    workspace.locator(".ws-msg-system").get_by_text("You continued the video call on your phone.").wait_for()
    agent_tab.screenshot("handoff-workspace")
    time.sleep(1)
    phone.screenshot("handoff-phone-in-call")

    # The used link, opened again on the phone, says so in the account's words.
    again = phone_tab(phone_browser, asgi_server, artifacts_dir)
    response = again.page.goto(url)
    assert response is not None and response.status == 410
    again.page.locator("#engage-handoff-error").filter(has_text="This code was already used.").wait_for()
    assert again.page.locator("#engage-handoff-join").count() == 0
    again.screenshot("handoff-phone-used-link")

    # The agent ends the call: the phone shows the end; one call row, completed.
    workspace.locator("#ws-hangup").click()
    page.locator("#engage-call-ended").wait_for()
    ended = asgi_server.run(_call, conversation_id=conversation_id)
    wait_until(lambda: asgi_server.run(_call, conversation_id=conversation_id).state == "completed", "the call to end")
    assert ended.pk == call.pk
    for web, where in ((agent_tab, "workspace"), (desktop, "window"), (phone, "phone")):
        web.assert_no_console_errors(where)
    again.page.context.close()
    phone.page.context.close()
