// The mobile webview call page (/engage/call/?token=T): a brand's app opens it full screen over its
// messaging screen with the consumer token of its conversation. It shows the invitation (if the call
// still rings), runs the call with the same controls as the embedded window, and ends the call with
// reason "webview_closed" when the webview goes away (pagehide). If that frame never reaches the
// server (the app was killed), the server's reconnect grace ends the call as dropped.
//
// Test hook: window.__engage = {session, socket, state, controller}.

import { SignalingSocket } from "/engage/sdk/v1/callclient.js";
import { socketUrl } from "../calls/signaling.js";
import { CallController, fromHello, fromStateFrame, LIVE } from "./callview.js";

const config = JSON.parse(document.getElementById("engage-config").textContent);
const { texts, words } = config;
const $ = (id) => document.getElementById(id);
const token = new URLSearchParams(location.search).get("token") ?? "";
const state = { conversation: null, connected: false, view: "idle", closedByPage: false };

// The bar takes the app's colours (sdk_style webview_bar_*), re-checked as colours.
const COLOR = /^#(?:[0-9a-f]{3}|[0-9a-f]{6}|[0-9a-f]{8})$/i;
const root = document.documentElement;
if (COLOR.test(config.style.webview_bar_background)) root.style.setProperty("--bar-bg", config.style.webview_bar_background);
if (COLOR.test(config.style.webview_bar_text_color)) root.style.setProperty("--bar-text", config.style.webview_bar_text_color);

const socket = new SignalingSocket(socketUrl(`${config.socket_path}?token=${encodeURIComponent(token)}`));
const controller = new CallController({ socket, texts, words });
const hook = { socket, state, controller };
Object.defineProperty(hook, "session", { get: () => controller.session, enumerable: true });
window.__engage = hook;

function render() {
  const call = controller.call;
  const live = Boolean(call && LIVE.has(call.state));
  $("engage-root").dataset.state = call ? call.state : state.connected ? "idle" : "starting";
  $("engage-no-call").hidden = state.view !== "idle" || !state.conversation;
  let status = "";
  if (!state.connected && state.conversation) status = words.reconnecting;
  else if (call?.state === "ringing") status = words.incoming;
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
  if (detail.call) controller.applyCall(fromHello(detail));
  else controller.clear();
  render();
});
socket.addEventListener("call.state", ({ detail }) => controller.applyCall(fromStateFrame(detail)));
socket.addEventListener("call.signal", ({ detail }) => controller.handleSignal(detail));
socket.addEventListener("call.media", ({ detail }) => controller.handleRemoteMedia(detail));

// The webview is closing (or navigating away): end the call on the socket that is still open. A
// plain send, not a request: there is no time left to wait for the answer.
window.addEventListener("pagehide", () => {
  const call = controller.call;
  if (!call || !LIVE.has(call.state) || state.closedByPage) return;
  state.closedByPage = true;
  socket.sendCommand({ type: "call.hangup", call_id: call.id, reason: "webview_closed" });
  controller.session?.close();
});

socket.connect();
