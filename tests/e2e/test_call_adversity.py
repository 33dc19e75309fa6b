"""The call client under adversity, in real Chromium: camera and microphone permission denied, no
devices at all, and two cameras to switch between (issue 15).

Each adversity needs a Chromium started with other flags than the package's shared one:
  * denied: fake devices but no `--use-fake-ui-for-media-stream` and nothing granted -> NotAllowedError
  * no devices: the fake permission UI but no `--use-fake-device-for-media-stream` -> NotFoundError
  * two cameras: `--use-fake-device-for-media-stream=device-count=3`, fake_device_1 left out of
    `enumerateDevices`: Chromium's fake_device_1 is a Y16 depth camera the WebRTC encoder cannot send
    (tests/e2e/test_fake_cameras.py shows it without our code), so a phone's two colour cameras are
    fake_device_0 (I420) and fake_device_2 (MJPEG)
The other side is the shared browser (fake camera and microphone, permission granted).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from django.db.models import Sum

from accounts.models import Account, User
from calls import services
from calls.models import Call
from reporting.models import SessionRollup
from settings_profiles.models import AccountCallSettings
from tests.conftest import require_service
from tests.e2e.conftest import (
    CHROME_UA,
    CHROMIUM,
    CHROMIUM_ARGS,
    TIMEOUT_MS,
    TURNSERVER,
    VIEWPORT,
    AsgiLiveServer,
    Web,
    coturn_command,
)
from tests.e2e.test_engagement_window import open_window
from tests.e2e.test_workspace_page import (
    CALL_TIMEOUT_MS,
    FRAMES_DECODED_JS,
    Consumer,
    open_workspace,
    row,
    wait_until,
)
from tests.factories import AccountFactory, UserFactory

pytestmark = pytest.mark.e2e

FAKE_DEVICES = "--use-fake-device-for-media-stream"
FAKE_UI = "--use-fake-ui-for-media-stream"
BASE_ARGS = [a for a in CHROMIUM_ARGS if a not in (FAKE_DEVICES, FAKE_UI)]
BROWSER_ARGS = {
    "denied": [*BASE_ARGS, FAKE_DEVICES],
    "no_devices": [*BASE_ARGS, FAKE_UI],
    "two_cameras": [*BASE_ARGS, FAKE_UI, f"{FAKE_DEVICES}=device-count=3"],
}
# In every frame of a "two_cameras" tab: the depth camera is not listed (see the module's docstring).
HIDE_DEPTH_CAMERA = """
(() => {
  const devices = navigator.mediaDevices;
  if (!devices || !devices.enumerateDevices) return;
  const original = devices.enumerateDevices.bind(devices);
  devices.enumerateDevices = async () => (await original()).filter((d) => d.label !== "fake_device_1");
})();
"""


@pytest.fixture
def other_browsers(browser) -> Iterator[Callable[[str], object]]:
    """Chromium started with one adversity's flags, on the package's Playwright (closed after the test)."""
    launched: dict[str, object] = {}

    def get(kind: str):
        if kind not in launched:
            launched[kind] = browser.browser_type.launch(
                executable_path=str(CHROMIUM), headless=True, args=BROWSER_ARGS[kind]
            )
        return launched[kind]

    yield get
    for chromium in launched.values():
        chromium.close()


@pytest.fixture
def tab_in(other_browsers, asgi_server, artifacts_dir) -> Iterator[Callable[[str], Web]]:
    """A tab (its own context) in the Chromium of one adversity, or in the shared one ("normal")."""
    contexts = []
    screenshots = artifacts_dir / "screenshots"
    screenshots.mkdir(parents=True, exist_ok=True)

    def open_tab(kind: str) -> Web:
        chromium = other_browsers(kind)
        context = chromium.new_context(viewport=VIEWPORT, locale="en-US", user_agent=CHROME_UA)
        context.set_default_timeout(TIMEOUT_MS)
        if kind == "two_cameras":
            context.add_init_script(HIDE_DEPTH_CAMERA)
        contexts.append(context)
        page = context.new_page()
        web = Web(page=page, base_url=asgi_server.url, screenshots=screenshots)
        page.on("console", lambda m: m.type == "error" and web.errors.append(m.text))
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


def _call(call_id: int) -> Call:
    return Call.objects.get(pk=call_id)


def _latest_call(conversation_id: int) -> Call | None:
    return Call.objects.filter(conversation_id=conversation_id).order_by("-id").first()


def ended_call(server: AsgiLiveServer, conversation_id: int, state: str) -> Call:
    found: list[Call] = []

    def probe() -> bool:
        call = server.run(_latest_call, conversation_id=conversation_id)
        if call is not None and call.state == state:
            found.append(call)
            return True
        return False

    wait_until(probe, f"the call to be {state}")
    return found[0]


def _failures(account_id: int) -> dict:
    rows = SessionRollup.objects.filter(account_id=account_id, interval="hour")
    return rows.aggregate(
        sessions=Sum("sessions"),
        permission=Sum("failed_permission_denied"),
        devices=Sum("failed_no_devices"),
    )


def metrics(server: AsgiLiveServer, call: Call, **expected: int) -> None:
    """The reporting rollup of the call's hour, as the rollup task queued by the call's end wrote it."""
    seen: list[dict] = []

    def probe() -> bool:
        seen.append(server.run(_failures, account_id=call.conversation.account_id))
        return seen[-1] == expected

    try:
        wait_until(probe, f"the rollup to count {expected}", timeout_s=20)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; last read {seen[-1]}") from exc


def _conversation_id_of_window(server: AsgiLiveServer, account: Account) -> int:
    from calls.models import Conversation

    def latest() -> int | None:
        c = Conversation.objects.filter(account_id=account.pk).order_by("-id").first()
        return c.pk if c else None

    found: list[int] = []
    wait_until(lambda: (cid := server.run(latest)) and found.append(cid) is None, "the window's conversation")
    return found[0]


def invite_from_workspace(agent_tab: Web, conversation_id: int, media: str = "video") -> None:
    row(agent_tab, conversation_id).locator(".ws-conv-item").click()
    agent_tab.page.locator(f"#ws-call-{media}").click()


# --- 1. permission denied ---------------------------------------------------------------------------------


def test_consumer_denies_camera_and_microphone(tab_in, asgi_server, account, agent):
    """
    GIVEN an agent in the workspace and a consumer whose browser denies camera and microphone
    WHEN the agent invites to a video call and the consumer accepts in the messaging window
    THEN the call ends `failed` with `permission_denied`; the consumer reads what to do (allow the
         devices for the site, ask for a new call), the agent reads what to ask the consumer; the
         reporting rollup counts one permission failure
    """
    agent_tab, consumer_tab = tab_in("two_cameras"), tab_in("denied")
    open_workspace(agent_tab, agent)
    window = open_window(consumer_tab, "/engage/demo/")
    conversation_id = _conversation_id_of_window(asgi_server, account)
    invite_from_workspace(agent_tab, conversation_id)
    window.locator("#engage-accept").click()

    call = ended_call(asgi_server, conversation_id, "failed")
    assert call.end_reason == "permission_denied"
    error = window.locator("#engage-call-error")
    error.wait_for()
    assert error.inner_text() == (
        "Access to the microphone or camera was not allowed. Allow them for this site "
        "(the camera icon in the address bar), then ask the agent to call again."
    )
    assert window.hook("window.__engage.session") is None, "nothing kept from the failed call"
    # The transcript says it was the consumer's devices, in the consumer's words.
    window.locator(".msg-system .msg-text").filter(has_text="could not start: Access to the microphone").wait_for()
    consumer_tab.screenshot("adversity-consumer-permission-denied")

    page = agent_tab.page
    title = page.locator("#ws-ended-title")
    title.filter(has_text="Call failed").wait_for()
    assert title.inner_text() == "Call failed: Access to the microphone or camera was denied on the consumer's side"
    assert page.locator("#ws-ended-detail").inner_text() == (
        "Ask the consumer to allow the microphone and camera for the page (the camera icon in their address bar), "
        "then invite them again."
    )
    agent_tab.screenshot("adversity-agent-sees-consumer-denied")
    metrics(asgi_server, call, sessions=1, permission=1, devices=0)


AGENT_DENIED = (
    "The agent's microphone or camera could not be used (access was not allowed in the agent's browser). "
    "The agent can call you again once it is fixed."
)


def test_agent_denies_camera_and_microphone(tab_in, asgi_server, account, agent):
    """
    GIVEN an agent whose browser denies camera and microphone, and a consumer with working devices
    WHEN the agent invites to a video call and the consumer accepts in the messaging window
    THEN the call ends `failed` with `permission_denied`; the agent reads what to do in their own
         browser; the consumer's window and both transcripts say it was the agent's microphone or
         camera (not advice about the consumer's devices, which are fine); the rollup counts it
    """
    agent_tab, consumer_tab = tab_in("denied"), tab_in("two_cameras")
    open_workspace(agent_tab, agent)
    window = open_window(consumer_tab, "/engage/demo/")
    conversation_id = _conversation_id_of_window(asgi_server, account)
    invite_from_workspace(agent_tab, conversation_id)
    window.locator("#engage-accept").click()

    call = ended_call(asgi_server, conversation_id, "failed")
    assert call.end_reason == "permission_denied"
    page = agent_tab.page
    title = page.locator("#ws-ended-title")
    title.filter(has_text="Call failed").wait_for()
    assert title.inner_text() == "Call failed: Access to your microphone or camera was denied"
    assert page.locator("#ws-ended-detail").inner_text() == (
        "Allow the microphone and camera for this site (the camera icon in the address bar), then call again."
    )
    line = f"The video call could not start: {AGENT_DENIED}"
    page.locator("#ws-transcript .ws-msg-system").filter(has_text=line).wait_for()
    agent_tab.screenshot("adversity-agent-permission-denied")
    error = window.locator("#engage-call-error")
    error.filter(has_text=AGENT_DENIED).wait_for()
    assert error.inner_text() == AGENT_DENIED
    window.locator(".msg-system .msg-text").filter(has_text=line).wait_for()
    consumer_tab.screenshot("adversity-consumer-sees-agent-denied")
    consumer_tab.page.set_viewport_size({"width": 390, "height": 844})
    consumer_tab.screenshot("adversity-consumer-sees-agent-denied-phone")
    metrics(asgi_server, call, sessions=1, permission=1, devices=0)


# --- 2. no devices ----------------------------------------------------------------------------------------


def test_consumer_without_devices_is_told_at_accept(tab_in, asgi_server, account, agent):
    """
    GIVEN a consumer whose browser has no camera and no microphone
    WHEN a video invitation shows (readiness says so and leaves only Decline: tests/e2e/test_readiness.py)
         and the window accepts anyway (as an own window without the check could)
    THEN the call ends `failed` with a device reason at once; the window says what to do; the agent is
         told the consumer has no usable devices; the rollup counts a device failure
    """
    agent_tab, consumer_tab = tab_in("two_cameras"), tab_in("no_devices")
    open_workspace(agent_tab, agent)
    window = open_window(consumer_tab, "/engage/demo/")
    conversation_id = _conversation_id_of_window(asgi_server, account)
    invite_from_workspace(agent_tab, conversation_id)
    window.locator("#engage-readiness[data-tone='blocked']").wait_for()
    assert window.locator("#engage-accept").is_hidden()
    window.hook("window.__engage.controller.accept()")

    call = ended_call(asgi_server, conversation_id, "failed")
    assert call.end_reason in ("no_devices", "no_microphone", "no_camera")
    assert call.answered_at is None or call.connected_at is None
    error = window.locator("#engage-call-error")
    error.wait_for()
    assert error.inner_text().startswith("No microphone or camera was found on this device. Connect one")
    consumer_tab.screenshot("adversity-consumer-no-devices")
    page = agent_tab.page
    title = page.locator("#ws-ended-title")
    title.filter(has_text="Call failed").wait_for()
    assert title.inner_text().endswith("was found on the consumer's side"), title.inner_text()
    assert "suggest they join from a phone" in page.locator("#ws-ended-detail").inner_text()
    agent_tab.screenshot("adversity-agent-sees-consumer-without-devices")
    metrics(asgi_server, call, sessions=1, permission=0, devices=1)


def test_agent_without_devices_is_told_before_inviting(tab_in, asgi_server, account, agent):
    """
    GIVEN an agent whose browser has no camera and no microphone, and a consumer's conversation
    WHEN the agent opens the conversation
    THEN the call buttons are unavailable with words naming the missing devices, and no call exists
    """
    agent_tab, consumer_tab = tab_in("no_devices"), tab_in("two_cameras")
    open_workspace(agent_tab, agent)
    consumer = Consumer.start(consumer_tab, account, "Dana Smith")
    row(agent_tab, consumer.conversation_id).locator(".ws-conv-item").click()
    page = agent_tab.page
    page.locator("#ws-device-banner").wait_for()
    assert page.locator("#ws-device-text").inner_text() == (
        "No microphone and no camera were found. Connect a microphone to make voice calls, and a camera for video calls."
    )
    for media in ("voice", "video"):
        button = page.locator(f"#ws-call-{media}")
        assert button.is_hidden() or button.is_disabled(), f"{media}: an agent without devices cannot invite"
    agent_tab.screenshot("adversity-agent-no-devices")
    assert asgi_server.run(_latest_call, conversation_id=consumer.conversation_id) is None


# --- 3. two cameras ---------------------------------------------------------------------------------------


def test_two_cameras_show_the_switch_and_it_sends_the_other_camera(tab_in, asgi_server, account, agent):
    """
    GIVEN a consumer whose device has two cameras, in a video call with an agent
    WHEN the consumer presses the switch-camera button
    THEN the button shows (it does not with one camera), the sent video track and the self view now
         capture the other camera (deviceId fallback: fake devices have no facingMode), and the agent
         keeps decoding the consumer's video; pressing it again goes back to the first, still decoded
    """
    agent_tab, consumer_tab = tab_in("two_cameras"), tab_in("two_cameras")
    open_workspace(agent_tab, agent)
    window = open_window(consumer_tab, "/engage/demo/")
    conversation_id = _conversation_id_of_window(asgi_server, account)
    invite_from_workspace(agent_tab, conversation_id)
    window.locator("#engage-accept").click()
    window.locator("#engage-call[data-state='active']").wait_for(timeout=CALL_TIMEOUT_MS)
    page = agent_tab.page
    wait_until(lambda: page.evaluate(FRAMES_DECODED_JS, "__workspace") > 0, "the agent to decode video")
    # Two cameras and nothing chosen yet: the device sheet opened after accepting (test_call_devices.py).
    window.locator("#engage-devices").wait_for()
    window.locator("#engage-devices-done").click()

    switch = window.locator("#engage-switch-camera")
    switch.wait_for()
    sent_device = (
        "() => window.__engage.session.pc.getSenders().find((s) => s.track && s.track.kind === 'video')"
        ".track.getSettings().deviceId"
    )
    before = window.hook(sent_device.removeprefix("() => "))
    switch.click()
    wait_until(lambda: window.hook(sent_device.removeprefix("() => ")) != before, "the other camera to be sent")
    devices = window.frame.evaluate(
        "async () => (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === 'videoinput').map((d) => d.deviceId)"
    )
    assert window.hook(sent_device.removeprefix("() => ")) in devices
    # The self view shows the camera that is sent.
    assert window.hook(
        "document.getElementById('engage-local-video').srcObject.getVideoTracks()[0].getSettings().deviceId"
    ) == window.hook(sent_device.removeprefix("() => "))
    # The peer keeps decoding the other camera.
    decoded = page.evaluate(FRAMES_DECODED_JS, "__workspace")
    wait_until(
        lambda: page.evaluate(FRAMES_DECODED_JS, "__workspace") > decoded + 30, "the agent to decode the other camera"
    )
    consumer_tab.screenshot("adversity-two-cameras-switched")
    consumer_tab.page.set_viewport_size({"width": 390, "height": 844})
    consumer_tab.screenshot("adversity-two-cameras-switched-phone")
    # Switching back goes to the first camera again, still decoded.
    switch.click()
    wait_until(lambda: window.hook(sent_device.removeprefix("() => ")) == before, "the first camera again")
    decoded = page.evaluate(FRAMES_DECODED_JS, "__workspace")
    wait_until(lambda: page.evaluate(FRAMES_DECODED_JS, "__workspace") > decoded + 30, "the agent to decode it again")


# --- 6. a consumer that vanishes --------------------------------------------------------------------------

GRACE_S = 6


def _set_grace(account_id: int, seconds: int) -> None:
    AccountCallSettings.objects.filter(account_id=account_id).update(reconnect_grace_s=seconds)


def _sweep() -> int:
    return services.call_sweep()


def _active_call_in_window(tab_in, asgi_server, account, agent):
    """An agent in the workspace and a consumer in the window, in a connected video call."""
    asgi_server.run(_set_grace, account_id=account.pk, seconds=GRACE_S)
    agent_tab, consumer_tab = tab_in("two_cameras"), tab_in("two_cameras")
    open_workspace(agent_tab, agent)
    window = open_window(consumer_tab, "/engage/demo/")
    conversation_id = _conversation_id_of_window(asgi_server, account)
    invite_from_workspace(agent_tab, conversation_id)
    window.locator("#engage-accept").click()
    window.locator("#engage-call[data-state='active']").wait_for(timeout=CALL_TIMEOUT_MS)
    page = agent_tab.page
    wait_until(lambda: page.evaluate(FRAMES_DECODED_JS, "__workspace") > 0, "the agent to decode video")
    return agent_tab, consumer_tab, conversation_id


def test_consumer_gone_shorter_than_the_grace_resumes(tab_in, asgi_server, account, agent):
    """
    GIVEN a connected video call, the account's reconnect grace short (6 s)
    WHEN the consumer's page goes away (socket and media gone) and comes back within the grace
    THEN the window rejoins the same call, media flows again both ways, and a sweep after the grace
         (as beat runs it) leaves the call active
    """
    agent_tab, consumer_tab, conversation_id = _active_call_in_window(tab_in, asgi_server, account, agent)
    call_id = asgi_server.run(_latest_call, conversation_id=conversation_id).pk
    consumer_tab.page.goto("about:blank")  # the page is gone: its socket and its peer connection
    time.sleep(2)
    consumer_tab.page.goto(consumer_tab.base_url + "/engage/demo/", wait_until="networkidle")
    frame = consumer_tab.page.frame_locator("#vvc-frame")
    frame.locator("#engage-call[data-state='active']").wait_for(timeout=CALL_TIMEOUT_MS)
    handle = consumer_tab.page.locator("#vvc-frame").element_handle().content_frame()
    handle.wait_for_function(
        "() => { const v = document.getElementById('engage-remote-video'); return v.srcObject && v.videoWidth > 0; }",
        timeout=CALL_TIMEOUT_MS,
    )
    page = agent_tab.page
    decoded = page.evaluate(FRAMES_DECODED_JS, "__workspace")
    wait_until(lambda: page.evaluate(FRAMES_DECODED_JS, "__workspace") > decoded, "the agent to decode again")
    time.sleep(GRACE_S + 1)
    asgi_server.run(_sweep)
    assert asgi_server.run(_call, call_id=call_id).state == Call.State.ACTIVE
    consumer_tab.screenshot("adversity-consumer-back-within-grace")


def test_consumer_gone_longer_than_the_grace_drops(tab_in, asgi_server, account, agent):
    """
    GIVEN a connected video call, the account's reconnect grace short (6 s)
    WHEN the consumer's browser context is closed and does not come back
    THEN after the grace the call is `dropped` with `consumer_gone`; the agent reads that the consumer's
         connection was lost; the transcript says the call dropped
    """
    agent_tab, consumer_tab, conversation_id = _active_call_in_window(tab_in, asgi_server, account, agent)
    consumer_tab.page.context.close()

    def dropped() -> bool:
        asgi_server.run(_sweep)  # what beat (and every daphne's clock) runs
        call = asgi_server.run(_latest_call, conversation_id=conversation_id)
        return call.state != Call.State.ACTIVE

    wait_until(dropped, "the call to end", timeout_s=GRACE_S + 20)
    call = asgi_server.run(_latest_call, conversation_id=conversation_id)
    assert (call.state, call.end_reason) == ("dropped", "consumer_gone")
    page = agent_tab.page
    page.locator("#ws-ended-title").filter(has_text="Call dropped").wait_for()
    assert "The consumer's connection was lost" in page.locator("#ws-ended-detail").inner_text()
    page.locator("#ws-transcript .ws-msg-system").get_by_text("The video call was disconnected after").wait_for()
    agent_tab.screenshot("adversity-agent-consumer-gone")


# --- 5. an ICE restart that cannot work: the relay goes down and stays down -----------------------------

# Chromium: ~5 s without packets -> `disconnected`; the client waits 3 s, restarts ICE (fresh TURN
# credentials from `call.ice`), and gives up after 2 restarts (policy.js) -> `call.hangup` ice_failed.
ICE_GIVE_UP_BOUND_S = 120  # docs/reliability.md: generous, the machine is shared


class KillableTurn:
    """A coturn of this test alone, so it can be SIGKILLed without harming the package's."""

    def __init__(self, work, log) -> None:
        import secrets
        import socket
        from contextlib import closing

        with closing(socket.socket(socket.AF_INET, socket.SOCK_DGRAM)) as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.secret = secrets.token_urlsafe(24)
        self.work, self.log = work, log
        self.url = f"turn:127.0.0.1:{self.port}?transport=udp"
        self.process = None

    def start(self) -> None:
        import subprocess

        # Its own relay ports, apart from the shared coturn's (50000-50999) and the thin one's (52000-52999).
        command = coturn_command(
            port=self.port, secret=self.secret, work=self.work, log=self.log, relay_ports=(51000, 51999)
        )
        self.log.write_text("")
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
        wait_until(lambda: "Total General servers" in self.log.read_text(), "coturn to start", timeout_s=10)

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def killable_turn(tmp_path, artifacts_dir):
    require_service("coturn", TURNSERVER.exists(), f"needs {TURNSERVER} (apt-get install coturn)")
    turn = KillableTurn(tmp_path, artifacts_dir / "coturn-killable.log")
    turn.start()
    yield turn
    turn.kill()


def _force_relay(account_id: int, url: str, secret: str) -> None:
    call_settings = AccountCallSettings.objects.get(account_id=account_id)
    call_settings.force_relay = True
    call_settings.turn_rest_urls = [url]
    call_settings.turn_rest_shared_secret = secret
    call_settings.turn_rest_ttl_s = 600
    call_settings.full_clean()
    call_settings.save()


def _dropped(account_id: int) -> int:
    rows = SessionRollup.objects.filter(account_id=account_id, interval="hour")
    return rows.aggregate(n=Sum("dropped"))["n"] or 0


def test_relay_down_for_good_drops_the_call_with_ice_failed(tabs, asgi_server, account, agent, killable_turn):
    """
    GIVEN a relayed video call through a real coturn (force relay)
    WHEN coturn is SIGKILLed mid-call and stays down
    THEN both sides' ICE restarts fail and the call ends `dropped` / `ice_failed` within the documented
         bound: both sides are told, the transcript says the call was disconnected, the rollup counts it
    """
    asgi_server.run(_force_relay, account_id=account.pk, url=killable_turn.url, secret=killable_turn.secret)
    agent_tab, consumer_tab = tabs(), tabs()
    open_workspace(agent_tab, agent)
    consumer = Consumer.start(consumer_tab, account, "Dana Smith")
    invite_from_workspace(agent_tab, consumer.conversation_id)
    call_id = consumer.ringing_call_id()
    consumer.accept(call_id)
    page = agent_tab.page
    page.wait_for_selector("#ws-call[data-call-state='active']", timeout=CALL_TIMEOUT_MS)
    wait_until(lambda: page.evaluate(FRAMES_DECODED_JS, "__workspace") > 0, "the agent to decode relayed video")

    killable_turn.kill()
    started = time.monotonic()
    found: list[Call] = []

    def ended() -> bool:
        c = asgi_server.run(_call, call_id=call_id)
        if c.state != Call.State.ACTIVE:
            found.append(c)
            return True
        return False

    wait_until(ended, "the call to end after the relay died", timeout_s=ICE_GIVE_UP_BOUND_S)
    took = time.monotonic() - started
    call = found[0]
    assert (call.state, call.end_reason) == ("dropped", "ice_failed"), f"after {took:.0f} s"
    print(f"relay down -> dropped/ice_failed in {took:.1f} s")
    page.locator("#ws-ended-title").filter(has_text="Call dropped").wait_for()
    assert "No network path between you and the consumer" in page.locator("#ws-ended-detail").inner_text()
    assert page.locator("#ws-toasts .ws-toast-error").count() == 0, "the second hang-up is no error to show"
    consumer.wait_for("f.type === 'call.state' && f.call.state === 'dropped' && f.call.reason === 'ice_failed'")
    page.locator("#ws-transcript .ws-msg-system").get_by_text("The video call was disconnected after").wait_for()
    agent_tab.screenshot("adversity-agent-relay-down")
    wait_until(
        lambda: asgi_server.run(_dropped, account_id=account.pk) == 1, "the rollup to count the drop", timeout_s=20
    )
