// The agent workspace (/workspace/): the inbox, the transcript, the composer and the call.
//
// Everything live comes over /ws/agent/ (docs/protocol.md): `hello` on every (re)connect, then
// `conversation`, `message`, `call.state`, `call.signal`, `call.media` and `error` frames. This module
// applies each frame to the state (state.js: pure transitions) and redraws; the modules by concern:
// inbox.js, transcript.js, conversation.js, composer.js, callpanel.js (the call runs in the shared
// CallSession, static/calls/callclient.js), actions.js; words and rules in format.js and rules.js.
//
// Test hook: window.__workspace = {session, socket, state} (session is the live CallSession or null;
// `session.pc` is its RTCPeerConnection).

import { clientCapabilities } from "../calls/callclient.js";
import { socket, state } from "./context.js";
import { $, announce, applyTexts, toast, toastError } from "./dom.js";
import { consumerName } from "./format.js";
import {
  applyClose,
  applyConsumerMedia,
  applyConversation,
  applyHello,
  applyMessage,
  applyPeerConnection,
  endedWhileAway,
} from "./state.js";
import { applyCall, currentSession, receiveSignal, renderCall, renderTimer, stopSession } from "./callpanel.js";
import { applyShareFrame, wireShare } from "./sharepanel.js";
import { renderAll } from "./conversation.js";
import { renderList } from "./inbox.js";
import { appendMessage, loadTranscript, renderTranscript } from "./transcript.js";
import { wireActions } from "./actions.js";
import { wireComposer } from "./composer.js";

const TICK_MS = 1000;
const SAME_ERROR_QUIET_MS = 4000;

window.__workspace = {
  get session() {
    return currentSession();
  },
  socket,
  state,
};

// Support changed the kill switches, profiles, grants or texts: the call buttons follow, no reload.
socket.addEventListener("settings", ({ detail }) => {
  state.permissions = detail.permissions ?? state.permissions;
  state.reasons = detail.permission_reason_codes ?? {};
  state.texts = detail.texts ?? state.texts;
  applyTexts(state.texts);
  renderAll();
});

socket.addEventListener("hello", ({ detail: hello }) => {
  applyHello(state, hello);
  applyTexts(state.texts);
  if (hello.call) {
    const { ice, media, error } = hello.call_extras || {};
    applyCall(hello.call, { ice, media, error }, { fromHello: true });
  } else if (state.call) {
    const ended = state.call;
    stopSession();
    state.call = null;
    state.ending = false;
    state.ended = endedWhileAway(ended, state.texts);
  }
  renderAll();
  renderTranscript();
});

socket.addEventListener("conversation", ({ detail }) => {
  const outcome = applyConversation(state, detail.conversation);
  const { change, conversation } = outcome;
  if (change === "ignored") return;
  if (change === "removed") {
    if (outcome.wasSelected) {
      $("ws").dataset.view = "list";
      toast(`${consumerName(conversation, state.texts)} was taken by another agent.`, { title: "Conversation moved" });
    }
    renderAll();
    renderTranscript();
    return;
  }
  if (change === "added" && outcome.mine && !outcome.queued) {
    toast(`${consumerName(conversation, state.texts)} started a conversation.`, { title: "New conversation", tone: "success" });
    announce(`New conversation from ${consumerName(conversation, state.texts)}.`);
  } else if (change === "added" && outcome.queued) {
    announce(`${consumerName(conversation, state.texts)} is waiting in the queue.`);
  }
  if (outcome.taken) loadTranscript(conversation.id);
  renderAll();
});

socket.addEventListener("message", ({ detail }) => {
  const conversation = applyMessage(state, detail.message, { pageVisible: !document.hidden });
  if (!conversation) return;
  if (state.selectedId === conversation.id) appendMessage(detail.message, conversation);
  renderList();
});

socket.addEventListener("call.state", ({ detail }) => {
  const { call, ice, media, error } = detail;
  applyCall(call, { ice, media, error });
});

socket.addEventListener("call.signal", ({ detail }) => receiveSignal(detail));

// The consumer's connection went or came back during the call; the call survives for the reconnect grace.
socket.addEventListener("call.peer", ({ detail }) => {
  const said = applyPeerConnection(state, detail);
  if (said === null) return;
  announce(said);
  renderCall();
});

socket.addEventListener("call.media", ({ detail }) => {
  const said = applyConsumerMedia(state, detail);
  if (said === null) return;
  for (const text of said) announce(text);
  renderCall();
});

// The consumer shares a screen, stops, or answers "no" to our request (sharepanel.js).
for (const type of ["call.share", "call.share.decline"]) socket.addEventListener(type, ({ detail }) => applyShareFrame(detail));

const recentErrors = new Map(); // message -> when it was last shown
socket.addEventListener("error", ({ detail }) => {
  // A frame without an id that fails after the call ended (a late ICE candidate, a stats sample) is a
  // race the agent can do nothing about: it goes to the console, not into a toast.
  if (detail.re === undefined && !state.call && (detail.code === "not_found" || detail.code === "invalid_state")) {
    console.warn("workspace: late call frame refused:", detail.code, detail.message);
    return;
  }
  const now = Date.now();
  const same = `${detail.code} ${detail.detail ?? ""} ${detail.message ?? ""}`;
  if (now - (recentErrors.get(same) ?? 0) < SAME_ERROR_QUIET_MS) return; // already on screen
  recentErrors.set(same, now);
  toastError(detail);
});

socket.addEventListener("close", ({ detail }) => {
  applyClose(state, detail.code);
  renderAll();
});

wireActions();
wireComposer();
wireShare();

let ticks = 0;
setInterval(() => {
  if (state.call) renderTimer();
  if (++ticks % 30 === 0) renderList(); // queue waiting times
}, TICK_MS);

async function checkDevices() {
  state.devices = await clientCapabilities();
  renderAll();
}
navigator.mediaDevices?.addEventListener?.("devicechange", checkDevices);
checkDevices();
renderAll();
socket.connect();
