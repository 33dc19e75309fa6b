"""Readiness before accept (issue 18 item 1), in real Chromium against a real coturn: while the
invitation rings, the consumer's window checks devices, browser, WebRTC and whether the account's
STUN/TURN answer (without asking for the camera or microphone), says in the account's words whether
the call will work and how, reports it to the server (a `readiness` event with causes only), the agent's
workspace shows it, and the rollup counts it.

Browsers: the package's Chromium (fake camera and microphone), the same with the camera taken out of
the device list (NO_CAMERA_SCRIPT), and one started without fake devices (this machine has none).
coturn: the package's relay (conftest `_coturn`, the one command line of every test relay), which
answers STUN on the same port; a closed port stands for servers that never answer.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import closing

import pytest
from django.db.models import Sum

from accounts.models import Account, User
from calls.models import Call, CallEvent
from reporting.models import SessionRollup
from settings_profiles.ice import turn_rest_credential
from settings_profiles.models import AccountCallSettings
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, VIEWPORT, AsgiLiveServer, Web
from tests.e2e.test_engagement_window import (
    ANDROID_WEBVIEW_UA,
    NO_CAMERA_SCRIPT,
    PHONE,
    Window,
    _assign_and_invite,
    call_state,
    conversation_of,
    new_web,
    open_window,
)
from tests.e2e.test_workspace_page import open_workspace, row, wait_until
from tests.factories import PASSWORD, AccountFactory, AdminFactory, UserFactory

pytestmark = pytest.mark.e2e

# The probe gives up after 6 s (ICE_CHECK_TIMEOUT_MS); the shared machine may be slow on top.
CHECKED_MS = 20_000
READY = "Ready: this device and your connection can take the call."
NO_CAMERA = "No camera found: you can join with audio only."
NO_DEVICES = "No microphone or camera found: connect one (or use your phone) to join the call."
RELAYED = "Your network blocks direct calls: the call will be relayed."
BLOCKED = "Calls can't connect from this network. Try another one, such as your phone's mobile data."


@pytest.fixture
def account(transactional_db) -> Account:
    return AccountFactory(slug="demo", name="Acme Telecom")  # the demo page's account


@pytest.fixture
def agent(account) -> User:
    return UserFactory(account=account, name="Alex Agent")


@pytest.fixture
def contexts(browser, asgi_server, artifacts_dir) -> Iterator:
    made: list[Web] = []

    def make(**kwargs) -> Web:
        web = new_web(browser, asgi_server, artifacts_dir, **kwargs)
        made.append(web)
        return web

    yield make
    for web in made:
        web.page.context.close()


@pytest.fixture
def no_device_browser(browser) -> Iterator:
    """Chromium without fake devices: this machine has no camera and no microphone."""
    args = [a for a in CHROMIUM_ARGS if a != "--use-fake-device-for-media-stream"]
    chromium = browser.browser_type.launch(executable_path=str(CHROMIUM), headless=True, args=args)
    yield chromium
    chromium.close()


def closed_udp_port() -> int:
    """A loopback UDP port nobody listens on (bound, then released)."""
    with closing(socket.socket(socket.AF_INET, socket.SOCK_DGRAM)) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _servers(account_id: int, *, ice_servers: list, turn=None, force_relay: bool = False) -> None:
    call_settings = AccountCallSettings.objects.get(account_id=account_id)
    call_settings.ice_servers = ice_servers
    call_settings.turn_rest_urls = [turn.url] if turn else []
    call_settings.turn_rest_shared_secret = turn.secret if turn else ""
    call_settings.turn_rest_ttl_s = 600
    call_settings.force_relay = force_relay
    call_settings.full_clean()
    call_settings.save()


def stun_of(turn) -> str:
    return turn.url.replace("turn:", "stun:").split("?")[0]


def readiness_events(call_id: int) -> list[dict]:
    return list(
        CallEvent.objects.filter(call_id=call_id, kind="readiness").order_by("id").values_list("data", flat=True)
    )


def stored(server: AsgiLiveServer, call_id: int) -> dict:
    """The last readiness report of the call, once the window has sent it."""
    found: list[dict] = []

    def probe() -> bool:
        found[:] = server.run(readiness_events, call_id=call_id)
        return bool(found)

    wait_until(probe, "the readiness report")
    return found[-1]


def _call_in(conversation_id: int) -> int:
    return Call.objects.get(conversation_id=conversation_id).pk


def invite(server: AsgiLiveServer, account: Account, agent: User, window: Window, media: str = "video") -> int:
    conversation = conversation_of(server, account)
    call_id = server.run(_assign_and_invite, agent=agent, conversation_id=conversation.pk, media=media)
    window.locator("#engage-invitation").wait_for()
    return call_id


def checked(target, tone: str | None = None) -> list[str]:
    """The readiness lines once the check has finished (no "checking" line left)."""
    target.locator("#engage-readiness:not([hidden]):not([data-tone='checking'])").wait_for(timeout=CHECKED_MS)
    target.locator("#engage-readiness-list:not(:has([data-tone='checking']))").wait_for(timeout=CHECKED_MS)
    if tone:
        target.locator(f"#engage-readiness[data-tone='{tone}']").wait_for(timeout=CHECKED_MS)
    return [t.strip() for t in target.locator("#engage-readiness-list li").all_text_contents()]


def _rollup(account_id: int) -> dict:
    rows = SessionRollup.objects.filter(account_id=account_id, interval="hour")
    names = ["readiness_checked", "readiness_problems", "readiness_no_camera", "readiness_no_microphone"]
    names += ["readiness_network_blocked", "readiness_direct_blocked", "readiness_relay_unavailable"]
    return {name: value or 0 for name, value in rows.aggregate(**{n: Sum(n) for n in names}).items()}


def rollup_counts(server: AsgiLiveServer, account: Account, **expected: int) -> None:
    seen: list[dict] = []

    def probe() -> bool:
        seen.append(server.run(_rollup, account_id=account.pk))
        return all(seen[-1][k] == v for k, v in expected.items())

    try:
        wait_until(probe, f"the rollup to count {expected}", timeout_s=20)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; last read {seen[-1]}") from exc


def _end(call_id: int) -> None:
    from calls import services

    call = Call.objects.get(pk=call_id)
    if call.is_live:
        services.call_hangup(call_id=call_id, party="agent", agent=call.agent)


# --- 1. everything works: "ready" ------------------------------------------------------------------------


@pytest.mark.parametrize("viewport", [VIEWPORT, PHONE], ids=["desktop", "phone"])
def test_fake_devices_and_a_reachable_relay_read_ready(asgi_server, account, agent, contexts, coturn, viewport):
    """
    GIVEN an account whose STUN and TURN servers are a running coturn, and a consumer with a camera and
          a microphone
    WHEN a video invitation shows in the window
    THEN the window says it is ready, offers the usual answers, asked for no camera or microphone;
         the server stored "ready" with both servers reachable (coturn allocated a relay for the check's
         own credentials); the rollup counts a checked invitation without problems
    """
    asgi_server.run(_servers, account_id=account.pk, ice_servers=[{"urls": stun_of(coturn)}], turn=coturn)
    web = contexts(viewport=viewport)
    web.page.context.add_init_script(
        "window.__gum = 0; const g = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);"
        "navigator.mediaDevices.getUserMedia = (c) => { window.__gum += 1; return g(c); };"
    )
    window = open_window(web, "/engage/demo/")
    call_id = invite(asgi_server, account, agent, window)
    assert checked(window, "ready") == [READY]
    assert window.locator("#engage-accept").is_visible() and window.locator("#engage-accept-audio").is_visible()
    assert window.locator("#engage-invitation-note").text_content() == (
        "After you accept, your browser asks to use your microphone and camera."
    )
    assert window.hook("window.__gum") == 0, "nothing asked for the camera or microphone before accepting"
    name = "desktop" if viewport == VIEWPORT else "phone"
    web.page.screenshot(path=str(web.screenshots / f"readiness-ready-{name}.png"))

    data = stored(asgi_server, call_id)
    assert data == {
        "causes": [],
        "browser": "Chrome 156",
        "webrtc": True,
        "camera": True,
        "microphone": True,
        "stun": "reachable",
        "turn": "reachable",
    }
    wait_until(
        lambda: f"call{call_id}-consumer-check" in coturn.log.read_text(), "coturn to log the check's allocation"
    )
    web.assert_no_console_errors("readiness ready")
    asgi_server.run(_end, call_id=call_id)
    rollup_counts(asgi_server, account, readiness_checked=1, readiness_problems=0)


# --- 2. devices: no camera (audio only offered), nothing at all (only Decline) ----------------------------


def test_no_camera_offers_audio_only_and_the_agent_sees_it(
    asgi_server, account, agent, contexts, browser, artifacts_dir
):
    """
    GIVEN an agent in the workspace and a consumer whose browser has a microphone but no camera
    WHEN the agent invites to a video call
    THEN the window says "No camera found: you can join with audio only", hides the video Accept and
         offers Audio only as the answer; the agent's call panel says the consumer has no camera; the
         consumer joins with audio only and the call connects; the rollup counts one no-camera report
    """
    agent_tab = contexts()
    open_workspace(agent_tab, agent)
    web = contexts()
    web.page.context.add_init_script(NO_CAMERA_SCRIPT)
    window = open_window(web, "/engage/demo/")
    conversation = conversation_of(asgi_server, account)
    row(agent_tab, conversation.pk).locator(".ws-conv-item").click()
    agent_tab.page.locator("#ws-call-video").click()
    window.locator("#engage-invitation").wait_for()
    assert checked(window, "limited") == [NO_CAMERA]
    assert window.locator("#engage-accept").is_hidden()
    audio = window.locator("#engage-accept-audio")
    assert audio.is_visible() and "invitation-audio-main" in audio.get_attribute("class")
    assert window.locator("#engage-invitation-note").text_content() == (
        "After you accept, your browser asks to use your microphone."
    )
    web.screenshot("readiness-no-camera-desktop")

    chip = agent_tab.page.locator("#ws-consumer-readiness li")
    chip.first.wait_for()
    assert chip.all_text_contents() == ["The consumer has no camera: they can join with audio only."]
    agent_tab.screenshot("readiness-workspace-consumer-no-camera")
    call_id = asgi_server.run(_call_in, conversation_id=conversation.pk)
    assert stored(asgi_server, call_id)["causes"] == ["no_camera"]

    audio.click()
    call = call_state(asgi_server, call_id, "active", timeout=30)
    assert call.consumer_audio_only is True
    agent_tab.page.locator("#ws-consumer-readiness li").first.wait_for()  # still shown during the call
    assert window.hook("window.__videoAsked") == 0
    window.locator("#engage-end").click()
    call_state(asgi_server, call_id, "completed")
    rollup_counts(asgi_server, account, readiness_checked=1, readiness_problems=1, readiness_no_camera=1)
    web.assert_no_console_errors("no camera")


def test_no_camera_in_the_phone_webview(asgi_server, account, agent, contexts):
    """The app's webview page (a phone) checks the same way: no camera, audio only offered."""
    from calls import services
    from calls.models import Conversation
    from calls.tokens import consumer_token_for

    conversation = asgi_server.run(
        services.conversation_create, account=account, channel=Conversation.Channel.WEB_MESSAGING
    )
    token = consumer_token_for(conversation_id=conversation.pk, account_id=account.pk)
    call_id = asgi_server.run(_assign_and_invite, agent=agent, conversation_id=conversation.pk, media="video")
    phone = contexts(user_agent=ANDROID_WEBVIEW_UA, viewport=PHONE)
    phone.page.context.add_init_script(NO_CAMERA_SCRIPT)
    phone.open(f"/engage/call/?token={token}")
    page = phone.page
    page.locator("#engage-invitation").wait_for()
    assert checked(page, "limited") == [NO_CAMERA]
    assert page.locator("#engage-accept").is_hidden() and page.locator("#engage-accept-audio").is_visible()
    phone.screenshot("readiness-no-camera-webview-phone")
    assert stored(asgi_server, call_id)["causes"] == ["no_camera"]
    phone.assert_no_console_errors("webview readiness")


@pytest.mark.parametrize("viewport", [VIEWPORT, PHONE], ids=["desktop", "phone"])
def test_no_devices_at_all_leaves_only_decline(asgi_server, account, agent, no_device_browser, artifacts_dir, viewport):
    """
    GIVEN a consumer whose browser has no camera and no microphone (Chromium without fake devices)
    WHEN a video invitation shows
    THEN the window says no microphone or camera was found and offers only Decline; the server stored
         both causes; declining rejects the call and the rollup counts a no-microphone report
    """
    web = new_web(no_device_browser, asgi_server, artifacts_dir, viewport=viewport)
    try:
        window = open_window(web, "/engage/demo/")
        call_id = invite(asgi_server, account, agent, window)
        assert checked(window, "blocked") == [NO_DEVICES]
        assert window.locator("#engage-accept").is_hidden() and window.locator("#engage-accept-audio").is_hidden()
        assert window.locator("#engage-reject").is_visible()
        name = "desktop" if viewport == VIEWPORT else "phone"
        web.page.screenshot(path=str(web.screenshots / f"readiness-no-devices-{name}.png"))
        data = stored(asgi_server, call_id)
        assert (data["causes"], data["camera"], data["microphone"]) == (["no_microphone", "no_camera"], False, False)
        window.locator("#engage-reject").click()
        call_state(asgi_server, call_id, "rejected")
        rollup_counts(asgi_server, account, readiness_checked=1, readiness_problems=1, readiness_no_microphone=1)
        web.assert_no_console_errors("no devices")
    finally:
        web.page.context.close()


# --- 3. the network: relayed, blocked, an expired relay credential ------------------------------------------


def _expired_turn(turn) -> list[dict]:
    """The coturn as a static TURN server whose credential expired an hour ago (TURN REST scheme)."""
    username, credential = turn_rest_credential(secret=turn.secret, participant="expired", ttl_s=-3600)
    return [{"urls": turn.url, "username": username, "credential": credential}]


NETWORKS = {
    # STUN on a closed port, TURN the running coturn: direct calls blocked, the call will be relayed.
    "relayed": (
        lambda turn, closed: ([{"urls": f"stun:127.0.0.1:{closed}"}], turn, False),
        [RELAYED],
        "limited",
        {"stun": "unreachable", "turn": "reachable"},
        ["direct_blocked"],
    ),
    # Both servers on a closed port: only host candidates.
    "closed-port": (
        lambda turn, closed: (
            [
                {"urls": f"stun:127.0.0.1:{closed}"},
                {"urls": f"turn:127.0.0.1:{closed}?transport=udp", "username": "1:x", "credential": "x"},
            ],
            None,
            False,
        ),
        [BLOCKED],
        "warning",
        {"stun": "unreachable", "turn": "unreachable"},
        ["network_blocked"],
    ),
    # Relay only, and the relay refuses an expired credential.
    "expired-relay-credential": (
        lambda turn, closed: (_expired_turn(turn), None, True),
        [BLOCKED],
        "warning",
        {"stun": "not_configured", "turn": "refused"},
        ["network_blocked"],
    ),
}


@pytest.mark.parametrize("network", list(NETWORKS))
def test_the_network_check_says_how_the_call_will_go(asgi_server, account, agent, contexts, coturn, network):
    """
    GIVEN an account whose STUN server does not answer while its TURN does (relayed), whose servers
          both sit on a closed port (closed-port), or which forces relay through a TURN server that
          refuses its expired credential (expired-relay-credential)
    WHEN a video invitation shows
    THEN the window says so in the account's words, still lets the consumer try (Accept stays), the
         server stored what each kind of server answered and the cause, and the rollup counts it
    """
    build, lines, tone, answered, causes = NETWORKS[network]
    ice_servers, turn, force_relay = build(coturn, closed_udp_port())
    asgi_server.run(_servers, account_id=account.pk, ice_servers=ice_servers, turn=turn, force_relay=force_relay)
    for viewport, name in ((VIEWPORT, "desktop"), (PHONE, "phone")):
        web = contexts(viewport=viewport)
        window = open_window(web, "/engage/demo/")
        call_id = invite(asgi_server, account, agent, window)
        assert checked(window, tone) == lines
        assert window.locator("#engage-accept").is_visible()
        web.page.screenshot(path=str(web.screenshots / f"readiness-network-{network}-{name}.png"))
        data = stored(asgi_server, call_id)
        assert {k: data[k] for k in ("stun", "turn")} == answered
        assert data["causes"] == causes
        web.assert_no_console_errors(f"network {network}")
        asgi_server.run(_end, call_id=call_id)
        web.page.context.close()
    column = {"direct_blocked": "readiness_direct_blocked", "network_blocked": "readiness_network_blocked"}[causes[0]]
    rollup_counts(asgi_server, account, readiness_checked=2, readiness_problems=2, **{column: 2})
    if network == "relayed":
        admin_sees_the_readiness_report(asgi_server, account, contexts, call_id)


def admin_sees_the_readiness_report(server: AsgiLiveServer, account: Account, contexts, call_id: int) -> None:
    """The account admin's reports page counts the readiness problems; the call detail lists the report."""
    admin = AdminFactory(account=account, email="ada@acme.example", name="Ada Admin")
    for viewport, name in ((VIEWPORT, "desktop"), (PHONE, "phone")):
        web = contexts(viewport=viewport)
        web.login(admin.email, PASSWORD)
        web.open("/console/reports/")
        card = web.page.locator("#readiness-card")
        assert "2 of 2 checked invitations had a problem" in card.inner_text()
        assert card.locator("[data-cause='readiness_direct_blocked'] .meter-value").inner_text() == "2"
        card.scroll_into_view_if_needed()
        card.screenshot(path=str(web.screenshots / f"readiness-reports-card-{name}.png"))
        web.open(f"/console/reports/calls/{call_id}/")
        event = web.page.locator("tr.event-readiness")
        assert "Direct calls blocked (relayed)" in event.inner_text() and "unreachable" in event.inner_text()
        web.screenshot(f"readiness-call-detail-{name}")
        web.assert_no_console_errors("reports")


def test_accepting_before_the_check_ends_reports_what_it_knew(asgi_server, account, agent, contexts, coturn):
    """
    GIVEN servers that never answer (the check would run its full 6 s)
    WHEN the consumer answers at once
    THEN the report goes before the answer with the network not checked (no network cause), and the
         call goes on as usual
    """
    closed = closed_udp_port()
    asgi_server.run(_servers, account_id=account.pk, ice_servers=[{"urls": f"stun:127.0.0.1:{closed}"}], turn=None)
    web = contexts()
    window = open_window(web, "/engage/demo/")
    call_id = invite(asgi_server, account, agent, window, media="voice")
    window.locator("#engage-readiness-list [data-tone='checking']").wait_for(timeout=TIMEOUT_MS)
    window.locator("#engage-reject").click()
    call_state(asgi_server, call_id, "rejected")
    data = stored(asgi_server, call_id)
    assert (data["stun"], data["turn"], data["causes"]) == ("not_checked", "not_configured", [])
    assert window.locator("#engage-readiness").is_hidden()
    web.assert_no_console_errors("answered early")


def test_ua_outside_the_floors_reads_the_unsupported_browser_text(asgi_server, account, agent, contexts):
    """An old browser reads the account's unsupported-browser words before answering; only Decline."""
    web = contexts(user_agent="Mozilla/5.0 (X11; Linux x86_64; rv:90.0) Gecko/20100101 Firefox/90.0")
    window = open_window(web, "/engage/demo/")
    call_id = invite(asgi_server, account, agent, window, media="voice")
    assert checked(window, "blocked") == [
        "This browser cannot take part in calls. Please use a current Chrome, Firefox, Safari or Edge."
    ]
    assert window.locator("#engage-accept").is_hidden()
    assert stored(asgi_server, call_id)["causes"] == ["unsupported_browser"]
    web.assert_no_console_errors("unsupported browser")
