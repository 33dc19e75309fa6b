"""The consumer side in real Chromium: the brand's script tag, the embedded messaging window, the
invitation with the account's texts and style, accept/reject, analytics to each tracker, and the mobile
webview page closed mid-call.

The pages talk to /ws/consumer/, so they need an ASGI server: pytest-django's `live_server` is a WSGI
server without WebSockets. `asgi_server` runs daphne (the production server) in a thread of this process,
on the test database, with the in-process channel layer (or Redis when REDIS_URL is set). The agent side
is driven from Python through calls.services, run on that server's event loop (`asgi_server.run`) so
their frames reach the browser's socket; where a call must really connect, a second browser context
logged in as the agent runs the shared CallSession (static/calls/callclient.js) as the agent.

Screenshots go to the artifacts dir (TEST_ARTIFACTS, default test-artifacts/) under screenshots/.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from django.utils import timezone

from accounts.models import Account, User
from calls import services
from calls.models import Call, CommandReceipt, Conversation, Message
from calls.tokens import consumer_token_for
from settings_profiles.models import AccountCallSettings
from tests.e2e.conftest import CHROME_UA, TIMEOUT_MS, VIEWPORT, AsgiLiveServer, Web
from tests.factories import PASSWORD, AccountFactory, UserFactory

pytestmark = pytest.mark.e2e

ANDROID_WEBVIEW_UA = (
    "Mozilla/5.0 (Linux; Android 15; Pixel 9 Build/AP4A; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Version/4.0 Chrome/156.0.0.0 Mobile Safari/537.36"
)
PHONE = {"width": 390, "height": 844}


def new_web(
    browser, server: AsgiLiveServer, artifacts_dir, *, user_agent=CHROME_UA, viewport=VIEWPORT, bypass_csp=False
) -> Web:
    context = browser.new_context(viewport=viewport, locale="en-US", user_agent=user_agent, bypass_csp=bypass_csp)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    screenshots = artifacts_dir / "screenshots"
    screenshots.mkdir(parents=True, exist_ok=True)
    web = Web(page=page, base_url=server.url, screenshots=screenshots)
    page.on(
        "console",
        lambda message: (
            message.type == "error" and web.errors.append(f"{message.text} ({message.location.get('url')})")
        ),
    )
    page.on("pageerror", lambda error: web.errors.append(f"uncaught: {error}"))
    return web


@pytest.fixture
def consumer(browser, asgi_server, artifacts_dir) -> Iterator[Web]:
    """The consumer's browser: a desktop Chrome (a supported user agent; headless Chromium's is not)."""
    web = new_web(browser, asgi_server, artifacts_dir)
    try:
        yield web
    finally:
        web.page.context.close()


@pytest.fixture
def open_contexts(browser, asgi_server, artifacts_dir) -> Iterator[Callable[..., Web]]:
    """More browsers (the agent peer, the phone), closed after the test."""
    made: list[Web] = []

    def make(**kwargs) -> Web:
        web = new_web(browser, asgi_server, artifacts_dir, **kwargs)
        made.append(web)
        return web

    yield make
    for web in made:
        web.page.context.close()


# --- the agent: services from Python, and a real peer for calls that must connect -----------------------

# The agent's half of a call: the shared call client as the agent (the workspace's engine, without its UI).
AGENT_PEER_SCRIPT = """
import { SignalingSocket, socketUrl } from "/static/calls/signaling.js";
import { CallSession } from "/static/calls/callclient.js";
const socket = new SignalingSocket(socketUrl("/ws/agent/"));
const peer = (window.peer = { socket, session: null, hello: null, states: [], chain: Promise.resolve(), early: [] });
socket.addEventListener("hello", ({ detail }) => { peer.hello = detail; });
socket.addEventListener("call.state", ({ detail }) => {
  const { call, ice, media } = detail;
  peer.states.push(call.state);
  if ((call.state === "connecting" || call.state === "active") && !peer.session) {
    const session = new CallSession({ socket, party: "agent", call, ice, media });
    peer.session = session;
    peer.chain = session.start();
    for (const frame of peer.early.splice(0)) peer.chain = peer.chain.then(() => session.handleSignal(frame.signal));
  } else if (!["ringing", "connecting", "active"].includes(call.state) && peer.session) {
    peer.session.close();
    peer.session = null;
  }
});
socket.addEventListener("call.signal", ({ detail }) => {
  if (peer.session) peer.chain = peer.chain.then(() => peer.session.handleSignal(detail.signal)).catch(() => {});
  else peer.early.push(detail);
});
socket.connect();
"""


def start_agent_peer(make: Callable[..., Web], agent: User) -> Web:
    """A logged-in agent whose page answers calls with the shared CallSession (real WebRTC).

    The script runs in a real page of our server (/healthz): Chromium's local network access checks
    refuse sockets to 127.0.0.1 from a page that Playwright fulfilled itself. That page's
    Content-Security-Policy forbids inline scripts, rightly; this harness (not a product page) is
    let through with Playwright's bypass_csp.
    """
    web = make(bypass_csp=True)
    web.login(agent.email, PASSWORD)
    web.open("/healthz")
    web.page.add_script_tag(content=AGENT_PEER_SCRIPT, type="module")
    try:
        web.page.wait_for_function("() => window.peer && window.peer.hello !== null")
    except Exception as exc:
        raise AssertionError(f"the agent peer did not connect: {web.errors}") from exc
    return web


def wait_for(what: Callable, *, timeout: float = 15, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = what()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {message}")
        time.sleep(0.1)


def _latest_conversation(account_id: int) -> Conversation | None:
    return Conversation.objects.filter(account_id=account_id).order_by("-id").first()


def _call(call_id: int) -> Call:
    return Call.objects.get(pk=call_id)


def _assign_and_invite(agent: User, conversation_id: int, media: str) -> int:
    conversation = Conversation.objects.get(pk=conversation_id)
    if conversation.state == Conversation.State.QUEUED:
        services.conversation_take(agent=agent, conversation_id=conversation_id)
    return services.call_invite(agent=agent, conversation_id=conversation_id, media=media).pk


@dataclass
class Window:
    """The messaging window inside the brand page's iframe."""

    web: Web
    frame: object  # playwright Frame

    def locator(self, selector: str):
        return self.frame.locator(selector)

    def hook(self, expression: str):
        return self.frame.evaluate(f"() => {expression}")


FIRST_MESSAGE = "Hello, I need help with my modem."


def open_window(web: Web, path: str, *, write: str | None = FIRST_MESSAGE) -> Window:
    """Open a brand page with the tag and click the launcher; unless `write` is None, write the first
    message (which starts the conversation) and wait for the window's socket to bring it back."""
    web.open(path)
    web.page.locator("#vvc-launcher").click()
    web.page.wait_for_selector("#vvc-frame")
    frame = web.page.frame_locator("#vvc-frame")
    frame.locator("#engage-root[data-state='ready']").wait_for()
    handle = web.page.locator("#vvc-frame").element_handle()
    window = Window(web=web, frame=handle.content_frame())
    if write is not None:
        write_message(window, write)
    return window


def write_message(window: Window, text: str) -> None:
    window.locator("#engage-input").fill(text)
    window.locator("#engage-send").click()
    window.locator(".msg-consumer .msg-text").filter(has_text=text).last.wait_for()


def conversation_of(server: AsgiLiveServer, account: Account, *, after: int = 0) -> Conversation:
    return wait_for(
        lambda: (c := server.run(_latest_conversation, account_id=account.pk)) and c.pk > after and c,
        message="the window's conversation",
    )


def call_state(server: AsgiLiveServer, call_id: int, state: str, timeout: float = 20) -> Call:
    return wait_for(
        lambda: (c := server.run(_call, call_id=call_id)).state == state and c,
        timeout=timeout,
        message=f"call {call_id} to be {state}",
    )


PEER_STATE = """() => { const s = %s; if (!s || !s.pc) return s ? "no peer connection yet" : "no session";
  const pc = s.pc; return {signaling: pc.signalingState, connection: pc.connectionState, ice: pc.iceConnectionState,
  local: pc.localDescription && pc.localDescription.type, remote: pc.remoteDescription && pc.remoteDescription.type}; }"""


def connected(server: AsgiLiveServer, call_id: int, window: Window | Web, peer: Web) -> Call:
    """Wait for the call to be active; on a timeout, say what each side's peer connection was doing."""
    try:
        return call_state(server, call_id, "active", timeout=30)
    except AssertionError as exc:
        target = window.frame if isinstance(window, Window) else window.page
        errors = window.web.errors if isinstance(window, Window) else window.errors
        consumer_side = target.evaluate(PEER_STATE % "window.__engage.session")
        agent_side = peer.page.evaluate(PEER_STATE % "window.peer.session")
        raise AssertionError(
            f"{exc}; consumer: {consumer_side}; agent: {agent_side}; console: {errors + peer.errors}"
        ) from exc


# --- the script tag refuses where it must --------------------------------------------------------------


def test_script_refuses_inside_an_iframe(consumer, asgi_server):
    """
    GIVEN a page of the brand that frames another page carrying the tag
    WHEN both load
    THEN the framed copy refuses with a console error naming the topmost-frame rule and adds nothing
    """
    outer = f"{asgi_server.url}/__brand__/outer/"
    inner = f"{asgi_server.url}/__brand__/inner/"
    page = consumer.page
    page.route(
        outer,
        lambda route: route.fulfill(
            content_type="text/html", body=f'<!doctype html><h1>Brand</h1><iframe id="shop" src="{inner}"></iframe>'
        ),
    )
    page.route(
        inner,
        lambda route: route.fulfill(
            content_type="text/html",
            body='<!doctype html><p>framed shop</p><script src="/static/engage/engagement.js" data-account="acme" async></script>',
        ),
    )
    with page.expect_console_message(lambda m: m.type == "error" and "topmost frame" in m.text) as message:
        page.goto(outer)
    assert message.value.text.startswith("[vvc engagement] Not started")
    framed = page.frame(url=inner)
    framed.wait_for_load_state()
    assert framed.evaluate("() => !document.getElementById('vvc-engagement') && !window.vvcEngagement")


def test_script_refuses_on_plain_http(consumer, asgi_server):
    """
    GIVEN a brand page on http://brand.test/ (not HTTPS, not localhost) with our script from our server
    WHEN it loads
    THEN the script refuses with a console error naming HTTPS, and shows no launcher
    """
    page = consumer.page
    page.route(
        "http://brand.test/**",
        lambda route: route.fulfill(
            content_type="text/html",
            body=(
                "<!doctype html><title>Brand</title><h1>Insecure brand page</h1>"
                f'<script src="{asgi_server.url}/static/engage/engagement.js" data-account="acme" async></script>'
            ),
        ),
    )
    # Chromium's Private Network Access refuses a public http page's request to 127.0.0.1 before our
    # script could even run; Playwright fetches the script from our server for the page instead.
    page.route(f"{asgi_server.url}/static/engage/engagement.js", lambda route: route.fulfill(response=route.fetch()))
    with page.expect_console_message(lambda m: m.type == "error" and "[vvc engagement]" in m.text) as message:
        page.goto("http://brand.test/support")
    assert "served over http" in message.value.text and "HTTPS" in message.value.text
    assert page.locator("#vvc-launcher").count() == 0


# --- the demo page, the window and the invitation ---------------------------------------------------------


@pytest.fixture
def demo_account(transactional_db) -> Account:
    return AccountFactory(slug="demo", name="Acme Telecom")


def test_demo_page_opens_the_window_and_messages_flow(consumer, asgi_server, demo_account):
    """
    GIVEN the demo brand page with the tag for account `demo`
    WHEN the visitor opens the launcher (and only looks), then writes
    THEN opening creates nothing; the first message starts a web messaging conversation in an embedded
    window (our origin, camera/microphone allowed), the agent's reply shows in the transcript; a reload
    of the page rejoins the same conversation
    """
    agent = UserFactory(account=demo_account, name="Alex Agent")
    window = open_window(consumer, "/engage/demo/", write=None)
    iframe = consumer.page.locator("#vvc-frame")
    assert iframe.get_attribute("allow") == "camera; microphone; autoplay; display-capture"
    assert iframe.get_attribute("src").startswith(f"{asgi_server.url}/engage/window/?account=demo")
    # Only looking: no conversation, nothing in any agent's inbox, and the composer is ready.
    assert window.locator("#engage-input").is_enabled()
    assert window.locator(".msg-greeting").is_visible()
    assert asgi_server.run(_latest_conversation, account_id=demo_account.pk) is None
    consumer.screenshot("engage-window-before-first-message")

    write_message(window, "Hello, my modem blinks red since this morning.")
    conversation = conversation_of(asgi_server, demo_account)
    assert conversation.channel == Conversation.Channel.WEB_MESSAGING
    assert asgi_server.run(_texts, conversation_id=conversation.pk) == [
        "Hello, my modem blinks red since this morning."
    ]
    asgi_server.run(services.conversation_take, agent=agent, conversation_id=conversation.pk)
    asgi_server.run(
        services.message_send,
        conversation_id=conversation.pk,
        party="agent",
        text="Sorry to hear that! Let me have a look <b>together</b> with you.",
        agent=agent,
    )
    reply = window.locator(".msg-agent .msg-text").filter(has_text="Let me have a look")
    reply.wait_for()
    assert reply.text_content() == "Sorry to hear that! Let me have a look <b>together</b> with you."  # text, not HTML
    window.locator("#engage-presence").filter(has_text="Our support team is here").wait_for()
    consumer.screenshot("engage-demo-window")

    consumer.page.reload(wait_until="networkidle")
    consumer.page.locator("#vvc-frame").wait_for(state="attached")  # reopened: the visitor talked to us
    frame = consumer.page.frame_locator("#vvc-frame")
    frame.locator(".msg-consumer .msg-text").filter(has_text="modem blinks red").wait_for()
    assert asgi_server.run(_latest_conversation, account_id=demo_account.pk).pk == conversation.pk
    consumer.assert_no_console_errors("demo page")


def _texts(conversation_id: int) -> list[str]:
    return list(Message.objects.filter(conversation_id=conversation_id).order_by("pk").values_list("text", flat=True))


def _conversation_count(account_id: int) -> int:
    return Conversation.objects.filter(account_id=account_id).count()


@pytest.mark.parametrize("viewport", [VIEWPORT, PHONE], ids=["desktop", "phone"])
def test_the_window_follows_the_visitor_to_the_next_page(browser, asgi_server, demo_account, artifacts_dir, viewport):
    """
    GIVEN a visitor who opened the window on page 1 without writing, went to page 2 and back
    WHEN they write on page 1 and then follow the link to page 2
    THEN only the message created a conversation (one, however often the window was opened); on page 2
    the window is back, open, with the same transcript, and the visitor carries on there
    """
    web = new_web(browser, asgi_server, artifacts_dir, viewport=viewport)
    try:
        name = "desktop" if viewport == VIEWPORT else "phone"
        open_window(web, "/engage/demo/", write=None)
        web.open("/engage/demo/page-2/")
        assert web.page.locator("#vvc-frame").count() == 0  # only looked: nothing follows yet
        assert asgi_server.run(_conversation_count, account_id=demo_account.pk) == 0

        window = open_window(web, "/engage/demo/", write="Which light should be on?")
        conversation = conversation_of(asgi_server, demo_account)
        if viewport == VIEWPORT:
            web.page.click("#demo-nav-internet")
        else:  # the open window covers the phone's screen: the visitor goes on by the address bar
            web.page.goto(f"{asgi_server.url}/engage/demo/page-2/", wait_until="networkidle")
        web.page.wait_for_url("**/engage/demo/page-2/**")
        web.page.locator("#vvc-panel.open #vvc-frame").wait_for()
        frame = web.page.locator("#vvc-frame").element_handle().content_frame()
        window = Window(web=web, frame=frame)
        window.locator(".msg-consumer .msg-text").filter(has_text="Which light should be on?").wait_for()
        write_message(window, "The internet light blinks red.")
        assert asgi_server.run(_conversation_count, account_id=demo_account.pk) == 1
        assert asgi_server.run(_texts, conversation_id=conversation.pk) == [
            "Which light should be on?",
            "The internet light blinks red.",
        ]
        assert web.page.locator("#demo-page-title").text_content() == "Your Acme Hub modem, light by light"
        web.screenshot(f"engage-demo-page-2-{name}")
        web.assert_no_console_errors("two pages")
    finally:
        web.page.context.close()


def _customise(account: Account, **fields) -> None:
    AccountCallSettings.objects.filter(account=account).update(**fields)


INVITATION_STYLE = {
    "invitation_background": "#FFF7ED",
    "invitation_text_color": "#7C2D12",
    "invitation_border_color": "#FB923C",
    "invitation_border_width": 3,
    "invitation_border_radius": 20,
    "accept_button_background": "#0F766E",
    "accept_button_text_color": "#F0FDFA",
    "reject_button_background": "#E5E7EB",
    "reject_button_text_color": "#111827",
}
INVITATION_TEXTS = {
    "invitation_title_video": "{agent_name} wants to see your modem",
    "invitation_body_video": "A quick video call with {brand_name} support fixes most modems in minutes.",
    "invitation_accept": "Start video",
    "invitation_reject": "Not now",
}


def test_invitation_shows_the_account_texts_and_style_and_accept_connects(
    consumer, asgi_server, demo_account, open_contexts
):
    """
    GIVEN an account with its own invitation texts and colours, and an agent online
    WHEN the agent invites the window's conversation to a video call and the consumer accepts
    THEN the invitation shows those texts and colours; accepting stores the client check and the call
    connects for real (both sides' ICE connected, the remote video plays); ending it completes it
    """
    _customise(demo_account, sdk_style=INVITATION_STYLE, texts=INVITATION_TEXTS)
    agent = UserFactory(account=demo_account, name="Alex Agent")
    peer = start_agent_peer(open_contexts, agent)
    window = open_window(consumer, "/engage/demo/")
    conversation = conversation_of(asgi_server, demo_account)
    assert conversation.agent_id == agent.pk  # routed to the online agent

    # Before the consumer accepts, nothing asks for the camera or microphone.
    assert window.hook("window.__engage.session") is None
    call_id = asgi_server.run(_assign_and_invite, agent=agent, conversation_id=conversation.pk, media="video")
    invitation = window.locator("#engage-invitation")
    invitation.wait_for()
    assert window.locator("#engage-invitation-title").text_content() == "Alex Agent wants to see your modem"
    assert (
        window.locator("#engage-invitation-body").text_content()
        == "A quick video call with Acme Telecom support fixes most modems in minutes."
    )
    assert window.locator("#engage-accept").text_content() == "Start video"
    assert window.locator("#engage-reject").text_content() == "Not now"
    looks = invitation.evaluate(
        """(el) => { const s = getComputedStyle(el), a = getComputedStyle(document.getElementById('engage-accept')),
                     r = getComputedStyle(document.getElementById('engage-reject'));
          return {bg: s.backgroundColor, color: s.color, border: s.borderTopColor, width: s.borderTopWidth,
                  radius: s.borderTopLeftRadius, acceptBg: a.backgroundColor, acceptColor: a.color,
                  rejectBg: r.backgroundColor, rejectColor: r.color}; }"""
    )
    assert looks == {
        "bg": "rgb(255, 247, 237)",
        "color": "rgb(124, 45, 18)",
        "border": "rgb(251, 146, 60)",
        "width": "3px",
        "radius": "20px",
        "acceptBg": "rgb(15, 118, 110)",
        "acceptColor": "rgb(240, 253, 250)",
        "rejectBg": "rgb(229, 231, 235)",
        "rejectColor": "rgb(17, 24, 39)",
    }
    assert consumer.page.locator("#vvc-panel.open").count() == 1
    consumer.screenshot("engage-invitation")

    window.locator("#engage-accept").click()
    call = connected(asgi_server, call_id, window, peer)
    assert call.consumer_browser == "Chrome 156"
    window.locator("#engage-call[data-state='active']").wait_for()
    window.frame.wait_for_function(
        "() => { const v = document.getElementById('engage-remote-video'); return v.srcObject && v.videoWidth > 0; }"
    )
    assert window.hook("window.__engage.session.pc.connectionState") == "connected"
    peer.page.wait_for_function("() => window.peer.session && window.peer.session.pc.connectionState === 'connected'")
    window.locator("#engage-call-timer").wait_for()
    assert window.locator("#engage-switch-camera").is_hidden()  # one (fake) camera: nothing to switch to
    time.sleep(1.5)  # a few decoded frames, for the screenshot
    consumer.screenshot("engage-in-call")

    window.locator("#engage-mute").click()
    assert window.locator("#engage-mute").get_attribute("aria-pressed") == "true"
    assert window.locator("#engage-mute .call-btn-label").text_content() == "Unmute"
    window.locator("#engage-camera").click()
    assert window.locator("#engage-camera .call-btn-label").text_content() == "Camera on"
    window.locator("#engage-self[data-camera='off']").wait_for()

    window.locator("#engage-end").click()
    ended = call_state(asgi_server, call_id, "completed")
    assert ended.end_reason == "consumer_hangup"
    window.locator("#engage-call-ended").wait_for()
    assert window.locator("#engage-call-ended-text").text_content().startswith("The video call ended after 0:")
    window.locator(".msg-system .msg-text").filter(has_text="ended after").wait_for()
    consumer.screenshot("engage-call-ended")
    window.locator("#engage-call-dismiss").click()
    window.locator("#engage-composer").wait_for()
    assert window.hook("window.__engage.session") is None
    consumer.assert_no_console_errors("invitation and call")


def test_decline_rejects_the_call(consumer, asgi_server, demo_account):
    """
    GIVEN a voice invitation in the window
    WHEN the consumer declines
    THEN the call is rejected in the database, the invitation goes away, the transcript says so, and the
    camera and microphone were never asked for
    """
    agent = UserFactory(account=demo_account, name="Sam Voice")
    window = open_window(consumer, "/engage/demo/")
    conversation = conversation_of(asgi_server, demo_account)
    call_id = asgi_server.run(_assign_and_invite, agent=agent, conversation_id=conversation.pk, media="voice")
    window.locator("#engage-invitation[data-media='voice']").wait_for()
    assert window.locator("#engage-invitation-title").text_content() == "Voice call invitation"
    assert window.locator("#engage-reject").text_content() == "Decline"
    window.locator("#engage-reject").click()
    call = call_state(asgi_server, call_id, "rejected")
    assert call.end_reason == "rejected"
    window.locator("#engage-invitation").wait_for(state="hidden")
    window.locator(".msg-system .msg-text").filter(has_text="The voice call was declined.").wait_for()
    assert window.locator("#engage-call").is_hidden()
    assert window.hook("window.__engage.session") is None
    consumer.assert_no_console_errors("decline")


def _expire_now(call_id: int) -> int:
    Call.objects.filter(pk=call_id).update(ring_deadline=timezone.now())
    return services.call_sweep()


def test_unanswered_invitation_expires_on_both_sides(consumer, asgi_server, demo_account, open_contexts):
    """
    GIVEN a video invitation from an agent in the workspace, showing in the consumer's window
    WHEN nobody answers until the ring deadline and the sweeper runs
    THEN the call is expired with `no_answer`, the invitation leaves the window, the window's
         transcript says the call was missed, and the agent's workspace shows "Missed call"
    """
    agent = UserFactory(account=demo_account, name="Mo Missed")
    agent_tab = open_contexts()
    agent_tab.login(agent.email, PASSWORD)
    agent_tab.page.wait_for_selector("#ws-connection[data-state='online']")
    window = open_window(consumer, "/engage/demo/")
    conversation = conversation_of(asgi_server, demo_account)
    agent_tab.page.locator(f"li[data-conversation-id='{conversation.pk}'] .ws-conv-item").click()
    agent_tab.page.locator("#ws-call-video").click()
    window.locator("#engage-invitation[data-media='video']").wait_for()
    call_id = call_state(asgi_server, conversation.calls.get().pk, "ringing").pk

    assert asgi_server.run(_expire_now, call_id=call_id) == 1
    call = call_state(asgi_server, call_id, "expired")
    assert call.end_reason == "no_answer"
    window.locator("#engage-invitation").wait_for(state="hidden")
    window.locator(".msg-system .msg-text").filter(has_text="Missed video call.").wait_for()
    agent_tab.page.locator("#ws-ended-title").filter(has_text="Missed call").wait_for()
    assert "did not answer the video call" in agent_tab.page.locator("#ws-ended-detail").inner_text()
    agent_tab.screenshot("workspace-call-missed")
    consumer.assert_no_console_errors("missed call")


def test_unsupported_browser_sees_the_error_in_words(browser, asgi_server, demo_account, artifacts_dir):
    """
    GIVEN a consumer whose browser is not supported (an old Firefox user agent)
    WHEN an invitation shows, and they accept it anyway (as an own window without the check could)
    THEN the invitation says so before answering and offers only Decline (readiness); the accepted call
    fails as unsupported_browser and the window shows the account's error text
    """
    web = new_web(
        browser,
        asgi_server,
        artifacts_dir,
        user_agent="Mozilla/5.0 (X11; Linux x86_64; rv:90.0) Gecko/20100101 Firefox/90.0",
    )
    try:
        agent = UserFactory(account=demo_account)
        window = open_window(web, "/engage/demo/")
        conversation = conversation_of(asgi_server, demo_account)
        call_id = asgi_server.run(_assign_and_invite, agent=agent, conversation_id=conversation.pk, media="video")
        window.locator("#engage-readiness[data-tone='blocked']").wait_for()
        assert window.locator("#engage-accept").is_hidden()
        window.hook("window.__engage.controller.accept()")
        call = call_state(asgi_server, call_id, "failed")
        assert call.end_reason == "unsupported_browser"
        window.locator("#engage-call-error").wait_for()
        assert window.locator("#engage-call-error").text_content() == (
            "This browser cannot take part in calls. Please use a current Chrome, Firefox, Safari or Edge."
        )
        assert window.hook("window.__engage.session") is None
    finally:
        web.page.context.close()


def test_reload_during_a_call_rejoins_it(consumer, asgi_server, demo_account, open_contexts):
    """
    GIVEN a connected video call in the window
    WHEN the brand page is reloaded
    THEN the window comes back into the same call (hello.call), builds a new peer connection and the
    media flows again within the reconnect grace; the call stays active throughout
    """
    agent = UserFactory(account=demo_account, name="Alex Agent")
    peer = start_agent_peer(open_contexts, agent)
    window = open_window(consumer, "/engage/demo/")
    conversation = conversation_of(asgi_server, demo_account)
    call_id = asgi_server.run(_assign_and_invite, agent=agent, conversation_id=conversation.pk, media="video")
    window.locator("#engage-accept").click()
    connected(asgi_server, call_id, window, peer)

    consumer.page.reload(wait_until="networkidle")
    frame = consumer.page.frame_locator("#vvc-frame")
    frame.locator("#engage-call[data-state='active']").wait_for()
    handle = consumer.page.locator("#vvc-frame").element_handle().content_frame()
    handle.wait_for_function(
        "() => window.__engage.session && window.__engage.session.pc && "
        "window.__engage.session.pc.connectionState === 'connected'",
        timeout=30_000,
    )
    handle.wait_for_function(
        "() => { const v = document.getElementById('engage-remote-video'); return v.srcObject && v.videoWidth > 0; }"
    )
    assert asgi_server.run(_call, call_id=call_id).state == Call.State.ACTIVE


# --- the mobile webview page ---------------------------------------------------------------------------------


def test_webview_closed_mid_call_ends_it_as_webview_closed(asgi_server, demo_account, open_contexts):
    """
    GIVEN an app's conversation (its own consumer token) and the agent's video invitation
    WHEN the app opens /engage/call/?token=T in a webview, the consumer accepts there, the call connects,
    and then the webview is closed
    THEN the page shows the call full screen with the account's bar colours while it lasts, and closing it
    ends the call with reason webview_closed
    """
    _customise(demo_account, sdk_style={"webview_bar_background": "#0F766E", "webview_bar_text_color": "#F0FDFA"})
    agent = UserFactory(account=demo_account, name="Alex Agent")
    peer = start_agent_peer(open_contexts, agent)
    conversation = asgi_server.run(
        services.conversation_create, account=demo_account, channel=Conversation.Channel.WEB_MESSAGING
    )
    token = consumer_token_for(conversation_id=conversation.pk, account_id=demo_account.pk)
    call_id = asgi_server.run(_assign_and_invite, agent=agent, conversation_id=conversation.pk, media="video")

    phone = open_contexts(user_agent=ANDROID_WEBVIEW_UA, viewport=PHONE)
    phone.open(f"/engage/call/?token={token}")
    page = phone.page
    bar = page.locator("#engage-bar")
    assert bar.evaluate("(el) => getComputedStyle(el).backgroundColor") == "rgb(15, 118, 110)"
    assert bar.evaluate("(el) => getComputedStyle(el).color") == "rgb(240, 253, 250)"
    page.locator("#engage-invitation").wait_for()
    phone.screenshot("engage-webview-invitation")
    page.locator("#engage-accept").click()
    connected(asgi_server, call_id, phone, peer)
    page.wait_for_function(
        "() => { const v = document.getElementById('engage-remote-video'); return v.srcObject && v.videoWidth > 0; }"
    )
    page.wait_for_function("() => /^\\d+:\\d\\d$/.test(document.getElementById('engage-bar-status').textContent)")
    time.sleep(1.5)
    phone.screenshot("engage-webview")
    phone.assert_no_console_errors("webview")

    page.close(run_before_unload=True)
    call = call_state(asgi_server, call_id, "completed")
    assert call.end_reason == "webview_closed"
    assert call.ended_at is not None and call.ended_at <= timezone.now()


def test_webview_with_a_bad_token_says_so_in_words(consumer, asgi_server):
    """GIVEN a forged token WHEN the webview page opens THEN a 403 page says the link does not work."""
    response = consumer.page.goto(f"{asgi_server.url}/engage/call/?token=forged")
    assert response.status == 403
    assert consumer.page.locator("h1").text_content() == "This call link does not work"
    assert re.search(r"not valid or has expired", consumer.page.locator("main").text_content())


# --- chat during a call (issue 16 item 2) -------------------------------------------------------------------


@pytest.mark.parametrize("viewport", [VIEWPORT, PHONE], ids=["desktop", "phone"])
def test_messages_flow_while_the_call_runs_in_the_window(
    browser, asgi_server, demo_account, open_contexts, artifacts_dir, viewport
):
    """
    GIVEN a connected video call in the window
    WHEN the consumer types a serial number and the agent answers with a link, while media flows
    THEN the window keeps the transcript and the composer below the call; both messages are stored and
    shown, and the call stays active with its peer connection connected
    """
    agent = UserFactory(account=demo_account, name="Alex Agent")
    peer = start_agent_peer(open_contexts, agent)
    web = open_contexts(viewport=viewport)
    window = open_window(web, "/engage/demo/")
    conversation = conversation_of(asgi_server, demo_account)
    call_id = asgi_server.run(_assign_and_invite, agent=agent, conversation_id=conversation.pk, media="video")
    window.locator("#engage-accept").click()
    connected(asgi_server, call_id, window, peer)
    window.locator("#engage-call[data-state='active']").wait_for()

    assert window.locator("#engage-composer").is_visible() and window.locator("#engage-input").is_enabled()
    assert window.locator(".msg-consumer .msg-text").filter(has_text=FIRST_MESSAGE).is_visible()
    write_message(window, "The serial number is AB-1234-XY")
    asgi_server.run(
        services.message_send,
        conversation_id=conversation.pk,
        party="agent",
        text="Thanks! Please open https://acme.test/hub-reset",
        agent=agent,
    )
    window.locator(".msg-agent .msg-text").filter(has_text="acme.test/hub-reset").wait_for()
    texts = asgi_server.run(_texts, conversation_id=conversation.pk)
    assert "The serial number is AB-1234-XY" in texts and "Thanks! Please open https://acme.test/hub-reset" in texts
    assert asgi_server.run(_call, call_id=call_id).state == Call.State.ACTIVE
    assert window.hook("window.__engage.session.pc.connectionState") == "connected"
    window.frame.wait_for_function(
        "() => { const v = document.getElementById('engage-remote-video'); return v.srcObject && v.videoWidth > 0; }"
    )
    time.sleep(1)
    name = "desktop" if viewport == VIEWPORT else "phone"
    web.page.screenshot(path=str(web.screenshots / f"engage-chat-during-call-{name}.png"))
    web.assert_no_console_errors("chat during a call")
    window.locator("#engage-end").click()
    call_state(asgi_server, call_id, "completed")


def test_webview_chat_sheet_during_the_call(asgi_server, demo_account, open_contexts):
    """
    GIVEN an app's conversation with a connected video call in the webview
    WHEN the agent writes, and the consumer opens "Chat" and answers there
    THEN an unread count shows on the bar's Chat button, the sheet shows the transcript over the lower
    part of the call, the answer is stored, and the call stays active
    """
    agent = UserFactory(account=demo_account, name="Alex Agent")
    peer = start_agent_peer(open_contexts, agent)
    conversation = asgi_server.run(
        services.conversation_create, account=demo_account, channel=Conversation.Channel.WEB_MESSAGING
    )
    token = consumer_token_for(conversation_id=conversation.pk, account_id=demo_account.pk)
    call_id = asgi_server.run(_assign_and_invite, agent=agent, conversation_id=conversation.pk, media="video")
    phone = open_contexts(user_agent=ANDROID_WEBVIEW_UA, viewport=PHONE)
    phone.open(f"/engage/call/?token={token}")
    page = phone.page
    page.locator("#engage-accept").click()
    connected(asgi_server, call_id, phone, peer)

    asgi_server.run(
        services.message_send,
        conversation_id=conversation.pk,
        party="agent",
        text="What does the label say?",
        agent=agent,
    )
    page.locator("#engage-chat-unread:not([hidden])").wait_for()
    assert page.locator("#engage-chat-unread").text_content() == "1"
    page.locator("#engage-chat-toggle").click()
    page.locator("#engage-chat .msg-agent .msg-text").filter(has_text="What does the label say?").wait_for()
    assert page.locator("#engage-chat-unread").is_hidden()
    page.locator("#engage-input").fill("It says AB-1234-XY")
    page.locator("#engage-send").click()
    page.locator("#engage-chat .msg-consumer .msg-text").filter(has_text="AB-1234-XY").wait_for()
    assert "It says AB-1234-XY" in asgi_server.run(_texts, conversation_id=conversation.pk)
    assert asgi_server.run(_call, call_id=call_id).state == Call.State.ACTIVE
    time.sleep(1)
    page.screenshot(path=str(phone.screenshots / "engage-webview-chat-during-call.png"))
    phone.assert_no_console_errors("webview chat")
    page.locator("#engage-chat-close").click()
    assert page.locator("#engage-chat").is_hidden()


# --- answer with audio only (issue 16 item 3) ---------------------------------------------------------------

# A browser without a camera: the device list has no videoinput, and asking for video throws (so the
# test also proves that no camera capture is attempted).
NO_CAMERA_SCRIPT = """
(() => {
  const md = navigator.mediaDevices;
  if (!md) return;
  const list = md.enumerateDevices.bind(md), gum = md.getUserMedia.bind(md);
  window.__videoAsked = 0;
  md.enumerateDevices = async () => (await list()).filter((d) => d.kind !== "videoinput");
  md.getUserMedia = async (constraints) => {
    if (constraints && constraints.video) { window.__videoAsked += 1; throw new DOMException("no camera", "NotFoundError"); }
    return gum(constraints);
  };
})();
"""


def _consumer_audio_only(call_id: int) -> bool:
    return Call.objects.get(pk=call_id).consumer_audio_only


@pytest.mark.parametrize(
    ("viewport", "no_camera"),
    [(VIEWPORT, False), (PHONE, False), (VIEWPORT, True)],
    ids=["desktop-chosen", "phone-chosen", "desktop-no-camera"],
)
def test_a_video_invitation_can_be_answered_with_audio_only(
    asgi_server, demo_account, open_contexts, viewport, no_camera
):
    """
    GIVEN a video invitation in the window (and, in one case, a browser without a camera, where the
    readiness check leaves Audio only as the answer: tests/e2e/test_readiness.py)
    WHEN the consumer presses "Audio only"
    THEN the call connects with no camera captured on the consumer's side (no video track, no self view,
    no camera button), the call is marked audio only, and the agent's side gets no video from them
    """
    agent = UserFactory(account=demo_account, name="Alex Agent")
    peer = start_agent_peer(open_contexts, agent)
    web = open_contexts(viewport=viewport)
    if no_camera:
        web.page.context.add_init_script(NO_CAMERA_SCRIPT)
    window = open_window(web, "/engage/demo/")
    conversation = conversation_of(asgi_server, demo_account)
    call_id = asgi_server.run(_assign_and_invite, agent=agent, conversation_id=conversation.pk, media="video")
    window.locator("#engage-invitation").wait_for()
    audio = window.locator("#engage-accept-audio")
    assert audio.is_visible() and audio.text_content().strip() == "Audio only"
    name = ("desktop" if viewport == VIEWPORT else "phone") + ("-no-camera" if no_camera else "")
    web.page.screenshot(path=str(web.screenshots / f"engage-invitation-audio-only-{name}.png"))
    if no_camera:
        window.locator("#engage-readiness[data-tone='limited']").wait_for()
        assert window.locator("#engage-accept").is_hidden()
    audio.click()

    connected(asgi_server, call_id, window, peer)
    assert asgi_server.run(_consumer_audio_only, call_id=call_id) is True
    window.locator("#engage-call[data-state='active'][data-audio-only='true']").wait_for()
    assert window.hook("window.__engage.session.localStream.getVideoTracks().length") == 0
    assert window.hook("window.__engage.session.localStream.getAudioTracks().length") == 1
    assert window.locator("#engage-self").is_hidden() and window.locator("#engage-camera").is_hidden()
    if no_camera:
        assert window.hook("window.__videoAsked") == 0
    peer.page.wait_for_function("() => window.peer.session && window.peer.session.pc.connectionState === 'connected'")
    assert (
        peer.page.evaluate(
            "() => window.peer.session.remoteStream.getVideoTracks().filter((t) => t.readyState === 'live' && !t.muted).length"
        )
        == 0
    )
    time.sleep(1)
    web.page.screenshot(path=str(web.screenshots / f"engage-audio-only-call-{name}.png"))
    web.assert_no_console_errors("audio only")
    window.locator("#engage-end").click()
    call_state(asgi_server, call_id, "completed")


def _consumer_messages(conversation_id: int) -> list[str]:
    return list(
        Message.objects.filter(conversation_id=conversation_id, author="consumer").values_list("text", flat=True)
    )


def _receipts(conversation_id: int) -> list[str]:
    return list(
        CommandReceipt.objects.filter(principal=f"conversation.{conversation_id}.consumer").values_list(
            "command", flat=True
        )
    )


def test_a_message_whose_answer_was_lost_is_resent_with_its_key_and_stored_once(consumer, asgi_server, demo_account):
    """
    GIVEN the consumer's window, connected
    WHEN a message goes out and the socket drops before its answer can arrive
    THEN the window reconnects and resends it with the same idempotency key: the send resolves with
    the message's id, and the message is stored once; the composer's messages carry keys too
    """
    window = open_window(consumer, "/engage/demo/")
    conversation = conversation_of(asgi_server, demo_account)
    answer = window.frame.evaluate(
        """async () => {
            const socket = window.__engage.socket;
            const sending = socket.command({ type: "message.send", text: "Sent as the line dropped" });
            socket.ws.close(4000);  // the answer is lost; the socket reconnects by itself
            return await sending;
        }"""
    )
    assert answer["type"] == "ok" and answer["message_id"]
    assert asgi_server.run(_consumer_messages, conversation_id=conversation.pk) == [
        FIRST_MESSAGE,  # the first message started the conversation (the API's own idempotency key)
        "Sent as the line dropped",
    ]
    window.locator("#engage-input").fill("And one from the composer")
    window.locator("#engage-send").click()
    window.locator(".msg-consumer .msg-text").filter(has_text="from the composer").wait_for()
    assert asgi_server.run(_receipts, conversation_id=conversation.pk) == ["message.send", "message.send"]
    consumer.assert_no_console_errors("resend")
