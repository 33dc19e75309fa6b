// The messaging window, inside the iframe that engagement.js puts on the brand's page.
//
// Opening it creates nothing. The consumer's first message starts the conversation (POST
// /api/v1/conversations/ with the text and an idempotency key); the token is kept in sessionStorage
// (per tab, per brand site) so that a reload or the next page of the brand's site rejoins it. Then it
// opens /ws/consumer/?token=, shows the transcript and the composer (also during a call), and hands
// calls to the CallController (callview.js).
//
// Talks to the brand page only through postMessage: UI requests (open me, minimise me, unread) and,
// when the account set a tracker, analytics events (analytics.js). Nothing personal is posted.
//
// Test hook: window.__engage = {session, socket, state, controller, readiness}.

import { SignalingSocket } from "/engage/sdk/v1/callclient.js";
import { socketUrl } from "../calls/signaling.js";
import { createReporter } from "./analytics.js";
import { CallController, fromHello, fromStateFrame } from "./callview.js";
import { attachReadiness } from "./readinessview.js";
import { HandoffPanel } from "./handoff.js";
import { ShareView } from "./shareview.js";

const config = JSON.parse(document.getElementById("engage-config").textContent);
const { texts, words } = config;
const $ = (id) => document.getElementById(id);
const STORE_KEY = `vvc.${config.account}.conversation`;

const state = {
  conversation: null, // {id, state, ...}
  messages: new Map(), // id -> message
  connected: false,
  view: "chat",
};
const hook = { socket: null, state, controller: null };
Object.defineProperty(hook, "session", { get: () => controller?.session ?? null, enumerable: true });
window.__engage = hook;

let socket = null;
const controller = new CallController({
  socket: null, // set by connect()
  texts,
  report: createReporter(config.analytics),
  onError: showError,
  quietEndings: true,
});
hook.controller = controller;
const shareView = new ShareView({ controller, enabled: config.share_enabled }); // screen sharing, when the agent asks
hook.shareView = shareView;
hook.readiness = attachReadiness(controller, { texts, browsers: config.browsers });
controller.addEventListener("view", ({ detail }) => setView(detail.view));
// Continue on my phone: the QR code and link, and letting go of a call that moved to the phone.
const handoff = new HandoffPanel({ controller, texts });
hook.handoff = handoff;

// --- storage and the brand page -------------------------------------------------------------------

function store() {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

function saved() {
  try {
    return JSON.parse(store()?.getItem(STORE_KEY) ?? "null");
  } catch {
    return null;
  }
}

function save(value) {
  try {
    if (value) store()?.setItem(STORE_KEY, JSON.stringify(value));
    else store()?.removeItem(STORE_KEY);
  } catch {
    /* storage blocked: this page keeps it in memory only */
  }
}

/** A UI request to the brand page's engagement.js (which checks our origin). */
function tellPage(ui, extra = {}) {
  if (window.parent !== window) window.parent.postMessage({ source: "vvc", kind: "ui", ui, ...extra }, "*");
}

// --- conversation -----------------------------------------------------------------------------------

// Opening the window creates nothing: the consumer's first message starts the conversation (created,
// routed and the message posted in one request). The key is chosen once per start, so a retry after a
// lost answer gets the same conversation back instead of a second one.
let pendingStart = null; // {key, text} while the first message is on its way

function randomKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(18));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_");
}

async function startConversation(text) {
  if (!pendingStart || pendingStart.text !== text) pendingStart = { key: randomKey(), text };
  const response = await fetch(config.conversations_url, {
    method: "POST",
    credentials: "omit",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({
      account: config.account,
      channel: "web_messaging",
      locale: config.locale,
      text,
      idempotency_key: pendingStart.key,
    }),
  });
  if (!response.ok) throw new Error(`The conversation could not start (HTTP ${response.status}).`);
  const body = await response.json();
  pendingStart = null;
  const conversation = { id: body.id, token: body.consumer_token };
  save(conversation);
  return conversation;
}

/** No conversation yet (or the last one is gone): the greeting and a composer that starts one. */
function showFresh() {
  if (socket) socket.close();
  socket = null;
  hook.socket = null;
  controller.socket = null;
  state.conversation = null;
  state.connected = false;
  state.messages.clear();
  renderTranscript([]);
  renderPresence();
  setRootState("ready");
}

function connect(conversation) {
  setRootState("starting");
  hideError();
  tellPage("engaged");
  if (socket) socket.close();
  socket = new SignalingSocket(socketUrl(`${config.socket_path}?token=${encodeURIComponent(conversation.token)}`));
  hook.socket = socket;
  controller.socket = socket;
  wire(socket);
  socket.connect();
}

function wire(current) {
  const ours = () => current === socket;
  current.addEventListener("open", () => {
    if (!ours()) return;
    state.connected = true;
    renderPresence();
  });
  current.addEventListener("close", ({ detail }) => {
    if (!ours()) return;
    state.connected = false;
    renderPresence();
    if (detail.code === 4401 || detail.code === 4403) {
      // The token expired or its conversation is gone: the next message starts a new one.
      save(null);
      showFresh();
    }
  });
  current.addEventListener("hello", ({ detail }) => {
    if (!ours()) return;
    state.conversation = detail.conversation;
    state.messages.clear();
    renderTranscript(detail.messages);
    renderPresence();
    if (handoff.hello(detail)) return setRootState("ready"); // its call went to the phone
    if (detail.call) controller.applyCall(fromHello(detail));
    else controller.clear(); // a call that ended while we were away: the transcript says how
    setRootState("ready");
  });
  current.addEventListener("message", ({ detail }) => {
    if (!ours()) return;
    addMessage(detail.message);
    if (detail.message.author === "agent") {
      tellPage("message");
      // The server tells the consumer only when the conversation closes, not when an agent takes it:
      // an agent's message is the sign that someone is there.
      if (state.conversation?.state === "queued") {
        state.conversation = { ...state.conversation, state: "open" };
        renderPresence();
      }
    }
  });
  current.addEventListener("conversation", ({ detail }) => {
    if (!ours() || detail.conversation.id !== state.conversation?.id) return;
    state.conversation = detail.conversation;
    renderPresence();
  });
  current.addEventListener("call.state", ({ detail }) => {
    if (!ours() || handoff.elsewhere(detail)) return;
    if (detail.call.state === "ringing") tellPage("attention", { reason: "invitation" });
    controller.applyCall(fromStateFrame(detail));
  });
  current.addEventListener("call.moved", ({ detail }) => ours() && handoff.moved(detail.call));
  current.addEventListener("call.signal", ({ detail }) => ours() && controller.handleSignal(detail));
  current.addEventListener("call.media", ({ detail }) => ours() && controller.handleRemoteMedia(detail));
  current.addEventListener("settings", ({ detail }) => {
    if (!ours()) return;
    controller.applyTexts(detail.texts);
    shareView.applySettings(detail.share_enabled);
  });
  for (const type of ["call.share", "call.share.request"]) {
    current.addEventListener(type, ({ detail }) => ours() && shareView.handleFrame(detail));
  }
}

// --- rendering ---------------------------------------------------------------------------------------

function setRootState(value) {
  $("engage-root").dataset.state = value;
}

function setView(view) {
  // "invitation" docks over the transcript; "call"/"ended" replace it and the composer.
  state.view = view;
  $("engage-root").dataset.view = view === "call" || view === "ended" ? "call" : view === "invitation" ? "invitation" : "chat";
  tellPage("in-call", { value: view === "call" });
  renderComposer();
  if (view === "idle") scrollToEnd();
}

function renderPresence() {
  const conversation = state.conversation;
  let text = words.reply_time;
  let tone = "online";
  if (!state.connected && conversation) {
    text = words.offline;
    tone = "offline";
  } else if (conversation?.state === "queued") {
    text = words.queued;
    tone = "waiting";
  } else if (conversation?.state === "open") {
    text = words.open;
  } else if (conversation?.state === "closed") {
    text = words.closed;
    tone = "offline";
  }
  $("engage-presence").textContent = text;
  $("engage-root").dataset.presence = tone;
  $("engage-closed").hidden = conversation?.state !== "closed";
  renderComposer();
}

function renderComposer() {
  const fresh = !socket && !state.conversation; // the first message starts the conversation
  const usable = fresh || (state.connected && state.conversation && state.conversation.state !== "closed");
  $("engage-input").disabled = !usable;
  $("engage-send").disabled = !usable || !$("engage-input").value.trim();
}

const timeFormat = new Intl.DateTimeFormat(config.locale, { hour: "numeric", minute: "2-digit" });

function messageElement(message) {
  const item = document.createElement("li");
  item.dataset.id = String(message.id);
  item.dataset.author = message.author;
  if (message.kind === "system") {
    item.className = "msg msg-system";
    const text = document.createElement("p");
    text.className = "msg-text";
    text.textContent = message.text;
    item.append(text);
    return item;
  }
  item.className = `msg msg-${message.author === "consumer" ? "consumer" : "agent"}`;
  if (message.author !== "consumer") {
    const avatar = document.createElement("span");
    avatar.className = "msg-avatar";
    avatar.setAttribute("aria-hidden", "true");
    avatar.textContent = (config.name || "?").trim().charAt(0).toUpperCase();
    item.append(avatar);
  }
  const bubble = document.createElement("div");
  bubble.className = "msg-bubble";
  const text = document.createElement("p");
  text.className = "msg-text";
  text.textContent = message.text;
  const meta = document.createElement("time");
  meta.className = "msg-time";
  meta.dateTime = message.created_at;
  const when = new Date(message.created_at);
  meta.textContent = Number.isNaN(when.getTime()) ? "" : timeFormat.format(when);
  bubble.append(text, meta);
  item.append(bubble);
  return item;
}

function renderTranscript(messages) {
  const list = $("engage-transcript");
  list.querySelectorAll("li[data-id]").forEach((item) => item.remove());
  for (const message of messages) addMessage(message, { scroll: false });
  scrollToEnd();
}

function addMessage(message, { scroll = true } = {}) {
  if (state.messages.has(message.id)) return;
  state.messages.set(message.id, message);
  const list = $("engage-transcript");
  const element = messageElement(message);
  // Keep id order even if frames overtake each other.
  const after = [...list.querySelectorAll("li[data-id]")].find((item) => Number(item.dataset.id) > message.id);
  list.insertBefore(element, after ?? null);
  if (scroll) scrollToEnd();
}

function scrollToEnd() {
  const scroller = $("engage-scroll");
  requestAnimationFrame(() => scroller.scrollTo({ top: scroller.scrollHeight, behavior: "smooth" }));
}

let errorTimer = null;
function showError(message) {
  const element = $("engage-error");
  element.textContent = message;
  element.hidden = false;
  clearTimeout(errorTimer);
  errorTimer = setTimeout(hideError, 8000);
}

function hideError() {
  $("engage-error").hidden = true;
}

// --- composer ------------------------------------------------------------------------------------------

async function send() {
  const input = $("engage-input");
  const text = input.value.trim();
  if (!text) return;
  $("engage-send").disabled = true;
  try {
    if (socket) {
      await socket.command({ type: "message.send", text });
    } else {
      input.disabled = true;
      connect(await startConversation(text)); // the hello brings the message back in the transcript
    }
    input.value = "";
    autosize();
  } catch (error) {
    console.warn("[vvc window] message not sent:", error?.message ?? error);
    showError(words.send_failed);
  } finally {
    renderComposer();
    input.focus();
  }
}

function autosize() {
  const input = $("engage-input");
  input.style.height = "auto";
  input.style.height = `${Math.min(input.scrollHeight, 120)}px`;
}

$("engage-composer").addEventListener("submit", (event) => {
  event.preventDefault();
  send();
});
$("engage-input").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    send();
  }
});
$("engage-input").addEventListener("input", () => {
  autosize();
  renderComposer();
});
$("engage-minimize").addEventListener("click", () => tellPage("minimize"));
$("engage-new-conversation").addEventListener("click", () => {
  save(null);
  showFresh();
  $("engage-input").focus();
});
window.addEventListener("message", (event) => {
  // The brand page says when the window opens, so the composer can take the focus.
  if (event.source !== window.parent || event.data?.source !== "vvc-host") return;
  if (event.data.visible && state.view !== "call") $("engage-input").focus({ preventScroll: true });
});

const resumed = saved();
if (resumed?.token) connect(resumed);
else showFresh();
