// The call: the panel (ringing, stage, controls, ended), the CallSession that runs the WebRTC side
// (static/calls/callclient.js), and applying the server's call states to both.

import { CallSession } from "../calls/callclient.js";
import { LIVE, MEDIA_STATES } from "../calls/callstates.js";
import { socket, state } from "./context.js";
import { $, announce, el, icon, paintAvatar, toast } from "./dom.js";
import { capitalise, clock, consumerName, describeEnd, mediaWord, qualityText, withRemedy } from "./format.js";
import { remedyFor } from "../calls/remedies.js";
import { callBlocker, callStatusText } from "./rules.js";
import { selected } from "./state.js";
import { renderAll, request, select } from "./conversation.js";

// The call whose failure was this browser's own microphone/camera (the server's reason does not say whose).
let ownMediaErrorCall = null;

const MAX_EARLY_SIGNALS = 200;

let session = null;
let signalChain = Promise.resolve();
let earlySignals = []; // call.signal frames for a call whose session is not set up yet

/** The live CallSession, or null. */
export function currentSession() {
  return session;
}

function callConversation() {
  const call = state.call ?? (state.ended ? { conversation_id: state.ended.conversationId } : null);
  return call ? (state.conversations.get(call.conversation_id) ?? { id: call.conversation_id, consumer_name: "" }) : null;
}

export function renderCall() {
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
  const status = call ? callStatusText(state, who) : ended.title;
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
  if (inMedia) renderStage(call, media, who);
  if (ended) {
    $("ws-ended-title").textContent = ended.title;
    $("ws-ended-detail").textContent = ended.detail;
    $("ws-ended").dataset.tone = ended.tone;
  }
  renderTimer();
}

function renderStage(call, media, who) {
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
  if (call.consumer_device) chips.push(el("li", { className: "ws-peer-chip ws-peer-phone" }, [icon("mobile"), el("span", { text: "Consumer on their phone" })]));
  if (state.consumerReconnecting) chips.push(el("li", { className: "ws-peer-chip ws-peer-reconnecting" }, [icon("alert"), el("span", { text: "Consumer reconnecting…" })]));
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
    quality.textContent = qualityText(q);
    quality.dataset.degraded = String(!!q.degraded);
    quality.title = q.degraded
      ? "Your upload cannot carry the full 2,600 kbit/s: the video is sent at a lower resolution and frame rate."
      : "Connection path, round trip, and what you send and receive.";
  }
}

export function renderTimer() {
  const call = state.call;
  const timer = $("ws-call-timer");
  if (!call) {
    timer.textContent = "";
    return;
  }
  const since = call.state === "active" ? call.started_at : call.state === "ringing" ? call.created_at : null;
  timer.textContent = since ? clock((Date.now() - new Date(since).getTime()) / 1000) : "";
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
    state.quality = { ...detail.stats, ...(detail.local ?? {}) };
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

/** A `call.signal` frame: to the session of its call, or kept until that session starts. */
export function receiveSignal(frame) {
  if (session && session.callId === frame.call_id) {
    queueSignal(session, frame.signal);
  } else if (state.call?.id === frame.call_id || !state.call) {
    // A signal may overtake our own call.state connecting: keep it for the session about to start.
    earlySignals.push(frame);
    if (earlySignals.length > MAX_EARLY_SIGNALS) earlySignals.shift();
  }
}

export function stopSession() {
  if (session) {
    const current = session;
    session = null;
    current.close();
  }
  for (const id of ["ws-remote-video", "ws-local-video", "ws-remote-audio"]) $(id).srcObject = null;
  state.peerState = "";
  state.quality = null;
  state.consumerMedia = null;
  state.consumerReconnecting = false;
}

/** Apply a call as the server says it is now: from `call.state`, or `hello.call` on a (re)connect. */
export function applyCall(rawCall, extras, { fromHello = false } = {}) {
  const call = { ...rawCall, media: mediaWord(rawCall.media) };
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
      state.ended = withRemedy(describeEnd(call, extras?.error, hungUpHere), call, ownMediaErrorCall === call.id);
      announce(`${state.ended.title}. ${state.ended.detail}`);
      if (call.state === "failed") toast(state.ended.title.replace(/^Call failed: /, ""), { title: "Call failed", tone: "error" });
    }
  }
  renderAll();
}

export async function invite(media) {
  const conversation = selected(state);
  if (!conversation || callBlocker(state, conversation, media)) return;
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

export async function hangup() {
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
