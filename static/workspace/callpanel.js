// The call: the panel (ringing, stage, controls, ended), the CallSession that runs the WebRTC side
// (static/calls/callclient.js), and applying the server's call states to both.

import { CallSession } from "../calls/callclient.js";
import { LIVE, MEDIA_STATES } from "../calls/callstates.js";
import { socket, state } from "./context.js";
import { $, announce, el, icon, paintAvatar, toast } from "./dom.js";
import { clock, consumerName, describeEnd, mediaName, mediaWord, qualityText, reasonWords, withRemedy } from "./format.js";
import { say } from "../calls/callstates.js";
import { remedyFor } from "../calls/remedies.js";
import { showSelf } from "../calls/selfview.js";
import { callBlocker, callStatusText } from "./rules.js";
import { selected } from "./state.js";
import { renderAll, request, select } from "./conversation.js";
import { attachDevices } from "./devicedialog.js";
import { attachShare, detachShare, renderShare, shareChips } from "./sharepanel.js";

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

  const who = consumerName(callConversation(), state.texts);
  const texts = state.texts;
  $("ws-call-title").textContent = say(texts, "agent_call_title", { media: mediaName(texts, media), consumer_name: who });
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
  if (ringing) {
    $("ws-ringing-title").textContent = say(texts, "agent_ringing_title");
    $("ws-ringing-sub").textContent = say(texts, "agent_ringing_sub", { media: mediaName(texts, media), consumer_name: who });
  }
  if (inMedia) renderStage(call, media, who);
  if (ended) {
    $("ws-ended-dismiss").textContent = say(texts, "agent_dismiss");
    $("ws-ended-title").textContent = ended.title;
    $("ws-ended-detail").textContent = ended.detail;
    $("ws-ended").dataset.tone = ended.tone;
  }
  renderTimer();
}

function renderStage(call, media, who) {
  const texts = state.texts;
  const video = media === "video";
  $("ws-remote-video").hidden = !video;
  $("ws-voice-visual").hidden = video;
  $("ws-local").hidden = !video;
  paintAvatar($("ws-voice-avatar"), callConversation());
  $("ws-voice-label").textContent = say(texts, call.state === "active" ? "agent_voice_active" : "agent_voice_connecting", { consumer_name: who });
  $("ws-remote-off-text").textContent = say(texts, "agent_peer_camera_off");
  $("ws-local-off").textContent = say(texts, "agent_own_camera_off");
  const peer = state.consumerMedia;
  const peerCameraOff = video && peer !== null && peer.video === false && !call.consumer_sharing; // a share shows anyway
  $("ws-remote-off").hidden = !peerCameraOff;
  const chips = [];
  if (call.consumer_device) chips.push(el("li", { className: "ws-peer-chip ws-peer-phone" }, [icon("mobile"), el("span", { text: say(texts, "agent_peer_on_phone") })]));
  if (state.consumerReconnecting) chips.push(el("li", { className: "ws-peer-chip ws-peer-reconnecting" }, [icon("alert"), el("span", { text: say(texts, "agent_peer_reconnecting") })]));
  if (peer && peer.audio === false) chips.push(el("li", { className: "ws-peer-chip" }, [icon("micOff"), el("span", { text: say(texts, "agent_peer_muted") })]));
  if (peerCameraOff) chips.push(el("li", { className: "ws-peer-chip" }, [icon("videoOff"), el("span", { text: say(texts, "agent_peer_camera_off") })]));
  chips.push(...shareChips());
  const list = $("ws-consumer-media");
  const before = [...list.children].map((c) => c.textContent).join("|");
  const after = chips.map((c) => c.textContent).join("|");
  if (before !== after) list.replaceChildren(...chips);

  const mute = $("ws-mute");
  const muted = !!session?.muted;
  mute.setAttribute("aria-pressed", String(muted));
  mute.querySelector(".ws-ctl-label").textContent = say(texts, muted ? "call_unmute" : "call_mute");
  mute.title = say(texts, muted ? "call_unmute" : "call_mute");
  mute.disabled = !session || state.ending;
  const camera = $("ws-camera");
  camera.hidden = !video;
  const cameraOn = !!session?.cameraOn;
  camera.setAttribute("aria-pressed", String(!cameraOn));
  camera.querySelector(".ws-ctl-label").textContent = say(texts, cameraOn ? "call_camera_off" : "call_camera_on");
  camera.title = say(texts, cameraOn ? "call_camera_off" : "call_camera_on");
  $("ws-switch-camera").querySelector(".ws-ctl-label").textContent = say(texts, "call_switch_camera");
  $("ws-hangup").querySelector(".ws-ctl-label").textContent = say(texts, "call_end");
  camera.disabled = !session || state.ending;
  $("ws-local-off").hidden = cameraOn;
  $("ws-switch-camera").hidden = !video || state.cameraCount < 2;
  $("ws-switch-camera").disabled = !session || !cameraOn || state.ending;
  $("ws-hangup").disabled = state.ending;
  $("ws-devices").disabled = !session || state.ending;
  renderShare();
  const quality = $("ws-quality");
  const q = state.quality;
  quality.hidden = !q || call.state !== "active";
  if (q) {
    quality.textContent = qualityText(q, texts);
    quality.dataset.degraded = String(!!q.degraded);
    quality.title = say(texts, q.degraded ? "agent_quality_degraded_hint" : "agent_quality_hint");
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

/** The call's CallSession; `hold`: built while the invitation rings, it sends nothing until release(). */
function startSession(call, extras, { hold = false } = {}) {
  const current = new CallSession({
    socket,
    party: "agent",
    call,
    ice: extras.ice ?? { iceServers: [] },
    media: mediaSettings(call, extras),
    hold,
  });
  session = current;
  attachDevices(current); // the device picker switches this call's microphone and camera
  attachShare(current, call, renderCall);
  // Until the consumer says otherwise (call.media), assume what the account's settings start with.
  state.consumerMedia = { audio: true, video: !!mediaSettings(call, extras).consumer_camera_on, camera: null };
  state.peerState = "new";
  state.quality = null;
  const ours = () => session === current;
  current.addEventListener("local-stream", ({ detail }) => {
    if (!ours()) return;
    if (!current.screenTrack) showSelf($("ws-local-video"), detail.stream); // a share keeps its preview
    renderCall();
  });
  current.addEventListener("remote-stream", ({ detail }) => {
    if (!ours()) return;
    attachStream(call.media === "video" ? $("ws-remote-video") : $("ws-remote-audio"), detail.stream);
  });
  current.addEventListener("connection-state", ({ detail }) => {
    if (!ours()) return;
    if (detail.state === "disconnected" && state.peerState === "connected") announce(say(state.texts, "agent_said_unstable"));
    if (detail.state === "connected" && state.peerState === "disconnected") announce(say(state.texts, "agent_said_reconnected"));
    state.peerState = detail.state;
    renderCall();
  });
  current.addEventListener("stats", ({ detail }) => {
    if (!ours()) return;
    state.quality = { ...detail.stats, ...(detail.local ?? {}) };
    renderCall();
  });
  current.addEventListener("media-error", ({ detail }) => {
    const texts = state.texts;
    const words = reasonWords(texts, detail.reason === "permission_denied" ? "own_permission_denied" : "own_no_devices");
    ownMediaErrorCall = current.callId;
    const text = `${say(texts, "agent_media_error", { reason: words })} ${remedyFor(detail.reason, "self", texts)}`;
    toast(text, { title: say(texts, "agent_media_error_title"), tone: "error" });
  });
  current.addEventListener("warning", ({ detail }) => console.warn("call:", detail.message));
  current.addEventListener("closed", () => {
    if (!ours()) return;
    session = null;
    renderCall();
  });
  // Signals are handled one at a time, in order, after start() built the peer connection.
  signalChain = current.start().catch((error) => {
    console.warn("call: could not start:", error); // the browser's own words, for support; the agent reads ours
    toast(say(state.texts, "error_connection_failed"), { title: say(state.texts, "agent_start_failed_title"), tone: "error" });
  });
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
  detachShare();
  if (session) {
    const current = session;
    session = null;
    current.close();
  }
  attachDevices(null);
  for (const id of ["ws-remote-video", "ws-remote-audio"]) $(id).srcObject = null;
  showSelf($("ws-local-video"), null); // its scaled-down clone of the camera stops too
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
    const ours = session && session.callId === call.id && !session.closed;
    if (MEDIA_STATES.has(call.state)) {
      if (!ours) {
        if (session) stopSession();
        startSession(call, extras);
      } else {
        session.release(); // prepared while ringing: the offer goes to the consumer now
      }
    } else if (call.state === "ringing" && extras?.ice) {
      // The agent's side is prepared while the invitation rings (camera, microphone, peer connection,
      // offer and candidates); nothing leaves this page before the consumer accepts.
      if (!ours) {
        if (session) stopSession();
        startSession(call, extras, { hold: true });
      }
    } else if (session) {
      stopSession();
    }
    if (isNew && state.selectedId === null) select(call.conversation_id);
    if (isNew || previous.state !== call.state) {
      const texts = state.texts;
      if (call.state === "ringing" && !fromHello) announce(say(texts, "agent_said_ringing", { consumer_name: consumerName(callConversation(), state.texts) }));
      if (call.state === "connecting") announce(say(texts, "agent_said_accepted"));
      if (call.state === "active") announce(say(texts, "agent_said_connected"));
      if (fromHello && isNew && MEDIA_STATES.has(call.state)) toast(say(texts, "agent_rejoining"), { title: say(texts, "agent_rejoining_title") });
    }
  } else {
    const hungUpHere = state.ending;
    if (session && session.callId === call.id) stopSession();
    if (!previous || previous.id === call.id) {
      state.call = null;
      state.ending = false;
      // Whose microphone or camera failed: the server's `error.side`, or this browser's getUserMedia.
      const own = extras?.error?.side === "agent" || ownMediaErrorCall === call.id;
      state.ended = withRemedy(describeEnd(call, extras?.error, hungUpHere, state.texts), call, own, state.texts);
      announce(`${state.ended.title}. ${state.ended.detail}`);
      if (call.state === "failed") toast(state.ended.detail || state.ended.title, { title: state.ended.title, tone: "error" });
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
