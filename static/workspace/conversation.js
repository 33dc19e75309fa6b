// The selected conversation (header, facts, call buttons, composer state), the readiness checks and
// the connection banner; selecting and taking conversations; renderAll draws the whole page.

import { config, socket, state } from "./context.js";
import { $, el, paintAvatar, toastError } from "./dom.js";
import { say } from "../calls/callstates.js";
import { consumerName, fullFormat, mediaName, shortTime } from "./format.js";
import { callBlocker, composerState, deviceBannerText, deviceBlocker, deviceChecks, permissionCheck, permissionNote } from "./rules.js";
import { isMine, selected } from "./state.js";
import { renderList } from "./inbox.js";
import { loadTranscript, renderTranscript } from "./transcript.js";
import { renderCall } from "./callpanel.js";

/** A command whose refusal the global `error` handler already shows; offline/timeout are shown here.
 * Sent with an idempotency key and resent with the same key while the socket reconnects. */
export async function request(frame) {
  try {
    return await socket.command(frame);
  } catch (error) {
    if (error?.code === "offline" || error?.code === "timeout") toastError(error);
    throw error;
  }
}

export function select(conversationId, { focusComposer = false } = {}) {
  state.selectedId = conversationId;
  if (state.ended && state.ended.conversationId !== conversationId) state.ended = null;
  const conversation = selected(state);
  if (conversation) {
    conversation.unread = 0;
    if (conversation.state === "queued" || !conversation.loaded) loadTranscript(conversation.id);
  }
  $("ws").dataset.view = conversation ? "conversation" : "list";
  renderAll();
  renderTranscript();
  if (focusComposer && conversation && !$("ws-composer-input").disabled) $("ws-composer-input").focus();
}

export async function take(conversationId) {
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

function renderConversation() {
  const conversation = selected(state);
  $("ws-no-selection").hidden = !!conversation;
  $("ws-conv-inner").hidden = !conversation;
  $("ws-consumer-card").hidden = !conversation;
  if (!conversation) return;
  const name = consumerName(conversation, state.texts);
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

  const mine = isMine(state, conversation);
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
      const note = permissionNote(state, media);
      off.querySelector("[data-reason]").textContent = note.reason;
      off.title = note.title;
    }
    const blocker = callBlocker(state, conversation, media);
    button.disabled = !!blocker;
    button.title = blocker || say(state.texts, "agent_invite_tooltip", { consumer_name: name, media: mediaName(state.texts, media) });
  }
  const hint = $("ws-call-hint");
  const blocker = conversation.state === "open" && mine ? deviceBlocker(state) : "";
  hint.hidden = !blocker || !(state.permissions.voice || state.permissions.video);
  hint.textContent = blocker ? say(state.texts, "agent_calls_unavailable", { reason: blocker }) : "";

  const input = $("ws-composer-input");
  const { canWrite, placeholder } = composerState(state, conversation, name);
  input.disabled = !canWrite;
  $("ws-send").disabled = !canWrite;
  input.placeholder = placeholder;
}

function renderChecks() {
  const setCheck = (id, check) => {
    const item = $(id);
    item.dataset.ok = check.ok === null ? "" : check.ok ? "yes" : "no";
    item.querySelector(".ws-check-text").textContent = check.text;
  };
  for (const media of ["voice", "video"]) {
    const check = permissionCheck(state, media);
    if (check) setCheck(`ws-perm-${media}`, check);
  }
  const devices = deviceChecks(state.devices, state.texts);
  if (devices) {
    setCheck("ws-dev-mic", devices.mic);
    setCheck("ws-dev-cam", devices.cam);
  }
  const text = deviceBannerText(state.devices, state.permissions, state.texts);
  $("ws-device-banner").hidden = !text;
  $("ws-device-text").textContent = text;
}

const CONNECTION_WORDS = { connecting: "Connecting…", online: "Online", reconnecting: "Reconnecting…", refused: "Offline" };

function renderConnection() {
  const pill = $("ws-connection");
  pill.dataset.state = state.connection;
  pill.textContent = CONNECTION_WORDS[state.connection];
  $("ws-presence").dataset.state = state.connection;
  const banner = $("ws-connection-banner");
  const text = $("ws-connection-text");
  text.replaceChildren();
  if (state.connection === "reconnecting") {
    text.textContent = say(state.texts, "agent_reconnecting_call");
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

export function renderAll() {
  renderConnection();
  renderList();
  renderConversation();
  renderChecks();
  renderCall();
}
