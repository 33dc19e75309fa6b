"""The agent workspace in real Chromium against a real ASGI server: the agent's page talks to
/ws/agent/, a consumer is driven from a second browser context over /ws/consumer/ with the same
shared call client the product uses, and real WebRTC media flows (fake camera and microphone).

Screenshots land in the artifacts dir under screenshots/workspace-*.png.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from accounts.models import Account, User
from calls.models import Call, Conversation
from tests.e2e.conftest import TIMEOUT_MS, VIEWPORT, Web
from tests.factories import PASSWORD, AccountFactory, ProfileFactory, UserFactory

pytestmark = pytest.mark.e2e

CALL_TIMEOUT_MS = 30_000


# --- The consumer: the shared call client driven from a page of the same site -----------------------

CONSUMER_JS = """
async ({account, name}) => {
  const { SignalingSocket, socketUrl } = await import("/static/calls/signaling.js");
  const { CallSession, clientCapabilities } = await import("/static/calls/callclient.js");
  const response = await fetch("/api/v1/conversations/", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ account, channel: "web_messaging", consumer_name: name }),
  });
  if (response.status !== 201) throw new Error(`conversation API answered ${response.status}`);
  const created = await response.json();
  const socket = new SignalingSocket(socketUrl(`/ws/consumer/?token=${encodeURIComponent(created.consumer_token)}`));
  const consumer = (window.__consumer = { socket, frames: [], session: null, chain: Promise.resolve(), early: [], CallSession, clientCapabilities });
  socket.addEventListener("frame", ({ detail }) => consumer.frames.push(detail));
  socket.addEventListener("call.state", ({ detail }) => {
    const call = detail.call;
    if (["connecting", "active"].includes(call.state) && !consumer.session) {
      const session = (consumer.session = new CallSession({ socket, party: "consumer", call, ice: detail.ice, media: detail.media }));
      consumer.chain = session.start();
      // The agent's offer (prepared while ringing) may come before this frame: kept, in order.
      for (const frame of consumer.early.splice(0)) {
        if (frame.call_id === call.id) consumer.chain = consumer.chain.then(() => session.handleSignal(frame.signal));
      }
    } else if (!["ringing", "connecting", "active"].includes(call.state) && consumer.session) {
      consumer.session.close();
      consumer.session = null;  // the next call gets its own session
    }
  });
  socket.addEventListener("call.signal", ({ detail }) => {
    if (!consumer.session) return void consumer.early.push(detail);
    consumer.chain = consumer.chain.then(() => consumer.session?.handleSignal(detail.signal));
  });
  const hello = new Promise((resolve) => socket.addEventListener("hello", resolve, { once: true }));
  socket.connect();
  await hello;
  return created.id;
}
"""


@dataclass
class Consumer:
    """A consumer in their own browser tab, with a conversation of `account`."""

    web: Web
    conversation_id: int
    last_call_id: int = 0

    @classmethod
    def start(cls, web: Web, account: Account, name: str) -> Consumer:
        web.open("/accounts/login/")  # any page of the site: the modules load same-origin
        conversation_id = web.page.evaluate(CONSUMER_JS, {"account": account.slug, "name": name})
        return cls(web=web, conversation_id=conversation_id)

    def say(self, text: str) -> None:
        self.web.page.evaluate("(text) => window.__consumer.socket.request({type: 'message.send', text})", text)

    def wait_for(self, condition_js: str, timeout: int = TIMEOUT_MS) -> None:
        """Wait until some received frame `f` makes `condition_js` (an expression of f) true."""
        self.web.page.wait_for_function(f"() => window.__consumer.frames.some((f) => {condition_js})", timeout=timeout)

    def ringing_call_id(self) -> int:
        """The id of a new invitation (newer than any this consumer has seen before)."""
        seen = self.last_call_id
        self.wait_for(f"f.type === 'call.state' && f.call.state === 'ringing' && f.call.id > {seen}")
        self.last_call_id = self.web.page.evaluate(
            "() => window.__consumer.frames.filter((f) => f.type === 'call.state' && f.call.state === 'ringing').at(-1).call.id"
        )
        return self.last_call_id

    def accept(self, call_id: int, user_agent: str | None = None) -> None:
        self.web.page.evaluate(
            """async ({callId, userAgent}) => {
                 const client = await window.__consumer.clientCapabilities();
                 if (userAgent) client.user_agent = userAgent;
                 return window.__consumer.socket.request({type: "call.accept", call_id: callId, client});
               }""",
            {"callId": call_id, "userAgent": user_agent},
        )

    def frames_decoded(self) -> int:
        return self.web.page.evaluate(FRAMES_DECODED_JS, "__consumer")


FRAMES_DECODED_JS = """
async (hook) => {
  const pc = window[hook]?.session?.pc;
  if (!pc) return 0;
  let frames = 0;
  (await pc.getStats()).forEach((s) => { if (s.type === "inbound-rtp" && s.kind === "video") frames += s.framesDecoded ?? 0; });
  return frames;
}
"""
AUDIO_RECEIVED_JS = """
async () => {
  const pc = window.__workspace?.session?.pc;
  if (!pc) return 0;
  let bytes = 0;
  (await pc.getStats()).forEach((s) => { if (s.type === "inbound-rtp" && s.kind === "audio") bytes += s.bytesReceived ?? 0; });
  return bytes;
}
"""


def wait_until(probe: Callable[[], object], what: str, timeout_s: float = CALL_TIMEOUT_MS / 1000) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if probe():
            return
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def open_workspace(web: Web, user: User) -> None:
    web.login(user.email, PASSWORD)
    assert web.page.url.endswith("/workspace/"), f"the agent lands in the workspace, not {web.page.url}"
    web.page.wait_for_selector("#ws-connection[data-state='online']")


def row(web: Web, conversation_id: int):
    return web.page.locator(f"li[data-conversation-id='{conversation_id}']")


def transcript(web: Web):
    return web.page.locator("#ws-transcript")


# --- Tests ------------------------------------------------------------------------------------------


@pytest.fixture
def account(transactional_db) -> Account:
    return AccountFactory(slug="acme", name="Acme Telecom")


@pytest.fixture
def agent(account) -> User:
    return UserFactory(account=account, email="andy@acme.example", name="Andy Agent")


def test_agent_takes_a_conversation_messages_and_invites(tabs, account, agent):
    """
    GIVEN a consumer waiting in the queue before the agent is online
    WHEN the agent opens the workspace, another consumer writes in, the agent takes the waiting one,
         they exchange messages, the agent invites to a voice call and cancels, then invites again
         and the consumer accepts from an unsupported browser
    THEN the list, the transcript, the ringing state and the call's end show it in words
    """
    agent_tab, waiting_tab, routed_tab = tabs(), tabs(), tabs()
    waiting = Consumer.start(waiting_tab, account, "Casey Jones")
    waiting.say("Hi, my modem keeps blinking red. Can someone help?")

    open_workspace(agent_tab, agent)
    page = agent_tab.page
    assert row(agent_tab, waiting.conversation_id).locator(".ws-row-take").is_visible()
    routed = Consumer.start(routed_tab, account, "Robin Park")  # the agent is online: routed to them
    routed.say("Hello! Is my order on its way?")
    routed_row = row(agent_tab, routed.conversation_id)
    routed_row.locator(".ws-unread").filter(has_text="1").wait_for()
    assert page.locator("#ws-mine").get_by_text("Robin Park").is_visible()
    assert page.locator("#ws-queue").get_by_text("Casey Jones").is_visible()
    agent_tab.screenshot("workspace-list")

    # Take the waiting conversation: its transcript (written while queued) is there.
    row(agent_tab, waiting.conversation_id).locator(".ws-row-take").click()
    page.locator("#ws-mine").get_by_text("Casey Jones").wait_for()
    assert page.locator("#ws-conv-name").inner_text() == "Casey Jones"
    transcript(agent_tab).get_by_text("my modem keeps blinking red").wait_for()

    # Messages both ways; text is data, never markup.
    page.locator("#ws-composer-input").fill("Hello Casey, I'm Andy. Let's sort out that modem.")
    page.keyboard.press("Enter")
    transcript(agent_tab).locator(".ws-msg-agent").get_by_text("Let's sort out that modem.").wait_for()
    waiting.wait_for("f.type === 'message' && f.message.author === 'agent' && f.message.text.includes('sort out')")
    waiting.say("<b>Thanks!</b> It is a FritzBox 7590.")
    transcript(agent_tab).locator(".ws-msg-consumer").get_by_text("<b>Thanks!</b> It is a FritzBox 7590.").wait_for()
    assert transcript(agent_tab).locator("b").count() == 0
    assert page.locator("#ws-call-voice").is_enabled() and page.locator("#ws-call-video").is_enabled()
    agent_tab.screenshot("workspace-conversation")

    # Ringing, then cancel.
    page.locator("#ws-call-voice").click()
    page.locator("#ws-ringing").get_by_text("Calling… waiting for the consumer").wait_for()
    assert page.locator("#ws-call").get_attribute("data-call-state") == "ringing"
    assert page.locator("#ws-call-voice").is_disabled()
    waiting.ringing_call_id()
    agent_tab.screenshot("workspace-ringing")
    page.locator("#ws-call-cancel").click()
    page.locator("#ws-ended-title").filter(has_text="Call cancelled").wait_for()
    transcript(agent_tab).locator(".ws-msg-system").get_by_text("invitation was cancelled").wait_for()

    # A consumer whose browser cannot call: the call fails, and the agent reads why.
    page.locator("#ws-call-video").click()
    call_id = waiting.ringing_call_id()
    waiting.accept(call_id, user_agent="Mozilla/5.0 (compatible; MSIE 9.0; Windows NT 6.1; Trident/5.0)")
    page.locator("#ws-ended-title").filter(has_text=re.compile(r"^Call failed: .+")).wait_for()
    failed = Call.objects.get(pk=call_id)
    assert failed.state == "failed" and failed.end_reason == "unsupported_browser"
    assert page.locator("#ws-toasts").get_by_text("Call failed").first.is_visible()
    agent_tab.screenshot("workspace-call-failed")

    # A phone-sized window: one pane at a time, with a way back to the inbox.
    page.locator("#ws-ended-dismiss").click()
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.locator("#ws-conv-name").is_visible() and page.locator("#ws-list-title").is_hidden()
    agent_tab.screenshot("workspace-mobile-conversation")
    page.locator("#ws-back").click()
    assert page.locator("#ws-list-title").is_visible() and page.locator("#ws-conv-name").is_hidden()
    agent_tab.screenshot("workspace-mobile-list")
    page.set_viewport_size(VIEWPORT)
    row(agent_tab, waiting.conversation_id).locator(".ws-conv-item").click()

    # Close the conversation (confirmed in a dialog): the composer locks.
    page.locator("#ws-close").click()
    page.locator("#ws-close-confirm").click()
    page.locator("#ws-conv-state").filter(has_text="Closed").wait_for()
    assert page.locator("#ws-composer-input").is_disabled()
    waiting.wait_for("f.type === 'conversation' && f.conversation.state === 'closed'")
    agent_tab.assert_no_console_errors("workspace")


def test_video_call_from_the_workspace(tabs, account, agent):
    """
    GIVEN an agent in the workspace and a consumer's conversation routed to them
    WHEN the agent starts a video call and the consumer accepts
    THEN real video flows both ways (also after the agent reloads the page mid-call), the consumer's
         mute and camera-off show on the agent's panel, the agent's mute reaches the consumer, and the
         agent's hang-up ends the call as completed
    """
    agent_tab, consumer_tab = tabs(), tabs()
    open_workspace(agent_tab, agent)
    page = agent_tab.page
    consumer = Consumer.start(consumer_tab, account, "Dana Smith")
    row(agent_tab, consumer.conversation_id).locator(".ws-conv-item").click()

    page.locator("#ws-call-video").click()
    consumer.accept(consumer.ringing_call_id())
    page.wait_for_selector("#ws-call[data-call-state='active']", timeout=CALL_TIMEOUT_MS)
    wait_until(lambda: page.evaluate(FRAMES_DECODED_JS, "__workspace") > 0, "the agent to decode the consumer's video")
    wait_until(lambda: consumer.frames_decoded() > 0, "the consumer to decode the agent's video")
    assert page.locator("#ws-remote-video").evaluate("(v) => v.srcObject !== null && v.videoWidth > 0")
    assert page.locator("#ws-local-video").evaluate("(v) => v.muted && v.srcObject !== null")
    assert page.locator("#ws-switch-camera").is_hidden(), "one fake camera: no switch button"
    page.locator("#ws-call-timer").filter(has_text=re.compile(r"^0:0[1-9]")).wait_for()
    agent_tab.screenshot("workspace-call-video")

    # A reload mid-call rejoins from hello.call: a new peer connection, video flowing again.
    page.reload(wait_until="networkidle")
    page.wait_for_selector("#ws-call[data-call-state='active']", timeout=CALL_TIMEOUT_MS)
    assert page.locator("#ws-conv-name").inner_text() == "Dana Smith", "the call's conversation is shown"
    wait_until(lambda: page.evaluate(FRAMES_DECODED_JS, "__workspace") > 0, "the rejoined page to decode video")

    # The consumer mutes and turns the camera off: the agent sees it in words.
    consumer_tab.page.evaluate(
        "() => { window.__consumer.session.setMuted(true); window.__consumer.session.setCameraOn(false); }"
    )
    page.locator("#ws-consumer-media").get_by_text("Consumer muted").wait_for()
    page.locator("#ws-consumer-media").get_by_text("Consumer camera off").wait_for()
    assert page.locator("#ws-remote-off").is_visible()
    agent_tab.screenshot("workspace-call-video-consumer-muted")

    # The agent mutes and turns the camera off: the consumer is told.
    page.locator("#ws-mute").click()
    page.locator("#ws-camera").click()
    assert page.locator("#ws-mute").get_attribute("aria-pressed") == "true"
    assert page.locator("#ws-local-off").is_visible()
    consumer.wait_for("f.type === 'call.media' && f.from === 'agent' && f.audio === false && f.video === false")
    agent_tab.screenshot("workspace-call-video-agent-muted")

    page.locator("#ws-hangup").click()
    page.locator("#ws-ended-title").filter(has_text="Call ended").wait_for()
    assert "You hung up" in page.locator("#ws-ended-detail").inner_text()
    assert page.evaluate("() => window.__workspace.session") is None
    consumer.wait_for("f.type === 'call.state' && f.call.state === 'completed'")
    assert Call.objects.get(conversation_id=consumer.conversation_id).state == "completed"
    transcript(agent_tab).locator(".ws-msg-system").get_by_text("ended after").wait_for()
    agent_tab.screenshot("workspace-call-ended")
    agent_tab.assert_no_console_errors("video call")


def test_voice_only_agent_has_no_video_button_and_a_forged_invite_is_refused(tabs, account):
    """
    GIVEN an agent whose only profile grants voice calls, with a conversation routed to them
    WHEN the workspace shows the conversation, and a video invitation is forged over the agent socket
    THEN there is no Video call button (the reason is shown instead), the forged invitation gets an
         error frame `forbidden` and no call exists; a voice call still works, with an audio indicator
    """
    voice_only = ProfileFactory(account=account, name="Voice only", can_voice=True, can_video=False)
    agent = UserFactory(account=account, email="vic@acme.example", name="Vic Voice", profiles=[voice_only])
    agent_tab, consumer_tab = tabs(), tabs()
    open_workspace(agent_tab, agent)
    page = agent_tab.page
    consumer = Consumer.start(consumer_tab, account, "Ellis Grey")
    row(agent_tab, consumer.conversation_id).locator(".ws-conv-item").click()

    assert page.get_by_role("button", name="Voice call").is_visible()
    assert page.get_by_role("button", name="Video call").count() == 0
    reason = page.locator("#ws-video-off")
    assert reason.is_visible()
    # The server's reason code in the account's words (the English `permission_reasons` are not shown).
    assert (
        reason.get_attribute("title")
        == "Video calls are not available to you: none of your profiles allows them; ask an admin of your account."
    )
    assert "Not allowed" in page.locator("#ws-perm-video").inner_text()

    answer = page.evaluate(
        """(conversationId) => new Promise((resolve) => {
             const ws = new WebSocket(`ws://${location.host}/ws/agent/`);
             ws.onmessage = ({ data }) => {
               const frame = JSON.parse(data);
               if (frame.type === "hello") ws.send(JSON.stringify({ type: "call.invite", conversation_id: conversationId, media: "video", id: "forged" }));
               else if (frame.re === "forged") { ws.close(); resolve(frame); }
             };
             ws.onclose = ({ code }) => resolve({ closed: code });
           })""",
        consumer.conversation_id,
    )
    assert answer["type"] == "error" and answer["code"] == "forbidden", answer
    assert "Initiate live video conversation" in answer["message"]
    assert not Call.objects.filter(conversation_id=consumer.conversation_id).exists()

    page.locator("#ws-call-voice").click()
    consumer.accept(consumer.ringing_call_id())
    page.wait_for_selector("#ws-call[data-call-state='active']", timeout=CALL_TIMEOUT_MS)
    assert page.locator("#ws-call").get_attribute("data-media") == "voice"
    assert page.locator("#ws-voice-visual").is_visible() and page.locator("#ws-remote-video").is_hidden()
    assert page.locator("#ws-camera").is_hidden()
    wait_until(lambda: page.evaluate(AUDIO_RECEIVED_JS) > 0, "the agent to receive the consumer's audio")
    agent_tab.screenshot("workspace-call-voice")

    consumer_tab.page.evaluate("() => window.__consumer.session.hangup()")
    page.locator("#ws-ended-title").filter(has_text="Call ended").wait_for()
    assert "consumer hung up" in page.locator("#ws-ended-detail").inner_text().lower()
    agent_tab.assert_no_console_errors("voice-only agent")


def test_an_unsupported_agent_browser_is_told_and_cannot_call(tabs, account, agent):
    """
    GIVEN the agent's own browser is not a supported one (headless Chromium's own user agent)
    WHEN a conversation is routed to the agent
    THEN the page says so, the call buttons are there but disabled, and messaging still works
    """
    agent_tab, consumer_tab = tabs(user_agent=None), tabs()
    assert "HeadlessChrome" in agent_tab.page.evaluate("() => navigator.userAgent")
    open_workspace(agent_tab, agent)
    page = agent_tab.page
    banner = page.locator("#ws-browser-banner")
    assert banner.is_visible() and "This browser cannot make calls." in banner.inner_text()
    consumer = Consumer.start(consumer_tab, account, "Frankie Lee")
    row(agent_tab, consumer.conversation_id).locator(".ws-conv-item").click()

    assert page.locator("#ws-call-voice").is_disabled() and page.locator("#ws-call-video").is_disabled()
    assert "not supported" in page.locator("#ws-call-voice").get_attribute("title")
    page.locator("#ws-composer-input").fill("I can still write to you.")
    page.locator("#ws-send").click()
    consumer.wait_for("f.type === 'message' && f.message.text === 'I can still write to you.'")
    agent_tab.screenshot("workspace-unsupported-browser")
    agent_tab.assert_no_console_errors("unsupported browser")


# --- issue 16: chat during a call, busy agents, transfer -----------------------------------------------------


def test_chat_during_a_call_busy_routing_and_transfer(tabs, account, agent):
    """
    GIVEN two agents in the workspace; the first in a live video call with a consumer
    WHEN both sides write during the call, a second consumer starts a conversation, and after the call
         the first agent transfers the conversation to the colleague and then the colleague to the queue
    THEN the messages arrive while media flows (both transcripts, composer usable); the new conversation
         goes to the free colleague; "Transfer" during the call says to end it first; the transfer moves
         the conversation (the consumer reads who took over) and back to the queue
    """
    colleague = UserFactory(account=account, name="Robin Colleague")
    agent_tab, colleague_tab, consumer_tab, second_tab = tabs(), tabs(), tabs(), tabs()
    open_workspace(agent_tab, agent)
    page = agent_tab.page
    consumer = Consumer.start(consumer_tab, account, "Dana Smith")  # routed to `agent` (lowest id, both idle)
    row(agent_tab, consumer.conversation_id).locator(".ws-conv-item").click()
    open_workspace(colleague_tab, colleague)

    page.locator("#ws-call-video").click()
    consumer.accept(consumer.ringing_call_id())
    page.wait_for_selector("#ws-call[data-call-state='active']", timeout=CALL_TIMEOUT_MS)
    wait_until(lambda: page.evaluate(FRAMES_DECODED_JS, "__workspace") > 0, "the agent to decode video")

    # 2. Chat while media flows, both ways.
    consumer.say("The serial number is AB-1234-XY")
    transcript(agent_tab).get_by_text("The serial number is AB-1234-XY").wait_for()
    assert page.locator("#ws-composer-input").is_enabled()
    page.locator("#ws-composer-input").fill("Thanks! Open https://acme.test/hub-reset")
    page.locator("#ws-composer-input").press("Enter")
    consumer.wait_for("f.type === 'message' && f.message.text.includes('acme.test/hub-reset')")
    assert page.locator("#ws-call[data-call-state='active']").count() == 1
    agent_tab.screenshot("workspace-chat-during-call")

    # 7. Busy agents: the next conversation goes to the colleague, who is free.
    second = Consumer.start(second_tab, account, "Eli Jones")
    row(colleague_tab, second.conversation_id).wait_for()
    assert Conversation.objects.get(pk=second.conversation_id).agent_id == colleague.pk

    # 6. Transfer: refused in words during the call.
    page.locator("#ws-transfer").click()
    page.locator("#ws-transfer-blocked").filter(has_text="End the call before transferring").wait_for()
    assert page.locator("#ws-transfer-confirm").is_disabled()
    agent_tab.screenshot("workspace-transfer-blocked")
    page.locator("#ws-transfer-form button[value='cancel']").click()
    page.locator("#ws-hangup").click()
    page.locator("#ws-ended-title").filter(has_text="Call ended").wait_for()

    page.locator("#ws-transfer").click()
    target = page.locator(f"#ws-transfer-targets input[value='{colleague.pk}']")
    target.wait_for()
    assert page.locator("#ws-transfer-targets .ws-transfer-name").all_inner_texts() == [
        "Back to the queue",
        "Robin Colleague",
    ]
    target.check()
    agent_tab.screenshot("workspace-transfer-dialog")
    page.locator("#ws-transfer-confirm").click()
    page.locator("#ws-transfer-dialog").wait_for(state="hidden")
    consumer.wait_for("f.type === 'message' && f.message.text === 'You are now talking with Robin Colleague.'")
    wait_until(lambda: Conversation.objects.get(pk=consumer.conversation_id).agent_id == colleague.pk, "the transfer")
    colleague_tab.page.locator(f"li[data-conversation-id='{consumer.conversation_id}'] .ws-conv-item").click()
    assert colleague_tab.page.locator("#ws-composer-input").is_enabled()
    transcript(colleague_tab).get_by_text("The serial number is AB-1234-XY").wait_for()
    colleague_tab.screenshot("workspace-transferred-in")

    colleague_tab.page.locator("#ws-transfer").click()
    colleague_tab.page.locator("#ws-transfer-targets input[value='queue']").check()
    colleague_tab.page.locator("#ws-transfer-confirm").click()
    consumer.wait_for("f.type === 'conversation' && f.conversation.state === 'queued'")
    assert Conversation.objects.get(pk=consumer.conversation_id).state == "queued"
    for tab in (agent_tab, colleague_tab):
        tab.assert_no_console_errors("issue 16 workspace")


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}], ids=["phone"])
def test_transfer_dialog_on_a_phone(tabs, account, agent, viewport):
    """The transfer dialog fits a phone-size workspace (screenshot), and the queue transfer works."""
    agent_tab, consumer_tab = tabs(), tabs()
    agent_tab.page.set_viewport_size(viewport)
    open_workspace(agent_tab, agent)
    page = agent_tab.page
    consumer = Consumer.start(consumer_tab, account, "Dana Smith")
    row(agent_tab, consumer.conversation_id).locator(".ws-conv-item").click()
    page.locator("#ws-transfer").click()
    page.locator("#ws-transfer-empty").filter(has_text="No colleague is online").wait_for()
    page.screenshot(path=str(agent_tab.screenshots / "workspace-transfer-dialog-phone.png"))
    page.locator("#ws-transfer-confirm").click()
    consumer.wait_for("f.type === 'conversation' && f.conversation.state === 'queued'")
    agent_tab.assert_no_console_errors("transfer on a phone")


def test_the_agent_sees_a_consumer_who_answered_with_audio_only(tabs, account, agent):
    """
    GIVEN an agent's video invitation
    WHEN the consumer answers with audio only
    THEN the call connects, and the agent's stage says the consumer joined without video (no camera was
         captured on that side: the agent receives no video track from them)
    """
    agent_tab, consumer_tab = tabs(), tabs()
    open_workspace(agent_tab, agent)
    page = agent_tab.page
    consumer = Consumer.start(consumer_tab, account, "Dana Smith")
    row(agent_tab, consumer.conversation_id).locator(".ws-conv-item").click()
    page.locator("#ws-call-video").click()
    call_id = consumer.ringing_call_id()
    consumer_tab.page.evaluate(
        """async (callId) => {
             const client = await window.__consumer.clientCapabilities();
             return window.__consumer.socket.request({type: "call.accept", call_id: callId, client, audio_only: true});
           }""",
        call_id,
    )
    page.wait_for_selector("#ws-call[data-call-state='active']", timeout=CALL_TIMEOUT_MS)
    page.locator("#ws-consumer-audio-only").filter(has_text="joined without video").wait_for()
    assert consumer_tab.page.evaluate("() => window.__consumer.session.localStream.getVideoTracks().length") == 0
    assert Call.objects.get(pk=call_id).consumer_audio_only is True
    agent_tab.screenshot("workspace-consumer-audio-only")
    page.locator("#ws-hangup").click()
    page.locator("#ws-consumer-audio-only").wait_for(state="hidden")
    agent_tab.assert_no_console_errors("audio only, agent side")
