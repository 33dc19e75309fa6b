// The mobile webview call page (/engage/call/?token=T): a brand's app opens it full screen over its
// messaging screen with the consumer token of its conversation. It shows the invitation (if the call
// still rings), runs the call with the same controls as the embedded window, and ends the call with
// reason "webview_closed" when the webview goes away (pagehide). If that frame never reaches the
// server (the app was killed), the server's reconnect grace ends the call as dropped. A "Chat" button
// in the bar opens the conversation's transcript and composer over the call, so the consumer can type
// a serial number or paste a link while media flows (the app's own messaging screen is behind us).
//
// The same page runs a call moved here from a computer (Continue on my phone, /go/CODE): it first
// claims the code (handoff_phone.js), then runs the call with this phone's own token and camera choice.
//
// Test hook: window.__engage = {session, socket, state, controller, readiness}.

import { SignalingSocket } from "/engage/sdk/v1/callclient.js";
import { socketUrl } from "../calls/signaling.js";
import { createAppBridgeReporter } from "./analytics.js";
import { CallController, fromHello, fromStateFrame, LIVE } from "./callview.js";
import { attachReadiness } from "./readinessview.js";
import { claimOnThisPhone } from "./handoff_phone.js";
import { ShareView } from "./shareview.js";

const config = JSON.parse(document.getElementById("engage-config").textContent);
const { texts, words } = config;
const $ = (id) => document.getElementById(id);
const state = { conversation: null, connected: false, view: "idle", closedByPage: false };

// The bar takes the app's colours (sdk_style webview_bar_*), re-checked as colours.
const COLOR = /^#(?:[0-9a-f]{3}|[0-9a-f]{6}|[0-9a-f]{8})$/i;
const root = document.documentElement;
if (COLOR.test(config.style.webview_bar_background)) root.style.setProperty("--bar-bg", config.style.webview_bar_background);
if (COLOR.test(config.style.webview_bar_text_color)) root.style.setProperty("--bar-text", config.style.webview_bar_text_color);

const claimed = config.handoff ? await claimOnThisPhone(config) : null;
const token = claimed ? claimed.token : (new URLSearchParams(location.search).get("token") ?? "");

const socket = new SignalingSocket(socketUrl(`${config.socket_path}?token=${encodeURIComponent(token)}`));
// Analytics go to the app through its bridge (analytics.js); this page loads no tracker library, so its
// Content-Security-Policy stays our own scripts only.
const controller = new CallController({
  socket,
  texts,
  report: createAppBridgeReporter(config.analytics),
  facing: claimed?.facing ?? "user",
});
// An app's webview runs on a phone: the agent's request is answered "unsupported" (shareview.js),
// and the agent's own share shows whole.
const shareView = new ShareView({ controller, enabled: config.share_enabled });
const hook = {
  socket,
  state,
  controller,
  shareView,
  readiness: attachReadiness(controller, { texts, browsers: config.browsers }),
};
Object.defineProperty(hook, "session", { get: () => controller.session, enumerable: true });
window.__engage = hook;

function render() {
  const call = controller.call;
  const live = Boolean(call && LIVE.has(call.state));
  $("engage-root").dataset.state = call ? call.state : state.connected ? "idle" : "starting";
  $("engage-no-call").hidden = state.view !== "idle" || !state.conversation;
  let status = "";
  if (!state.connected && state.conversation) status = texts.call_reconnecting;
  else if (call?.state === "ringing") status = texts.call_incoming;
  else if (call?.state === "connecting") status = texts.call_connecting;
  else if (call?.state === "active") status = $("engage-call-timer").textContent;
  else if (call && !live) status = "";
  $("engage-bar-status").textContent = status;
}

controller.addEventListener("view", ({ detail }) => {
  state.view = detail.view;
  render();
});
controller.addEventListener("change", render);
setInterval(() => controller.call?.state === "active" && render(), 1000);

socket.addEventListener("open", () => {
  state.connected = true;
  render();
});
socket.addEventListener("close", ({ detail }) => {
  state.connected = false;
  if (detail.code === 4401 || detail.code === 4403) {
    // The token stopped working (expired, conversation gone): nothing to retry.
    state.conversation = null;
    $("engage-root").dataset.state = "refused";
    $("engage-no-call").hidden = false;
  }
  render();
});
socket.addEventListener("hello", ({ detail }) => {
  state.conversation = detail.conversation;
  state.device = detail.device ?? 0;
  $("engage-transcript").replaceChildren();
  shown.clear();
  for (const message of detail.messages ?? []) addMessage(message);
  if (detail.call && !detail.call_extras?.moved) controller.applyCall(fromHello(detail));
  else controller.clear();
  render();
});
socket.addEventListener("message", ({ detail }) => {
  addMessage(detail.message);
  if ($("engage-chat").hidden && detail.message.author === "agent") setUnread(unread + 1);
});
socket.addEventListener("call.state", ({ detail }) => !detail.moved && controller.applyCall(fromStateFrame(detail)));
// The call moved on to another device (Continue on my phone, again): let go of it here.
socket.addEventListener("call.moved", ({ detail }) => detail.call.consumer_device !== state.device && controller.clear());
socket.addEventListener("call.signal", ({ detail }) => controller.handleSignal(detail));
socket.addEventListener("call.media", ({ detail }) => controller.handleRemoteMedia(detail));
socket.addEventListener("settings", ({ detail }) => {
  controller.applyTexts(detail.texts);
  shareView.applySettings(detail.share_enabled);
});
for (const type of ["call.share", "call.share.request"]) socket.addEventListener(type, ({ detail }) => shareView.handleFrame(detail));

// The webview is closing (or navigating away): end the call on the socket that is still open. A
// plain send, not a request: there is no time left to wait for the answer.
window.addEventListener("pagehide", () => {
  const call = controller.call;
  if (!call || !LIVE.has(call.state) || state.closedByPage) return;
  state.closedByPage = true;
  socket.sendCommand({ type: "call.hangup", call_id: call.id, reason: "webview_closed" });
  controller.session?.close();
});

// --- the conversation beside the call: transcript and composer in a sheet ----------------------------

const shown = new Set();
let unread = 0;
const timeFormat = new Intl.DateTimeFormat(config.locale, { hour: "numeric", minute: "2-digit" });

function setUnread(count) {
  unread = count;
  $("engage-chat-unread").hidden = count === 0;
  $("engage-chat-unread").textContent = count > 9 ? "9+" : String(count);
}

function addMessage(message) {
  if (shown.has(message.id)) return;
  shown.add(message.id);
  const item = document.createElement("li");
  item.dataset.id = String(message.id);
  item.className = message.kind === "system" ? "msg msg-system" : `msg msg-${message.author === "consumer" ? "consumer" : "agent"}`;
  const text = document.createElement("p");
  text.className = "msg-text";
  text.textContent = message.text;
  if (message.kind === "system") item.append(text);
  else {
    const bubble = document.createElement("div");
    bubble.className = "msg-bubble";
    const when = document.createElement("time");
    when.className = "msg-time";
    const date = new Date(message.created_at);
    when.textContent = Number.isNaN(date.getTime()) ? "" : timeFormat.format(date);
    bubble.append(text, when);
    item.append(bubble);
  }
  const list = $("engage-transcript");
  const after = [...list.children].find((other) => Number(other.dataset.id) > message.id);
  list.insertBefore(item, after ?? null);
  $("engage-scroll").scrollTop = $("engage-scroll").scrollHeight;
}

function toggleChat(open) {
  $("engage-chat").hidden = !open;
  $("engage-chat-toggle").setAttribute("aria-expanded", String(open));
  if (open) {
    setUnread(0);
    $("engage-scroll").scrollTop = $("engage-scroll").scrollHeight;
    $("engage-input").focus();
  }
}

async function sendMessage() {
  const input = $("engage-input");
  const text = input.value.trim();
  if (!text) return;
  $("engage-send").disabled = true;
  try {
    await socket.command({ type: "message.send", text });
    input.value = "";
    $("engage-error").hidden = true;
  } catch (error) {
    console.warn("[vvc webview] message not sent:", error?.message ?? error);
    $("engage-error").textContent = words.send_failed;
    $("engage-error").hidden = false;
  } finally {
    $("engage-send").disabled = !input.value.trim();
  }
}

$("engage-chat-toggle").addEventListener("click", () => toggleChat($("engage-chat").hidden));
$("engage-chat-close").addEventListener("click", () => toggleChat(false));
$("engage-composer").addEventListener("submit", (event) => {
  event.preventDefault();
  sendMessage();
});
$("engage-input").addEventListener("input", () => {
  $("engage-send").disabled = !$("engage-input").value.trim();
});
$("engage-input").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    sendMessage();
  }
});

socket.connect();
