// What the agent may do now and how the page says so: permissions, devices, call buttons, the
// composer. Pure: no DOM, unit-tested with `node --test` (static/tests/). The server decides; this
// only explains (a refused frame still gets the server's `error`).

import { say } from "../calls/callstates.js";
import { capitalise } from "./format.js";
import { isMine } from "./state.js";

/** Why this browser cannot call (sentence fragment), or "". */
export function deviceBlocker(state, media = "voice") {
  if (!state.browser.supported) return "this browser is not supported for calls.";
  const devices = state.devices;
  if (devices && !devices.webrtc) return "this browser cannot make WebRTC calls.";
  if (devices && !devices.microphone) return "no microphone was found.";
  if (media === "video" && devices && !devices.camera) return "no camera was found.";
  return "";
}

/** Why the agent cannot invite to a `media` call in `conversation` now (a sentence), or "". */
export function callBlocker(state, conversation, media) {
  const device = deviceBlocker(state, media);
  if (device) return capitalise(device);
  if (state.connection !== "online") return "Not connected to the server.";
  if (conversation.channel !== "web_messaging") return "Calls are only possible in web messaging conversations.";
  if (conversation.state !== "open" || !isMine(state, conversation)) return "Calls need an open conversation assigned to you.";
  if (state.call) {
    return state.call.conversation_id === conversation.id
      ? "This conversation already has a live call."
      : "You are already in a call: end it first.";
  }
  if (state.inviting) return "Sending the invitation…";
  return "";
}

/** The readiness check of one media: {ok, text}, or null before the first `hello`. */
export function permissionCheck(state, media) {
  if (!state.helloSeen) return null;
  const allowed = !!state.permissions[media];
  return {
    ok: allowed,
    text: allowed ? `You can invite consumers to ${media} calls.` : `Not allowed: ${state.reasons[media] ?? "no permission"}.`,
  };
}

/** The "not available" note beside a call button the agent may not use: {title, reason}. */
export function permissionNote(state, media) {
  const reason = state.reasons[media] ?? "not allowed";
  return { reason: `${reason}.`, title: `${capitalise(media)} calls are not available to you: ${reason}.` };
}

/** The device checks: {mic: {ok, text}, cam: {ok, text}}, or null before the devices are known. */
export function deviceChecks(devices) {
  if (!devices) return null;
  return {
    mic: { ok: devices.microphone, text: devices.microphone ? "A microphone is connected." : "No microphone found: connect one to make calls." },
    cam: { ok: devices.camera, text: devices.camera ? "A camera is connected." : "No camera found: video calls are unavailable." },
  };
}

/** The banner over the workspace when devices are missing, or "". */
export function deviceBannerText(devices, permissions) {
  if (devices && !devices.webrtc) return "This browser cannot make WebRTC calls. Use the latest Chrome, Firefox, Safari or Edge.";
  if (devices && !devices.microphone && !devices.camera) {
    return "No microphone and no camera were found. Connect a microphone to make voice calls, and a camera for video calls.";
  }
  if (devices && !devices.microphone) return "No microphone was found. Connect one to make voice or video calls.";
  if (devices && !devices.camera && permissions.video) return "No camera was found. Video calls need a camera; voice calls still work.";
  return "";
}

/** May the agent write in `conversation`, and what the composer says: {canWrite, placeholder}. */
export function composerState(state, conversation, name) {
  const mine = isMine(state, conversation);
  const canWrite = mine && conversation.state === "open" && state.connection === "online";
  const placeholder =
    conversation.state === "closed"
      ? "This conversation is closed."
      : conversation.state === "queued"
        ? "Take the conversation to reply."
        : !mine
          ? "This conversation is assigned to another agent."
          : state.connection !== "online"
            ? "Reconnecting… you can reply in a moment."
            : `Reply to ${name}…`;
  return { canWrite, placeholder };
}

/** The call panel's status line for the live call, or "", in the account's texts. */
export function callStatusText(state, who) {
  const call = state.call;
  const texts = state.texts;
  if (!call) return "";
  if (state.ending) return say(texts, "agent_status_ending");
  if (call.state === "ringing") return say(texts, "agent_status_calling", { consumer_name: who });
  if (call.state === "connecting") return say(texts, state.peerState === "connected" ? "agent_status_connected" : "call_connecting");
  if (state.peerState === "disconnected") return say(texts, "agent_status_unstable");
  if (state.peerState === "failed") return say(texts, "agent_status_retrying");
  return say(texts, "agent_status_connected");
}
