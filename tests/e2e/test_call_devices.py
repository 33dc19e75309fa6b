"""Choosing the microphone, camera and speaker (issue 16 item 4), in real Chromium on both sides: the
agent workspace and the consumer's messaging window (and its webview on a phone), two browsers whose fake
capture has more than one camera and microphone.

Before the call each side picks other devices (the consumer in the sheet that opens once the browser has
granted access after accepting, the agent in the workspace's device dialog with a preview of its own);
during the call each side switches again (replaceTrack: the old track ends, the SDP stays the same, the
other side goes on decoding frames); the choice is remembered in the browser and used by the next
getUserMedia (after a reload); the level meter follows the fake microphone's beeps; an unplugged
microphone falls back to the default with the account's notice; a camera that is off only records the
choice. Screenshots of the picker before and during the call, desktop and phone-size.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator

import pytest

from accounts.models import Account, User
from calls import services
from calls.models import Call, Conversation
from calls.tokens import consumer_token_for
from settings_profiles.models import AccountCallSettings
from tests.e2e.conftest import CHROME_UA, CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, VIEWPORT, AsgiLiveServer, Web
from tests.e2e.test_engagement_window import ANDROID_WEBVIEW_UA, PHONE, Window, _assign_and_invite, open_window
from tests.e2e.test_workspace_page import CALL_TIMEOUT_MS, FRAMES_DECODED_JS, open_workspace, row, wait_until
from tests.factories import AccountFactory, UserFactory

pytestmark = pytest.mark.e2e

FAKE_DEVICES = "--use-fake-device-for-media-stream"
# Chromium's fake capture with three cameras (fake_device_0..2); it always lists a default and two more
# microphones and outputs. The "other camera" the tests pick is fake_device_2: fake_device_1 is Chromium's
# fake *depth* camera (Y16 pixels, media/capture/video/fake_video_capture_device_factory), which a
# <video> shows but WebRTC cannot encode: a peer decodes no frame of it, with or without our code
# (measured on this Chromium: 0 frames in 3 s over a loopback pair; fake_device_0 and _2: ~57).
DEVICE_COUNT = 3
OTHER = 2
ARGS = [*(a for a in CHROMIUM_ARGS if a != FAKE_DEVICES), f"{FAKE_DEVICES}=device-count={DEVICE_COUNT}"]

# What each side sends: {kind: {id, label, state}} of the peer connection's senders.
SENT = """(hook) => {
  const pc = window[hook]?.session?.pc;
  if (!pc) return null;
  const sent = {};
  for (const sender of pc.getSenders()) {
    if (!sender.track) continue;
    sent[sender.track.kind] = { id: sender.track.getSettings().deviceId, label: sender.track.label, state: sender.track.readyState };
  }
  return sent;
}"""
# The sender's current tracks, kept so the test can see them end after a switch.
KEEP_TRACKS = (
    """(hook) => { window.__kept = window[hook].session.pc.getSenders().map((s) => s.track).filter(Boolean); }"""
)
KEPT_STATES = """() => window.__kept.map((t) => t.readyState)"""
LOCAL_SDP = """(hook) => window[hook].session.pc.localDescription.sdp"""
SINKS = """() => ["engage-remote-video", "engage-remote-audio"].map((id) => document.getElementById(id).sinkId)"""
DEVICES = """async () => (await navigator.mediaDevices.enumerateDevices()).map((d) => ({kind: d.kind, id: d.deviceId, label: d.label}))"""
# Every getUserMedia call of the page: what it asked for (the camera-off case must open no camera).
GUM_SPY = """
(() => {
  const devices = navigator.mediaDevices;
  if (!devices || !devices.getUserMedia) return;
  const original = devices.getUserMedia.bind(devices);
  window.__gum = [];
  devices.getUserMedia = (constraints) => {
    window.__gum.push({ audio: !!(constraints && constraints.audio), video: !!(constraints && constraints.video) });
    return original(constraints);
  };
})();
"""


@pytest.fixture
def devices_browser(browser) -> Iterator[object]:
    """A Chromium whose fake capture has DEVICE_COUNT cameras and microphones (on the package's Playwright)."""
    chromium = browser.browser_type.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
    yield chromium
    chromium.close()


@pytest.fixture
def tab(devices_browser, asgi_server, artifacts_dir) -> Iterator[Callable[..., Web]]:
    """A tab (its own context: cookies, storage) in the two-device Chromium."""
    contexts = []
    screenshots = artifacts_dir / "screenshots"
    screenshots.mkdir(parents=True, exist_ok=True)

    def open_tab(*, viewport=VIEWPORT, user_agent=CHROME_UA, spy=False) -> Web:
        context = devices_browser.new_context(viewport=viewport, locale="en-US", user_agent=user_agent)
        context.set_default_timeout(TIMEOUT_MS)
        if spy:
            context.add_init_script(GUM_SPY)
        contexts.append(context)
        page = context.new_page()
        web = Web(page=page, base_url=asgi_server.url, screenshots=screenshots)
        page.on("console", lambda m: m.type == "error" and web.errors.append(f"{m.text} ({m.location.get('url')})"))
        page.on("pageerror", lambda error: web.errors.append(f"uncaught: {error}"))
        return web

    yield open_tab
    for context in contexts:
        context.close()


@pytest.fixture
def account(transactional_db) -> Account:
    return AccountFactory(slug="demo", name="Acme Telecom")


@pytest.fixture
def agent(account) -> User:
    return UserFactory(account=account, name="Alex Agent")


def _latest_call(account_id: int) -> Call | None:
    return Call.objects.filter(conversation__account_id=account_id).order_by("-id").first()


def _latest_conversation_id(account_id: int) -> int | None:
    conversation = Conversation.objects.filter(account_id=account_id).order_by("-id").first()
    return conversation.pk if conversation else None


def active_call(server: AsgiLiveServer, account: Account) -> Call:
    found: list[Call] = []

    def probe() -> bool:
        call = server.run(_latest_call, account_id=account.pk)
        if call is not None and call.state == Call.State.ACTIVE:
            found.append(call)
            return True
        return False

    wait_until(probe, "the call to be active")
    return found[0]


def sends(target, hook: str, what: str, *, audio: dict | None = None, video: dict | None = None) -> dict:
    """Wait until the side sends `audio` and/or `video` (devices from devices_of); say what it sent if not."""
    seen: list = [None]

    def probe() -> bool:
        seen[0] = sent = target.evaluate(SENT, hook)
        return bool(sent) and all(
            device is None or (sent.get(kind) or {}).get("id") == device["id"]
            for kind, device in (("audio", audio), ("video", video))
        )

    try:
        wait_until(probe, what)
    except AssertionError as exc:
        choice = target.evaluate(f"() => [localStorage.getItem('vvc.devices'), window.{hook}?.session?.devices]")
        raise AssertionError(f"{exc}; it sends {seen[0]}; remembered and asked for: {choice}") from exc
    return seen[0]


def devices_of(target, kind: str) -> list[dict]:
    """The browser's devices of one kind, without Chrome's "default" entry."""
    return [d for d in target.evaluate(DEVICES) if d["kind"] == kind and d["id"] not in ("default", "communications")]


def frames_increase(probe: Callable[[], int], what: str) -> None:
    """The other side decodes new frames: the count grows by more than 10 within a second (a rejoined
    peer connection starts counting again from 0)."""
    last = [probe()]

    def growing() -> bool:
        time.sleep(1)
        now = probe()
        grew = now > last[0] + 10
        last[0] = now
        return grew

    wait_until(growing, what)


def meter_moves(target, meter: str) -> list[int]:
    """Read the level meter for three seconds: the fake microphone beeps, so it must rise and fall."""
    values = []
    for _ in range(30):
        values.append(int(target.locator(meter).get_attribute("aria-valuenow")))
        time.sleep(0.1)
    assert max(values) >= 20, f"the meter never rose: {values}"
    assert len(set(values)) >= 3, f"the meter did not move: {values}"
    return values


def shot(web: Web, name: str, *, meter=None) -> None:
    """A full-page screenshot into the artifacts (a long timeout: the machine may be busy); with `meter`
    (a locator), taken while the level meter shows a beep."""
    if meter is not None:
        with contextlib.suppress(AssertionError):  # a picture with a quiet meter is still a picture
            wait_until(lambda: int(meter.get_attribute("aria-valuenow")) >= 60, "a beep", timeout_s=5)
    web.page.screenshot(path=str(web.screenshots / f"{name}.png"), full_page=True, timeout=90_000)


def select(target, selector: str, device: dict) -> None:
    target.locator(selector).select_option(value=device["id"])


# --- the consumer: the sheet after accepting, switching mid-call, remembered after a reload -------------------


def test_consumer_picks_devices_after_accepting_switches_mid_call_and_is_remembered(tab, asgi_server, account, agent):
    """
    GIVEN a consumer whose browser has two cameras and two microphones, invited to a video call
    WHEN they accept
    THEN the device sheet opens once the browser has granted access, with the self-preview and a level
         meter that follows the microphone; picking the second microphone and camera sends those
         (replaceTrack: same SDP, old tracks ended) and the agent decodes frames; switching back mid-call
         from the Devices button does the same; after a reload the rejoined call captures the remembered
         devices and the sheet does not open by itself
    """
    agent_tab, consumer_tab = tab(), tab()
    open_workspace(agent_tab, agent)
    window = open_window(consumer_tab, "/engage/demo/")
    conversation_id = asgi_server.run(_latest_conversation_id, account_id=account.pk)
    row(agent_tab, conversation_id).locator(".ws-conv-item").click()
    agent_tab.page.locator("#ws-call-video").click()
    window.locator("#engage-accept").click()

    # Access granted: the sheet opens by itself, listing both cameras and both microphones.
    sheet = window.locator("#engage-devices")
    sheet.wait_for()
    cameras, microphones = devices_of(window.frame, "videoinput"), devices_of(window.frame, "audioinput")
    assert len(cameras) == DEVICE_COUNT and len(microphones) >= 2, (cameras, microphones)
    speakers = devices_of(window.frame, "audiooutput")
    options = window.locator("#engage-devices-camera option").all_text_contents()
    assert options == [c["label"] for c in cameras]
    window.locator("#engage-devices[data-camera='on']").wait_for()
    meter_moves(window.frame, "#engage-devices-meter")
    shot(consumer_tab, "devices-consumer-window-before-call", meter=window.locator("#engage-devices-meter"))

    select(window.frame, "#engage-devices-microphone", microphones[1])
    select(window.frame, "#engage-devices-camera", cameras[OTHER])
    active_call(asgi_server, account)
    sent = sends(window.frame, "__engage", "the chosen devices", audio=microphones[1], video=cameras[OTHER])
    assert (sent["audio"]["label"], sent["video"]["label"]) == (microphones[1]["label"], cameras[OTHER]["label"])
    # The self-preview shows the camera that is sent.
    assert (
        window.hook("document.getElementById('engage-devices-preview').srcObject.getVideoTracks()[0].label")
        == cameras[OTHER]["label"]
    )
    agent_page = agent_tab.page
    frames_increase(
        lambda: agent_page.evaluate(FRAMES_DECODED_JS, "__workspace"), "the agent to decode the chosen camera"
    )
    # The speaker (setSinkId): both elements that play the agent.
    select(window.frame, "#engage-devices-speaker", speakers[0])
    wait_until(
        lambda: window.frame.evaluate(SINKS) == [speakers[0]["id"]] * 2, "the agent to play on the chosen speaker"
    )
    window.locator("#engage-devices-done").click()
    sheet.wait_for(state="hidden")

    # Mid-call, from the Devices button: back to the first camera and microphone, no renegotiation.
    sdp = window.frame.evaluate(LOCAL_SDP, "__engage")
    window.frame.evaluate(KEEP_TRACKS, "__engage")
    window.locator("#engage-devices-open").click()
    sheet.wait_for()
    select(window.frame, "#engage-devices-camera", cameras[0])
    select(window.frame, "#engage-devices-microphone", microphones[0])
    sends(window.frame, "__engage", "the first devices again", audio=microphones[0], video=cameras[0])
    assert window.frame.evaluate(KEPT_STATES) == ["ended", "ended"], "the old tracks are stopped"
    assert window.frame.evaluate(LOCAL_SDP, "__engage") == sdp, "replaceTrack: nothing renegotiated"
    frames_increase(
        lambda: agent_page.evaluate(FRAMES_DECODED_JS, "__workspace"), "the agent to decode after the switch"
    )
    shot(consumer_tab, "devices-consumer-window-during-call", meter=window.locator("#engage-devices-meter"))
    select(window.frame, "#engage-devices-camera", cameras[OTHER])
    sends(window.frame, "__engage", "the other camera again", video=cameras[OTHER])
    window.locator("#engage-devices-close").click()
    shot(consumer_tab, "devices-consumer-window-call-controls")

    # A reload rejoins the call: its getUserMedia asks for the remembered devices; nothing opens by itself.
    consumer_tab.page.reload(wait_until="networkidle")
    frame = consumer_tab.page.frame_locator("#vvc-frame")
    frame.locator("#engage-call[data-state='active']").wait_for(timeout=CALL_TIMEOUT_MS)
    window = Window(web=consumer_tab, frame=consumer_tab.page.locator("#vvc-frame").element_handle().content_frame())
    sends(window.frame, "__engage", "the remembered devices", audio=microphones[0], video=cameras[OTHER])
    assert window.locator("#engage-devices").is_hidden()
    wait_until(lambda: window.frame.evaluate(SINKS) == [speakers[0]["id"]] * 2, "the remembered speaker")
    frames_increase(
        lambda: agent_page.evaluate(FRAMES_DECODED_JS, "__workspace"), "the agent to decode after the reload"
    )
    consumer_tab.assert_no_console_errors("consumer devices")
    agent_tab.assert_no_console_errors("consumer devices (agent)")


def test_the_webview_on_a_phone_offers_the_same_sheet(tab, asgi_server, account, agent):
    """The app's webview (phone-size): after accepting, the same sheet with its preview and meter; the
    Devices button opens it again during the call."""
    agent_tab = tab()
    open_workspace(agent_tab, agent)
    conversation = asgi_server.run(
        services.conversation_create, account=account, channel=Conversation.Channel.WEB_MESSAGING
    )
    token = consumer_token_for(conversation_id=conversation.pk, account_id=account.pk)
    asgi_server.run(_assign_and_invite, agent=agent, conversation_id=conversation.pk, media="video")
    phone = tab(viewport=PHONE, user_agent=ANDROID_WEBVIEW_UA)
    phone.open(f"/engage/call/?token={token}")
    page = phone.page
    page.locator("#engage-accept").click()
    page.locator("#engage-devices[data-camera='on']").wait_for()
    meter_moves(page, "#engage-devices-meter")
    time.sleep(0.5)
    shot(phone, "devices-consumer-phone-before-call", meter=page.locator("#engage-devices-meter"))
    page.locator("#engage-devices-done").click()
    active_call(asgi_server, account)
    page.locator("#engage-devices-open").click()
    page.locator("#engage-devices[data-camera='on']").wait_for()
    time.sleep(0.5)
    shot(phone, "devices-consumer-phone-during-call", meter=page.locator("#engage-devices-meter"))
    assert (
        page.locator("#engage-devices-speaker-row").is_hidden()
        or page.locator("#engage-devices-speaker option").count() > 1
    )
    phone.assert_no_console_errors("webview devices")


# --- the agent: the dialog before the call, switching mid-call, camera off, unplugged, reload -----------------


def test_agent_picks_devices_before_the_call_switches_mid_call_and_is_remembered(tab, asgi_server, account, agent):
    """
    GIVEN an agent whose browser has two cameras and two microphones
    WHEN they open "Microphone and camera" before any call and pick the second microphone and camera
    THEN the dialog previews them (self-view, a level meter that moves); the next call captures exactly
         those and the consumer decodes frames; "Devices" during the call switches back with replaceTrack
         (old tracks ended, same SDP, the consumer goes on decoding); with the camera off a pick opens no
         camera and is used when it is turned on; an unplugged microphone falls back to the default with
         the account's notice; after a reload the rejoined call captures the remembered devices
    """
    AccountCallSettings.objects.filter(account=account).update(
        texts={"device_lost_microphone": "Mic gone: using the default one."}
    )
    agent_tab, consumer_tab = tab(spy=True), tab()
    open_workspace(agent_tab, agent)
    page = agent_tab.page
    cameras, microphones = devices_of(page, "videoinput"), devices_of(page, "audioinput")
    assert len(cameras) == DEVICE_COUNT and len(microphones) >= 2, (cameras, microphones)

    # Before the call: the dialog with a preview of its own.
    window = open_window(consumer_tab, "/engage/demo/")
    conversation_id = asgi_server.run(_latest_conversation_id, account_id=account.pk)
    row(agent_tab, conversation_id).locator(".ws-conv-item").click()
    page.locator("#ws-devices-open").click()
    dialog = page.locator("#ws-devices-dialog")
    dialog.wait_for()
    page.locator("#ws-devices-dialog[data-camera='on']").wait_for()
    meter_moves(page, "#ws-devices-meter")
    select(page, "#ws-devices-microphone", microphones[1])
    select(page, "#ws-devices-camera", cameras[OTHER])
    wait_until(
        lambda: (
            page.evaluate("() => document.getElementById('ws-devices-preview').srcObject?.getVideoTracks()[0]?.label")
            == cameras[OTHER]["label"]
        ),
        "the preview to show the chosen camera",
    )
    time.sleep(0.5)
    shot(agent_tab, "devices-agent-workspace-before-call", meter=page.locator("#ws-devices-meter"))
    page.locator("#ws-devices-done").click()
    dialog.wait_for(state="hidden")
    # Closing the dialog releases its preview.
    assert page.evaluate("() => document.getElementById('ws-devices-preview').srcObject") is None

    # The call captures the chosen devices from its first getUserMedia.
    page.locator("#ws-call-video").click()
    window.locator("#engage-accept").click()
    active_call(asgi_server, account)
    sent = sends(page, "__workspace", "the devices chosen before the call", audio=microphones[1], video=cameras[OTHER])
    assert (sent["audio"]["label"], sent["video"]["label"]) == (microphones[1]["label"], cameras[OTHER]["label"])
    consumer_frames = lambda: window.frame.evaluate(FRAMES_DECODED_JS, "__engage")  # noqa: E731
    frames_increase(consumer_frames, "the consumer to decode the agent's chosen camera")

    # Mid-call: back to the first camera and microphone, without renegotiating.
    sdp = page.evaluate(LOCAL_SDP, "__workspace")
    page.evaluate(KEEP_TRACKS, "__workspace")
    page.locator("#ws-devices").click()
    dialog.wait_for()
    select(page, "#ws-devices-camera", cameras[0])
    select(page, "#ws-devices-microphone", microphones[0])
    sends(page, "__workspace", "the first devices", audio=microphones[0], video=cameras[0])
    assert page.evaluate(KEPT_STATES) == ["ended", "ended"]
    assert page.evaluate(LOCAL_SDP, "__workspace") == sdp
    frames_increase(consumer_frames, "the consumer to decode after the agent's switch")
    meter_moves(page, "#ws-devices-meter")
    shot(agent_tab, "devices-agent-workspace-during-call", meter=page.locator("#ws-devices-meter"))
    page.locator("#ws-devices-done").click()

    # Camera off: picking a camera opens none; turning it on opens the one picked.
    page.locator("#ws-camera").click()
    page.locator("#ws-local-off").wait_for()
    opened = len(page.evaluate("() => window.__gum"))
    page.locator("#ws-devices").click()
    page.locator("#ws-devices-camera-note").wait_for()
    select(page, "#ws-devices-camera", cameras[OTHER])
    time.sleep(1)
    assert [g for g in page.evaluate("() => window.__gum")[opened:] if g["video"]] == [], "no camera while it is off"
    assert "video" not in page.evaluate(SENT, "__workspace")
    page.locator("#ws-devices-done").click()
    page.locator("#ws-camera").click()
    sends(page, "__workspace", "the camera picked while off", video=cameras[OTHER])
    frames_increase(consumer_frames, "the consumer to decode the camera turned on")

    # The microphone in use is unplugged (its track ends): the default one is used, with the account's notice.
    page.evaluate(
        """() => { const t = window.__workspace.session.localStream.getAudioTracks()[0]; window.__unplugged = t;
                   t.stop(); t.dispatchEvent(new Event("ended")); }"""
    )
    page.locator(".ws-toast").filter(has_text="Mic gone: using the default one.").wait_for()
    wait_until(
        lambda: page.evaluate(
            """() => { const s = window.__workspace.session.pc.getSenders().find((s) => s.track && s.track.kind === "audio");
                       return s.track !== window.__unplugged && s.track.readyState === "live"; }"""
        ),
        "a live default microphone on the audio sender",
    )
    assert asgi_server.run(_latest_call, account_id=account.pk).state == Call.State.ACTIVE
    shot(agent_tab, "devices-agent-microphone-unplugged")

    # A reload rejoins: the remembered devices (the second camera, the first microphone) are captured.
    page.reload(wait_until="networkidle")
    page.wait_for_selector("#ws-call[data-call-state='active']", timeout=CALL_TIMEOUT_MS)
    sends(page, "__workspace", "the remembered devices", audio=microphones[0], video=cameras[OTHER])
    agent_tab.assert_no_console_errors("agent devices")
    consumer_tab.assert_no_console_errors("agent devices (consumer)")


def test_agent_device_dialog_on_a_phone(tab, asgi_server, account, agent):
    """The workspace on a phone: the device dialog fits before the call and during it, with its preview
    and meter."""
    phone = tab(viewport=PHONE)
    open_workspace(phone, agent)
    consumer_tab = tab()
    window = open_window(consumer_tab, "/engage/demo/")
    conversation_id = asgi_server.run(_latest_conversation_id, account_id=account.pk)
    page = phone.page
    row(phone, conversation_id).locator(".ws-conv-item").click()
    page.locator("#ws-devices-open").click()
    page.locator("#ws-devices-dialog[data-camera='on']").wait_for()
    meter_moves(page, "#ws-devices-meter")
    shot(phone, "devices-agent-phone-before-call", meter=page.locator("#ws-devices-meter"))
    page.locator("#ws-devices-done").click()

    page.locator("#ws-call-video").click()
    window.locator("#engage-accept").click()
    active_call(asgi_server, account)
    page.locator("#ws-devices").click()
    page.locator("#ws-devices-dialog[data-camera='on']").wait_for()
    meter_moves(page, "#ws-devices-meter")
    shot(phone, "devices-agent-phone-during-call", meter=page.locator("#ws-devices-meter"))
    phone.assert_no_console_errors("agent phone devices")
