// The agent workspace (/workspace/): the inbox, the transcript, the composer and the call.
//
// Everything live comes over /ws/agent/ (docs/protocol.md): `hello` on every (re)connect, then
// `conversation`, `message`, `call.state`, `call.signal`, `call.media` and `error` frames. The call
// itself runs in the shared CallSession (static/calls/callclient.js). Data is only ever put into the
// page with textContent; icons are SVG elements built from constant paths.
//
// Test hook: window.__workspace = {session, socket, state} (session is the live CallSession or null;
// `session.pc` is its RTCPeerConnection).

import { SignalingSocket, socketUrl } from "../calls/signaling.js";
import { CallSession, clientCapabilities } from "../calls/callclient.js";
import { remedyFor } from "../calls/remedies.js";

const config = JSON.parse(document.getElementById("workspace-config").textContent);
const $ = (id) => document.getElementById(id);

const LIVE = new Set(["ringing", "connecting", "active"]);
const MEDIA_STATES = new Set(["connecting", "active"]);
const TICK_MS = 1000;
const MAX_EARLY_SIGNALS = 200;
const ERROR_TITLES = {
  forbidden: "Not allowed",
  not_found: "Not found",
  invalid_state: "Not possible right now",
  media_disabled: "Switched off for your account",
  not_messaging: "Not a messaging conversation",
  rate_limited: "Too many actions",
  too_large: "Too long",
  bad_request: "Something went wrong",
  unknown_type: "Something went wrong",
  offline: "Not connected",
  timeout: "No answer from the server",
};

// --- state -------------------------------------------------------------------------------------

const state = {
  agent: config.agent,
  connection: "connecting", // connecting | online | reconnecting | refused
  helloSeen: false,
  refusedCode: null,
  permissions: { voice: false, video: false },
  reasons: {},
  texts: {},
  conversations: new Map(), // id -> conversation + {messages, unread, loaded}
  selectedId: null,
  call: null, // the agent's live call (media always "voice"|"video")
  ending: false, // the agent hung up; waiting for the server's terminal call.state
  inviting: false,
  ended: null, // {callId, state, title, detail}
  consumerMedia: null, // {audio, video, camera} from the consumer's call.media frames
  peerState: "", // RTCPeerConnection.connectionState
  quality: null,
  cameraCount: 0,
  devices: null, // clientCapabilities()
  browser: config.browser,
};

const socket = new SignalingSocket(socketUrl(config.socket_path));
let session = null;
let signalChain = Promise.resolve();
let earlySignals = []; // call.signal frames for a call whose session is not set up yet

window.__workspace = {
  get session() {
    return session;
  },
  socket,
  state,
};

// --- small helpers -------------------------------------------------------------------------------

function el(tag, { className, text, attrs } = {}, children = []) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  for (const [key, value] of Object.entries(attrs ?? {})) node.setAttribute(key, value);
  for (const child of children) if (child) node.append(child);
  return node;
}

const ICONS = {
  phone: ["M6.5 3.5l2 3.5-1.8 1.6a9 9 0 0 0 4.7 4.7L13 11.5l3.5 2-.8 2.6c-.2.6-.8 1-1.5.9C8.7 16.4 3.6 11.3 3 5.8c-.1-.7.3-1.3.9-1.5z"],
  video: ["M2.5 7.5a2 2 0 0 1 2-2h6a2 2 0 0 1 2 2v5a2 2 0 0 1-2 2h-6a2 2 0 0 1-2-2z", "M12.5 9l5-2.8v7.6l-5-2.8"],
  micOff: ["M7.5 5a2.5 2.5 0 0 1 5 0v4a2.5 2.5 0 0 1-5 0z", "M4.5 9.5a5.5 5.5 0 0 0 11 0M10 15v2.5", "M3 3l14 14"],
  videoOff: ["M2.5 7.5a2 2 0 0 1 2-2h6a2 2 0 0 1 2 2v5a2 2 0 0 1-2 2h-6a2 2 0 0 1-2-2z", "M12.5 9l5-2.8v7.6l-5-2.8", "M2 3l15 15"],
  info: ["M10 2.5a7.5 7.5 0 1 1 0 15 7.5 7.5 0 0 1 0-15z", "M10 9v4.5M10 6.5v.2"],
  alert: ["M10 2.5a7.5 7.5 0 1 1 0 15 7.5 7.5 0 0 1 0-15z", "M10 6v5M10 13.5v.5"],
  check: ["M5 10.5l3 3 7-7"],
  close: ["M5.5 5.5l9 9M14.5 5.5l-9 9"],
  hangup: ["M2.5 11.5c4-4 11-4 15 0l-1.8 2.2-3-1.3v-2a9 9 0 0 0-5.4 0v2l-3 1.3z"],
  missed: ["M6.5 3.5l2 3.5-1.8 1.6a9 9 0 0 0 4.7 4.7L13 11.5l3.5 2-.8 2.6c-.2.6-.8 1-1.5.9C8.7 16.4 3.6 11.3 3 5.8c-.1-.7.3-1.3.9-1.5z", "M12 3l5 5M17 3l-5 5"],
};

function icon(name, className = "icon") {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 20 20");
  svg.setAttribute("class", className);
  svg.setAttribute("aria-hidden", "true");
  for (const d of ICONS[name]) {
    const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
    path.setAttribute("d", d);
    svg.append(path);
  }
  return svg;
}

function consumerName(conversation) {
  return conversation?.consumer_name?.trim() || `Visitor ${conversation?.id ?? ""}`.trim();
}

function initial(text) {
  return (text.trim()[0] || "?").toUpperCase();
}

function paintAvatar(node, conversation) {
  node.textContent = initial(consumerName(conversation));
  node.style.setProperty("--hue", String(((conversation?.id ?? 0) * 47) % 360));
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });
const dayFormat = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric" });
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

function shortTime(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  const today = new Date();
  return date.toDateString() === today.toDateString() ? timeFormat.format(date) : dayFormat.format(date);
}

/** How long a queued consumer has waited: "now", "4 min", "1 h 5 min". */
function waited(iso) {
  const minutes = Math.floor((Date.now() - new Date(iso).getTime()) / 60000);
  if (!(minutes >= 1)) return "now";
  return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${rest}` : `${m}:${rest}`;
}

function mediaWord(media) {
  return media === "video" ? "video" : "voice";
}

function capitalise(text) {
  return text ? text[0].toUpperCase() + text.slice(1) : text;
}

function announce(text) {
  const node = $("ws-announcer");
  node.textContent = "";
  // A fresh text node after a tick, so screen readers announce a repeated message too.
  setTimeout(() => (node.textContent = text), 50);
}

function toast(message, { title = "", tone = "info", timeoutMs = 7000 } = {}) {
  const node = el("div", {
    className: `ws-toast ws-toast-${tone}`,
    attrs: { role: tone === "error" ? "alert" : "status" },
  });
  node.append(icon(tone === "error" ? "alert" : tone === "success" ? "check" : "info"));
  const body = el("div", { className: "ws-toast-body" });
  if (title) body.append(el("p", { className: "ws-toast-title", text: title }));
  body.append(el("p", { className: "ws-toast-text", text: message }));
  node.append(body);
  const close = el("button", { className: "ws-toast-close", attrs: { type: "button", title: "Dismiss" } });
  close.append(icon("close"), el("span", { className: "visually-hidden", text: "Dismiss" }));
  close.addEventListener("click", () => node.remove());
  node.append(close);
  $("ws-toasts").append(node);
  if (timeoutMs) setTimeout(() => node.remove(), timeoutMs);
  return node;
}

function toastError(frame) {
  toast(frame.message || "The server refused that.", { title: ERROR_TITLES[frame.code] ?? "Error", tone: "error" });
}

/** A command whose refusal the global `error` handler already shows; offline/timeout are shown here.
 * Sent with an idempotency key and resent with the same key while the socket reconnects. */
async function request(frame) {
  try {
    return await socket.command(frame);
  } catch (error) {
    if (error?.code === "offline" || error?.code === "timeout") toastError(error);
    throw error;
  }
}

// --- conversations -------------------------------------------------------------------------------

function selected() {
  return state.selectedId === null ? null : state.conversations.get(state.selectedId) ?? null;
}

function isMine(conversation) {
  return conversation?.agent_id === state.agent.id;
}

function lastActivity(conversation) {
  const last = conversation.messages.at(-1);
  return last?.created_at ?? conversation.created_at;
}

function mergeMessages(conversation, messages) {
  const byId = new Map(conversation.messages.map((m) => [m.id, m]));
  for (const message of messages) byId.set(message.id, message);
  conversation.messages = [...byId.values()].sort((a, b) => a.id - b.id);
}

async function loadTranscript(conversationId) {
  const url = config.transcript_url.replace("{id}", String(conversationId));
  try {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const body = await response.json();
    const conversation = state.conversations.get(conversationId);
    if (!conversation) return;
    mergeMessages(conversation, body.messages ?? []);
    conversation.loaded = true;
    renderList();
    if (state.selectedId === conversationId) renderTranscript();
  } catch {
    /* the next hello carries the transcript */
  }
}

function select(conversationId, { focusComposer = false } = {}) {
  state.selectedId = conversationId;
  if (state.ended && state.ended.conversationId !== conversationId) state.ended = null;
  const conversation = selected();
  if (conversation) {
    conversation.unread = 0;
    if (conversation.state === "queued" || !conversation.loaded) loadTranscript(conversation.id);
  }
  $("ws").dataset.view = conversation ? "conversation" : "list";
  renderAll();
  renderTranscript();
  if (focusComposer && conversation && !$("ws-composer-input").disabled) $("ws-composer-input").focus();
}

async function take(conversationId) {
  try {
    await request({ type: "conversation.take", conversation_id: conversationId });
    const conversation = state.conversations.get(conversationId);
    if (conversation) {
      conversation.state = "open";
      conversation.agent_id = state.agent.id;
    }
    select(conversationId, { focusComposer: true });
    loadTranscript(conversationId);
  } catch {
    /* shown by the error handler */
  }
}

// --- rendering: the inbox ------------------------------------------------------------------------

const rows = new Map(); // conversation id -> <li>

function buildRow(id) {
  const li = el("li", { className: "ws-conv-row", attrs: { "data-conversation-id": String(id) } });
  const button = el("button", { className: "ws-conv-item", attrs: { type: "button" } });
  const avatar = el("span", { className: "avatar ws-avatar", attrs: { "aria-hidden": "true" } });
  const text = el("span", { className: "ws-conv-text" }, [
    el("span", { className: "ws-conv-line" }, [
      el("span", { className: "ws-conv-name" }),
      el("span", { className: "ws-conv-flags" }),
      el("time", { className: "ws-conv-time" }),
    ]),
    el("span", { className: "ws-conv-preview" }),
  ]);
  const unread = el("span", { className: "ws-unread" });
  button.append(avatar, text, unread);
  button.addEventListener("click", () => select(id, { focusComposer: true }));
  button.addEventListener("keydown", onListKey);
  const takeButton = el("button", { className: "btn btn-primary btn-sm ws-row-take", text: "Take", attrs: { type: "button" } });
  takeButton.addEventListener("click", () => take(id));
  li.append(button, takeButton);
  return li;
}

function updateRow(li, conversation) {
  const name = consumerName(conversation);
  const last = conversation.messages.at(-1);
  const preview = last ? (last.author === "agent" ? `You: ${last.text}` : last.text) : "No messages yet";
  const hasCall = state.call && state.call.conversation_id === conversation.id;
  li.dataset.state = conversation.state;
  li.classList.toggle("is-selected", conversation.id === state.selectedId);
  li.classList.toggle("is-unread", conversation.unread > 0);
  const button = li.querySelector(".ws-conv-item");
  if (conversation.id === state.selectedId) button.setAttribute("aria-current", "true");
  else button.removeAttribute("aria-current");
  paintAvatar(li.querySelector(".ws-avatar"), conversation);
  li.querySelector(".ws-conv-name").textContent = name;
  const time = li.querySelector(".ws-conv-time");
  if (conversation.state === "queued") {
    time.textContent = waited(conversation.created_at);
    time.dateTime = conversation.created_at ?? "";
    time.title = "Waiting for an agent";
  } else {
    time.textContent = shortTime(lastActivity(conversation));
    time.dateTime = lastActivity(conversation) ?? "";
    time.removeAttribute("title");
  }
  li.querySelector(".ws-conv-preview").textContent = preview;
  const flags = li.querySelector(".ws-conv-flags");
  flags.replaceChildren();
  if (hasCall) flags.append(el("span", { className: "ws-flag ws-flag-call", attrs: { title: "Live call" } }, [icon(state.call.media === "video" ? "video" : "phone")]));
  if (conversation.state === "closed") flags.append(el("span", { className: "badge badge-off", text: "Closed" }));
  if (conversation.channel === "chat") flags.append(el("span", { className: "badge badge-neutral", text: "Chat" }));
  const unread = li.querySelector(".ws-unread");
  unread.textContent = conversation.unread > 0 ? String(conversation.unread) : "";
  const label = [
    name,
    conversation.state === "queued" ? "waiting in queue" : conversation.state === "closed" ? "closed" : "",
    conversation.unread > 0 ? `${conversation.unread} unread` : "",
    hasCall ? "live call" : "",
    preview,
  ].filter(Boolean);
  button.setAttribute("aria-label", label.join(", "));
  li.querySelector(".ws-row-take").hidden = conversation.state !== "queued";
  li.querySelector(".ws-row-take").setAttribute("aria-label", `Take the conversation with ${name}`);
}

function renderList() {
  const queue = [];
  const mine = [];
  for (const conversation of state.conversations.values()) {
    if (conversation.state === "queued") queue.push(conversation);
    else mine.push(conversation);
  }
  queue.sort((a, b) => String(a.created_at).localeCompare(String(b.created_at)));
  mine.sort((a, b) => String(lastActivity(b)).localeCompare(String(lastActivity(a))));
  for (const [id, li] of rows) {
    if (!state.conversations.has(id)) {
      li.remove();
      rows.delete(id);
    }
  }
  for (const [list, items] of [
    [$("ws-queue"), queue],
    [$("ws-mine"), mine],
  ]) {
    items.forEach((conversation, index) => {
      let li = rows.get(conversation.id);
      if (!li) {
        li = buildRow(conversation.id);
        rows.set(conversation.id, li);
      }
      updateRow(li, conversation);
      if (list.children[index] !== li) list.insertBefore(li, list.children[index] ?? null);
    });
  }
  $("ws-queue-count").textContent = String(queue.length);
  $("ws-mine-count").textContent = String(mine.length);
  $("ws-queue-empty").hidden = queue.length > 0;
  $("ws-mine-empty").hidden = mine.length > 0;
  const unread = [...state.conversations.values()].reduce((sum, c) => sum + (c.unread || 0), 0);
  document.title = `${unread ? `(${unread}) ` : ""}Workspace · ${config.account.name} · Voice & Video`;
}

function onListKey(event) {
  if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
  const items = [...document.querySelectorAll(".ws-conv-item")];
  const index = items.indexOf(event.currentTarget);
  const next = items[index + (event.key === "ArrowDown" ? 1 : -1)];
  if (next) {
    event.preventDefault();
    next.focus();
  }
}

// --- rendering: the conversation ------------------------------------------------------------------

function renderConversation() {
  const conversation = selected();
  $("ws-no-selection").hidden = !!conversation;
  $("ws-conv-inner").hidden = !conversation;
  $("ws-consumer-card").hidden = !conversation;
  if (!conversation) return;
  const name = consumerName(conversation);
  paintAvatar($("ws-conv-avatar"), conversation);
  $("ws-conv-name").textContent = name;
  const badge = $("ws-conv-state");
  const words = { queued: ["Waiting in queue", "badge-accent-soft"], open: ["Open", "badge-ok"], closed: ["Closed", "badge-off"] };
  const [word, tone] = words[conversation.state] ?? [conversation.state, "badge-neutral"];
  badge.textContent = word;
  badge.className = `badge ${tone}`;
  const channel = conversation.channel === "chat" ? "Live chat" : "Web messaging";
  $("ws-conv-meta").textContent = `${channel} · #${conversation.id} · ${shortTime(conversation.created_at)}`;

  $("ws-fact-name").textContent = name;
  $("ws-fact-id").textContent = `#${conversation.id}`;
  $("ws-fact-channel").textContent = channel;
  $("ws-fact-started").textContent = conversation.created_at ? fullFormat.format(new Date(conversation.created_at)) : "";

  const mine = isMine(conversation);
  $("ws-take").hidden = conversation.state !== "queued";
  $("ws-close").hidden = !(mine && conversation.state === "open");

  for (const media of ["voice", "video"]) {
    const button = $(`ws-call-${media}`);
    const off = $(`ws-${media}-off`);
    const allowed = !!state.permissions[media];
    const showCalls = conversation.state !== "queued";
    button.hidden = !allowed || !showCalls;
    off.hidden = allowed || !showCalls || !state.helloSeen;
    if (!allowed) {
      const reason = state.reasons[media] ?? "not allowed";
      off.querySelector("[data-reason]").textContent = `${reason}.`;
      off.title = `${capitalise(media)} calls are not available to you: ${reason}.`;
    }
    const blocker = callBlocker(conversation, media);
    button.disabled = !!blocker;
    button.title = blocker || `Invite ${name} to a ${media} call`;
  }
  const hint = $("ws-call-hint");
  const blocker = conversation.state === "open" && mine ? deviceBlocker() : "";
  hint.hidden = !blocker || !(state.permissions.voice || state.permissions.video);
  hint.textContent = blocker ? `Calls are unavailable: ${blocker}` : "";

  const input = $("ws-composer-input");
  const canWrite = mine && conversation.state === "open" && state.connection === "online";
  input.disabled = !canWrite;
  $("ws-send").disabled = !canWrite;
  input.placeholder =
    conversation.state === "closed"
      ? "This conversation is closed."
      : conversation.state === "queued"
        ? "Take the conversation to reply."
        : !mine
          ? "This conversation is assigned to another agent."
          : state.connection !== "online"
            ? "Reconnecting… you can reply in a moment."
            : `Reply to ${name}…`;
}

function deviceBlocker(media = "voice") {
  if (!state.browser.supported) return "this browser is not supported for calls.";
  const devices = state.devices;
  if (devices && !devices.webrtc) return "this browser cannot make WebRTC calls.";
  if (devices && !devices.microphone) return "no microphone was found.";
  if (media === "video" && devices && !devices.camera) return "no camera was found.";
  return "";
}

function callBlocker(conversation, media) {
  const device = deviceBlocker(media);
  if (device) return capitalise(device);
  if (state.connection !== "online") return "Not connected to the server.";
  if (conversation.channel !== "web_messaging") return "Calls are only possible in web messaging conversations.";
  if (conversation.state !== "open" || !isMine(conversation)) return "Calls need an open conversation assigned to you.";
  if (state.call) {
    return state.call.conversation_id === conversation.id
      ? "This conversation already has a live call."
      : "You are already in a call: end it first.";
  }
  if (state.inviting) return "Sending the invitation…";
  return "";
}

function messageNode(message, conversation) {
  const time = el("time", { className: "ws-msg-time", text: shortTime(message.created_at), attrs: { datetime: message.created_at ?? "" } });
  if (message.kind === "system" || message.author === "system") {
    const kind = /video/i.test(message.text) ? "video" : "phone";
    return el("div", { className: "ws-msg ws-msg-system", attrs: { "data-message-id": String(message.id) } }, [
      el("span", { className: "ws-msg-system-pill" }, [icon(kind), el("span", { text: message.text }), time]),
    ]);
  }
  const fromAgent = message.author === "agent";
  const who = fromAgent ? "You" : consumerName(conversation);
  return el(
    "div",
    {
      className: `ws-msg ${fromAgent ? "ws-msg-agent" : "ws-msg-consumer"}`,
      attrs: { "data-message-id": String(message.id) },
    },
    [
      el("span", { className: "ws-msg-author", text: who }),
      el("p", { className: "ws-msg-bubble", text: message.text }),
      time,
    ],
  );
}

function nearBottom(node) {
  return node.scrollHeight - node.scrollTop - node.clientHeight < 80;
}

function renderTranscript() {
  const conversation = selected();
  const log = $("ws-transcript");
  if (!conversation) {
    log.replaceChildren();
    return;
  }
  log.dataset.conversationId = String(conversation.id);
  const nodes = conversation.messages.map((m) => messageNode(m, conversation));
  if (!nodes.length) {
    nodes.push(
      el("p", {
        className: "ws-transcript-empty",
        text: conversation.state === "queued" ? "No messages yet. Take the conversation to greet the consumer." : "No messages yet. Say hello!",
      }),
    );
  }
  log.replaceChildren(...nodes);
  log.scrollTop = log.scrollHeight;
}

function appendMessage(message, conversation) {
  const log = $("ws-transcript");
  if (log.querySelector(`[data-message-id="${Number(message.id)}"]`)) return;
  log.querySelector(".ws-transcript-empty")?.remove();
  const stick = nearBottom(log) || message.author === "agent";
  log.append(messageNode(message, conversation));
  if (stick) log.scrollTop = log.scrollHeight;
}

// --- rendering: readiness, banners, connection ------------------------------------------------------

function renderChecks() {
  const setCheck = (id, ok, text) => {
    const item = $(id);
    item.dataset.ok = ok === null ? "" : ok ? "yes" : "no";
    item.querySelector(".ws-check-text").textContent = text;
  };
  for (const media of ["voice", "video"]) {
    if (!state.helloSeen) continue;
    const allowed = !!state.permissions[media];
    setCheck(`ws-perm-${media}`, allowed, allowed ? `You can invite consumers to ${media} calls.` : `Not allowed: ${state.reasons[media] ?? "no permission"}.`);
  }
  const devices = state.devices;
  if (devices) {
    setCheck("ws-dev-mic", devices.microphone, devices.microphone ? "A microphone is connected." : "No microphone found: connect one to make calls.");
    setCheck("ws-dev-cam", devices.camera, devices.camera ? "A camera is connected." : "No camera found: video calls are unavailable.");
  }
  const banner = $("ws-device-banner");
  let text = "";
  if (devices && !devices.webrtc) text = "This browser cannot make WebRTC calls. Use the latest Chrome, Firefox, Safari or Edge.";
  else if (devices && !devices.microphone && !devices.camera) text = "No microphone and no camera were found. Connect a microphone to make voice calls, and a camera for video calls.";
  else if (devices && !devices.microphone) text = "No microphone was found. Connect one to make voice or video calls.";
  else if (devices && !devices.camera && state.permissions.video) text = "No camera was found. Video calls need a camera; voice calls still work.";
  banner.hidden = !text;
  $("ws-device-text").textContent = text;
}

function renderConnection() {
  const pill = $("ws-connection");
  const words = {
    connecting: "Connecting…",
    online: "Online",
    reconnecting: "Reconnecting…",
    refused: "Offline",
  };
  pill.dataset.state = state.connection;
  pill.textContent = words[state.connection];
  $("ws-presence").dataset.state = state.connection;
  const banner = $("ws-connection-banner");
  const text = $("ws-connection-text");
  text.replaceChildren();
  if (state.connection === "reconnecting") {
    text.textContent = "The connection to the server was lost. Reconnecting… a call in progress keeps running.";
    banner.hidden = false;
  } else if (state.connection === "refused") {
    if (state.refusedCode === 4401) {
      text.append("Your session has ended. ", el("a", { text: "Log in again", attrs: { href: config.login_url } }), " to keep working.");
    } else {
      text.textContent = "This login cannot use the workspace. Ask an admin of your account for access.";
    }
    banner.hidden = false;
  } else {
    banner.hidden = true;
  }
}

// --- rendering: the call ------------------------------------------------------------------------

function callConversation() {
  const call = state.call ?? (state.ended ? { conversation_id: state.ended.conversationId } : null);
  return call ? state.conversations.get(call.conversation_id) ?? { id: call.conversation_id, consumer_name: "" } : null;
}

function callStatusText() {
  const call = state.call;
  if (!call) return "";
  const who = consumerName(callConversation());
  if (state.ending) return "Ending the call…";
  if (call.state === "ringing") return `Calling ${who}…`;
  if (call.state === "connecting") return state.peerState === "connected" ? "Connected" : "Connecting…";
  if (state.peerState === "disconnected") return "Reconnecting… the connection is unstable";
  if (state.peerState === "failed") return "Connection problem: trying again…";
  return "Connected";
}

function renderCall() {
  const panel = $("ws-call");
  const call = state.call;
  const ended = !call && state.ended;
  const callState = call ? call.state : ended ? ended.state : "none";
  panel.hidden = !call && !ended;
  panel.dataset.callState = callState;
  $("ws").dataset.callState = callState;
  const media = call?.media ?? ended?.media ?? "";
  panel.dataset.media = media;
  panel.dataset.callId = String(call?.id ?? ended?.callId ?? "");
  if (panel.hidden) return;

  const who = consumerName(callConversation());
  $("ws-call-title").textContent = `${capitalise(mediaWord(media))} call with ${who}`;
  const status = call ? callStatusText() : ended.title;
  const statusNode = $("ws-call-status");
  if (statusNode.textContent !== status) statusNode.textContent = status;

  const ringing = call?.state === "ringing";
  const inMedia = call && MEDIA_STATES.has(call.state);
  $("ws-ringing").hidden = !ringing;
  $("ws-stage").hidden = !inMedia;
  $("ws-controls").hidden = !inMedia;
  $("ws-ended").hidden = !ended;
  $("ws-call-cancel").disabled = state.ending;
  if (ringing) $("ws-ringing-sub").textContent = `${capitalise(mediaWord(media))} call invitation sent to ${who}.`;

  if (inMedia) {
    const video = media === "video";
    $("ws-remote-video").hidden = !video;
    $("ws-voice-visual").hidden = video;
    $("ws-local").hidden = !video;
    paintAvatar($("ws-voice-avatar"), callConversation());
    $("ws-voice-label").textContent = call.state === "active" ? `On a voice call with ${who}` : `Connecting to ${who}…`;
    const peer = state.consumerMedia;
    const peerCameraOff = video && peer !== null && peer.video === false;
    $("ws-remote-off").hidden = !peerCameraOff;
    const chips = [];
    if (peer && peer.audio === false) chips.push(el("li", { className: "ws-peer-chip" }, [icon("micOff"), el("span", { text: "Consumer muted" })]));
    if (peerCameraOff) chips.push(el("li", { className: "ws-peer-chip" }, [icon("videoOff"), el("span", { text: "Consumer camera off" })]));
    const list = $("ws-consumer-media");
    const before = [...list.children].map((c) => c.textContent).join("|");
    const after = chips.map((c) => c.textContent).join("|");
    if (before !== after) list.replaceChildren(...chips);

    const mute = $("ws-mute");
    const muted = !!session?.muted;
    mute.setAttribute("aria-pressed", String(muted));
    mute.querySelector(".ws-ctl-label").textContent = muted ? "Unmute" : "Mute";
    mute.title = muted ? "Unmute your microphone" : "Mute your microphone";
    mute.disabled = !session || state.ending;
    const camera = $("ws-camera");
    camera.hidden = !video;
    const cameraOn = !!session?.cameraOn;
    camera.setAttribute("aria-pressed", String(!cameraOn));
    camera.querySelector(".ws-ctl-label").textContent = cameraOn ? "Camera off" : "Camera on";
    camera.title = cameraOn ? "Turn your camera off" : "Turn your camera on";
    camera.disabled = !session || state.ending;
    $("ws-local-off").hidden = cameraOn;
    $("ws-switch-camera").hidden = !video || state.cameraCount < 2;
    $("ws-switch-camera").disabled = !session || !cameraOn || state.ending;
    $("ws-hangup").disabled = state.ending;
    const quality = $("ws-quality");
    const q = state.quality;
    quality.hidden = !q || call.state !== "active";
    if (q) {
      const parts = [q.candidate_type === "relay" ? "Relayed" : q.candidate_type ? "Peer-to-peer" : ""];
      if (q.rtt_ms !== undefined) parts.push(`${q.rtt_ms} ms`);
      if (q.bitrate_kbps !== undefined) parts.push(`${q.bitrate_kbps} kbit/s`);
      quality.textContent = parts.filter(Boolean).join(" · ");
    }
  }
  if (ended) {
    $("ws-ended-title").textContent = ended.title;
    $("ws-ended-detail").textContent = ended.detail;
    $("ws-ended").dataset.tone = ended.tone;
  }
  renderTimer();
}

function renderTimer() {
  const call = state.call;
  const timer = $("ws-call-timer");
  if (!call) {
    timer.textContent = "";
    return;
  }
  const since = call.state === "active" ? call.started_at : call.state === "ringing" ? call.created_at : null;
  timer.textContent = since ? clock((Date.now() - new Date(since).getTime()) / 1000) : "";
}

function renderAll() {
  renderConnection();
  renderList();
  renderConversation();
  renderChecks();
  renderCall();
}

let ticks = 0;
setInterval(() => {
  if (state.call) renderTimer();
  if (++ticks % 30 === 0) renderList(); // queue waiting times
}, TICK_MS);

// --- the call ---------------------------------------------------------------------------------

const REASON_WORDS = {
  conversation_closed: "the conversation was closed",
  agent_hangup: "you hung up",
  consumer_hangup: "the consumer hung up",
  webview_closed: "the consumer closed the call window",
  page_closed: "the consumer left the page",
  agent_gone: "your connection was lost",
  consumer_gone: "the consumer's connection was lost",
  no_answer: "the consumer did not answer",
  connect_timeout: "the connection could not be set up in time",
  ice_failed: "no network path between you and the consumer",
  unsupported_browser: "the consumer's browser is not supported",
  no_webrtc: "the consumer's browser cannot make calls",
  no_camera: "no camera was found",
  no_microphone: "no microphone was found",
  no_devices: "no microphone or camera was found",
  permission_denied: "access to the microphone or camera was denied",
};

// The call whose failure was this browser's own microphone/camera (the server's reason does not say whose).
let ownMediaErrorCall = null;

/** A failed or dropped call's card also says what to do next. */
function withRemedy(ended, call) {
  if (call.state !== "failed" && call.state !== "dropped") return ended;
  const remedy = remedyFor(call.reason, ownMediaErrorCall === call.id ? "self" : "consumer");
  if (!remedy) return ended;
  // The server's failure text is the consumer's (it tells them what to do); the agent reads the
  // reason in their own words, and what to do about it.
  const own = ownMediaErrorCall === call.id;
  const words = capitalise(REASON_WORDS[call.reason] ?? "");
  const where = own ? words.replace(/^Access to the /, "Access to your ") : `${words} on the consumer's side`;
  const title = call.state === "failed" && words ? `Call failed: ${where}` : ended.title;
  return { ...ended, title, detail: call.state === "failed" ? remedy : `${ended.detail} ${remedy}`.trim() };
}

function describeEnd(call, error, hungUpHere) {
  const media = mediaWord(call.media);
  // "user" is what calls ended before the server recorded `agent_hangup`/`consumer_hangup` carry.
  const reason = call.reason === "user" ? (hungUpHere ? "you hung up" : "the consumer hung up") : (REASON_WORDS[call.reason] ?? "");
  const base = { callId: call.id, conversationId: call.conversation_id, state: call.state, media: call.media };
  switch (call.state) {
    case "rejected":
      return { ...base, title: "Call declined", detail: `The consumer declined the ${media} call.`, tone: "neutral" };
    case "expired":
      return { ...base, title: "Missed call", detail: `The consumer did not answer the ${media} call.`, tone: "neutral" };
    case "cancelled": {
      let detail = call.answered_at ? "The call ended before it connected" : "The invitation was withdrawn";
      if (call.reason === "conversation_closed") detail += ": the conversation was closed.";
      else if (call.reason === "consumer_hangup") detail = "The consumer hung up before the call connected.";
      else detail += hungUpHere || call.reason === "agent_hangup" ? " by you." : ".";
      return { ...base, title: "Call cancelled", detail, tone: "neutral" };
    }
    case "failed": {
      const text = error?.text || capitalise(reason) || "The call could not be set up.";
      return { ...base, title: `Call failed: ${text}`, detail: reason ? `Reason: ${reason}.` : "", tone: "error" };
    }
    case "completed": {
      const duration = call.duration_s !== null && call.duration_s !== undefined ? clock(call.duration_s) : "";
      const who = reason ? ` ${capitalise(reason)}.` : "";
      return { ...base, title: "Call ended", detail: `${capitalise(media)} call${duration ? `, ${duration}` : ""}.${who}`, tone: "neutral" };
    }
    case "dropped":
      return { ...base, title: "Call dropped", detail: reason ? `${capitalise(reason)}.` : "The connection was lost.", tone: "error" };
    default:
      return { ...base, title: "Call ended", detail: "", tone: "neutral" };
  }
}

/** The call's media as "voice"|"video". */
function callMedia(call) {
  return call.media === "video" ? "video" : "voice";
}

function mediaSettings(call, extras) {
  if (extras?.media && typeof extras.media === "object") return extras.media;
  const video = call.media === "video";
  return { agent_camera_on: video, consumer_camera_on: video };
}

function attachStream(videoElement, stream) {
  if (videoElement.srcObject !== stream) videoElement.srcObject = stream;
  const playing = videoElement.play();
  if (playing?.catch) playing.catch(() => {});
}

function startSession(call, extras) {
  const current = new CallSession({
    socket,
    party: "agent",
    call,
    ice: extras.ice ?? { iceServers: [] },
    media: mediaSettings(call, extras),
  });
  session = current;
  // Until the consumer says otherwise (call.media), assume what the account's settings start with.
  state.consumerMedia = { audio: true, video: !!mediaSettings(call, extras).consumer_camera_on, camera: null };
  state.peerState = "new";
  state.quality = null;
  const ours = () => session === current;
  current.addEventListener("local-stream", ({ detail }) => {
    if (!ours()) return;
    attachStream($("ws-local-video"), detail.stream);
    renderCall();
  });
  current.addEventListener("remote-stream", ({ detail }) => {
    if (!ours()) return;
    attachStream(call.media === "video" ? $("ws-remote-video") : $("ws-remote-audio"), detail.stream);
  });
  current.addEventListener("connection-state", ({ detail }) => {
    if (!ours()) return;
    if (detail.state === "disconnected" && state.peerState === "connected") announce("The connection is unstable. Reconnecting the call.");
    if (detail.state === "connected" && state.peerState === "disconnected") announce("The call is reconnected.");
    state.peerState = detail.state;
    renderCall();
  });
  current.addEventListener("stats", ({ detail }) => {
    if (!ours()) return;
    state.quality = detail.stats;
    renderCall();
  });
  current.addEventListener("media-error", ({ detail }) => {
    const words = detail.reason === "permission_denied" ? "access to your microphone or camera was denied" : "no usable microphone or camera was found";
    ownMediaErrorCall = current.callId;
    toast(`The call cannot start: ${words}. ${remedyFor(detail.reason, "self")}`, { title: "Microphone or camera", tone: "error" });
  });
  current.addEventListener("warning", ({ detail }) => console.warn("call:", detail.message));
  current.addEventListener("closed", () => {
    if (!ours()) return;
    session = null;
    renderCall();
  });
  // Signals are handled one at a time, in order, after start() built the peer connection.
  signalChain = current.start().catch((error) => toast(String(error?.message ?? error), { title: "The call could not start", tone: "error" }));
  const early = earlySignals.filter((frame) => frame.call_id === call.id);
  earlySignals = [];
  for (const frame of early) queueSignal(current, frame.signal);
  CallSession.cameraCount().then((count) => {
    state.cameraCount = count;
    renderCall();
  });
}

function queueSignal(target, signal) {
  signalChain = signalChain.then(() => target.handleSignal(signal)).catch(() => {});
}

function stopSession() {
  if (session) {
    const current = session;
    session = null;
    current.close();
  }
  for (const id of ["ws-remote-video", "ws-local-video", "ws-remote-audio"]) $(id).srcObject = null;
  state.peerState = "";
  state.quality = null;
  state.consumerMedia = null;
}

/** Apply a call as the server says it is now: from `call.state`, or `hello.call` on a (re)connect. */
function applyCall(rawCall, extras, { fromHello = false } = {}) {
  const call = { ...rawCall, media: callMedia(rawCall) };
  const previous = state.call;
  if (LIVE.has(call.state)) {
    const isNew = !previous || previous.id !== call.id;
    state.call = call;
    state.ended = null;
    if (isNew) state.ending = false;
    if (MEDIA_STATES.has(call.state)) {
      if (!session || session.callId !== call.id || session.closed) {
        if (session) stopSession();
        startSession(call, extras);
      }
    } else if (session) {
      stopSession();
    }
    if (isNew && state.selectedId === null) select(call.conversation_id);
    if (isNew || previous.state !== call.state) {
      if (call.state === "ringing" && !fromHello) announce(`Calling ${consumerName(callConversation())}. Waiting for the consumer.`);
      if (call.state === "connecting") announce("The consumer accepted. Connecting the call.");
      if (call.state === "active") announce("The call is connected.");
      if (fromHello && isNew && MEDIA_STATES.has(call.state)) toast("Rejoining your call…", { title: "Call in progress" });
    }
  } else {
    const hungUpHere = state.ending;
    if (session && session.callId === call.id) stopSession();
    if (!previous || previous.id === call.id) {
      state.call = null;
      state.ending = false;
      state.ended = withRemedy(describeEnd(call, extras?.error, hungUpHere), call);
      announce(`${state.ended.title}. ${state.ended.detail}`);
      if (call.state === "failed") toast(state.ended.title.replace(/^Call failed: /, ""), { title: "Call failed", tone: "error" });
    }
  }
  renderAll();
}

async function invite(media) {
  const conversation = selected();
  if (!conversation || callBlocker(conversation, media)) return;
  state.inviting = true;
  state.ended = null;
  renderAll();
  try {
    await request({ type: "call.invite", conversation_id: conversation.id, media });
  } catch {
    /* shown by the error handler */
  } finally {
    state.inviting = false;
    renderAll();
  }
}

async function hangup() {
  const call = state.call;
  if (!call || state.ending) return;
  state.ending = true;
  renderCall();
  if (session && session.callId === call.id) {
    // No reason: the server records `agent_hangup`, which says who ended the call.
    await session.hangup();
  } else {
    try {
      await request({ type: "call.hangup", call_id: call.id });
    } catch {
      state.ending = false;
      renderCall();
    }
  }
}

// --- socket frames --------------------------------------------------------------------------------

socket.addEventListener("hello", ({ detail: hello }) => {
  state.connection = "online";
  state.helloSeen = true;
  state.refusedCode = null;
  state.permissions = hello.permissions ?? { voice: false, video: false };
  state.reasons = hello.permission_reasons ?? {};
  state.texts = hello.texts ?? {};
  const previous = state.conversations;
  state.conversations = new Map();
  for (const conversation of hello.conversations ?? []) {
    const before = previous.get(conversation.id);
    state.conversations.set(conversation.id, {
      ...conversation,
      messages: conversation.messages ?? [],
      unread: before?.unread ?? 0,
      loaded: true,
    });
  }
  if (state.selectedId !== null && !state.conversations.has(state.selectedId)) {
    const gone = previous.get(state.selectedId);
    if (gone && gone.state === "closed") state.conversations.set(gone.id, gone);
    else state.selectedId = null;
  }
  if (hello.call) {
    const { ice, media, error } = hello.call_extras || {};
    applyCall(hello.call, { ice, media, error }, { fromHello: true });
  } else if (state.call) {
    // The call ended while this page was not connected; its last frame was not replayed.
    const ended = state.call;
    stopSession();
    state.call = null;
    state.ending = false;
    state.ended = {
      callId: ended.id,
      conversationId: ended.conversation_id,
      state: "completed",
      media: ended.media,
      title: "Call ended",
      detail: "The call ended while you were disconnected.",
      tone: "neutral",
    };
  }
  renderAll();
  renderTranscript();
});

socket.addEventListener("conversation", ({ detail }) => {
  const incoming = detail.conversation;
  const existing = state.conversations.get(incoming.id);
  const mine = incoming.agent_id === state.agent.id;
  const visible = incoming.state === "queued" || (mine && (incoming.state === "open" || existing));
  if (!visible) {
    if (existing) {
      state.conversations.delete(incoming.id);
      if (state.selectedId === incoming.id) {
        state.selectedId = null;
        $("ws").dataset.view = "list";
        toast(`${consumerName(existing)} was taken by another agent.`, { title: "Conversation moved" });
      }
      renderAll();
      renderTranscript();
    }
    return;
  }
  const conversation = { ...(existing ?? { messages: [], unread: 0, loaded: false }), ...incoming };
  state.conversations.set(incoming.id, conversation);
  if (!existing && mine && incoming.state === "open") {
    toast(`${consumerName(conversation)} started a conversation.`, { title: "New conversation", tone: "success" });
    announce(`New conversation from ${consumerName(conversation)}.`);
  } else if (!existing && incoming.state === "queued") {
    announce(`${consumerName(conversation)} is waiting in the queue.`);
  }
  if (existing?.state === "queued" && mine) loadTranscript(incoming.id);
  renderAll();
});

socket.addEventListener("message", ({ detail }) => {
  const message = detail.message;
  const conversation = state.conversations.get(message.conversation_id);
  if (!conversation) return;
  if (conversation.messages.some((m) => m.id === message.id)) return;
  mergeMessages(conversation, [message]);
  const onScreen = state.selectedId === conversation.id && !document.hidden;
  if (message.author === "consumer" && !onScreen) conversation.unread = (conversation.unread || 0) + 1;
  if (state.selectedId === conversation.id) appendMessage(message, conversation);
  renderList();
});

socket.addEventListener("call.state", ({ detail }) => {
  const { call, ice, media, error } = detail;
  applyCall(call, { ice, media, error });
});

socket.addEventListener("call.signal", ({ detail }) => {
  if (session && session.callId === detail.call_id) {
    queueSignal(session, detail.signal);
  } else if (state.call?.id === detail.call_id || !state.call) {
    // A signal may overtake our own call.state connecting: keep it for the session about to start.
    earlySignals.push(detail);
    if (earlySignals.length > MAX_EARLY_SIGNALS) earlySignals.shift();
  }
});

socket.addEventListener("call.media", ({ detail }) => {
  if (detail.from !== "consumer" || state.call?.id !== detail.call_id) return;
  const before = state.consumerMedia;
  state.consumerMedia = { audio: detail.audio, video: detail.video, camera: detail.camera };
  if (before && before.audio !== detail.audio) announce(detail.audio ? "The consumer unmuted." : "The consumer muted.");
  if (before && before.video !== detail.video && state.call.media === "video") {
    announce(detail.video ? "The consumer turned the camera on." : "The consumer turned the camera off.");
  }
  renderCall();
});

const recentErrors = new Map(); // message -> when it was last shown
socket.addEventListener("error", ({ detail }) => {
  // A frame without an id that fails after the call ended (a late ICE candidate, a stats sample) is a
  // race the agent can do nothing about: it goes to the console, not into a toast.
  if (detail.re === undefined && !state.call && (detail.code === "not_found" || detail.code === "invalid_state")) {
    console.warn("workspace: late call frame refused:", detail.code, detail.message);
    return;
  }
  const now = Date.now();
  if (now - (recentErrors.get(detail.message) ?? 0) < 4000) return; // the same words are already on screen
  recentErrors.set(detail.message, now);
  toastError(detail);
});

socket.addEventListener("close", ({ detail }) => {
  if (detail.code === 4401 || detail.code === 4403) {
    state.connection = "refused";
    state.refusedCode = detail.code;
  } else {
    state.connection = "reconnecting";
  }
  renderAll();
});

// --- user actions --------------------------------------------------------------------------------

$("ws-call-voice").addEventListener("click", () => invite("voice"));
$("ws-call-video").addEventListener("click", () => invite("video"));
$("ws-call-cancel").addEventListener("click", () => hangup());
$("ws-hangup").addEventListener("click", () => hangup());
$("ws-mute").addEventListener("click", () => {
  if (!session) return;
  session.setMuted(!session.muted);
  announce(session.muted ? "You are muted." : "You are unmuted.");
  renderCall();
});
$("ws-camera").addEventListener("click", () => {
  if (!session) return;
  session.setCameraOn(!session.cameraOn);
  announce(session.cameraOn ? "Your camera is on." : "Your camera is off.");
  renderCall();
});
$("ws-switch-camera").addEventListener("click", async () => {
  if (!session) return;
  $("ws-switch-camera").disabled = true;
  try {
    await session.switchCamera();
  } catch (error) {
    toast(`The other camera could not be opened (${error?.name ?? "error"}).`, { title: "Switch camera", tone: "error" });
  } finally {
    renderCall();
  }
});
$("ws-ended-dismiss").addEventListener("click", () => {
  state.ended = null;
  renderAll();
});
$("ws-take").addEventListener("click", () => state.selectedId !== null && take(state.selectedId));
$("ws-back").addEventListener("click", () => {
  const id = state.selectedId;
  state.selectedId = null;
  $("ws").dataset.view = "list";
  renderAll();
  rows.get(id)?.querySelector(".ws-conv-item")?.focus();
});

$("ws-close").addEventListener("click", () => {
  const conversation = selected();
  if (!conversation) return;
  const live = state.call?.conversation_id === conversation.id;
  $("ws-close-text").textContent = live
    ? `The live call with ${consumerName(conversation)} ends, and they can no longer write in this conversation.`
    : `${consumerName(conversation)} can no longer write in this conversation.`;
  $("ws-close-dialog").dataset.conversationId = String(conversation.id);
  $("ws-close-dialog").showModal();
});
$("ws-close-dialog").addEventListener("close", async () => {
  const dialog = $("ws-close-dialog");
  if (dialog.returnValue !== "close") return;
  const conversationId = Number(dialog.dataset.conversationId);
  try {
    await request({ type: "conversation.close", conversation_id: conversationId });
    toast(`The conversation with ${consumerName(state.conversations.get(conversationId))} is closed.`, { tone: "success", timeoutMs: 4000 });
  } catch {
    /* shown by the error handler */
  }
});

const composer = $("ws-composer");
const input = $("ws-composer-input");
function fitComposer() {
  input.style.height = "auto";
  input.style.height = `${Math.min(input.scrollHeight, 160)}px`;
}
input.addEventListener("input", fitComposer);
input.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    composer.requestSubmit();
  }
});
composer.addEventListener("submit", async (event) => {
  event.preventDefault();
  const conversation = selected();
  const text = input.value.trim();
  if (!conversation || !text || input.disabled) return;
  input.value = "";
  fitComposer();
  try {
    await request({ type: "message.send", conversation_id: conversation.id, text });
  } catch {
    if (!input.value) input.value = text; // keep what the agent wrote
    fitComposer();
  }
});

document.addEventListener("visibilitychange", () => {
  const conversation = selected();
  if (!document.hidden && conversation?.unread) {
    conversation.unread = 0;
    renderList();
  }
});

// --- start ------------------------------------------------------------------------------------------

async function checkDevices() {
  state.devices = await clientCapabilities();
  renderAll();
}
navigator.mediaDevices?.addEventListener?.("devicechange", checkDevices);
checkDevices();
renderAll();
socket.connect();
