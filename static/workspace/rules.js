// What the agent may do now and how the page says so: permissions, devices, call buttons, the
// composer. Pure: no DOM, unit-tested with `node --test` (static/tests/). The server decides; this
// only explains (a refused frame still gets the server's `error`).

import { fill, say } from "../calls/callstates.js";
import { isMine } from "./state.js";

/** Why this browser cannot call (a sentence in the account's texts), or "". */
export function deviceBlocker(state, media = "voice") {
  const texts = state.texts;
  if (!state.browser.supported) return say(texts, "agent_blocked_browser");
  const devices = state.devices;
  if (devices && !devices.webrtc) return say(texts, "agent_blocked_no_webrtc");
  if (devices && !devices.microphone) return say(texts, "agent_blocked_no_microphone");
  if (media === "video" && devices && !devices.camera) return say(texts, "agent_blocked_no_camera");
  return "";
}

/** Why the agent cannot invite to a `media` call in `conversation` now (a sentence), or "". */
export function callBlocker(state, conversation, media) {
  const device = deviceBlocker(state, media);
  if (device) return device;
  const blocked = (key) => say(state.texts, `agent_blocked_${key}`);
  if (state.connection !== "online") return blocked("offline");
  if (conversation.channel !== "web_messaging") return blocked("channel");
  if (conversation.state !== "open" || !isMine(state, conversation)) return blocked("not_yours");
  if (state.call) return blocked(state.call.conversation_id === conversation.id ? "same_call" : "other_call");
  if (state.inviting) return blocked("inviting");
  return "";
}

/** Why the agent may not start `media` calls, in the account's words: the server's reason code
 * (`permission_reason_codes`) as its `agent_permission_<code>` fragment, "" without one. */
export function permissionReason(state, media) {
  const code = state.reasons[media];
  return code ? fill(state.texts?.[`agent_permission_${code}`] ?? "") : "";
}

/** The readiness check of one media: {ok, text}, or null before the first `hello`. The reason is the server's code. */
export function permissionCheck(state, media) {
  if (!state.helloSeen) return null;
  const allowed = !!state.permissions[media];
  const texts = state.texts;
  return {
    ok: allowed,
    text: allowed
      ? say(texts, `agent_check_${media}_allowed`)
      : say(texts, "agent_check_not_allowed", { reason: permissionReason(state, media) }),
  };
}

/** The "not available" note beside a call button the agent may not use: {title, reason}. */
export function permissionNote(state, media) {
  const reason = permissionReason(state, media);
  const title = say(state.texts, `agent_${media}_off`, { reason: reason ? `${reason}.` : "" });
  return { reason: title, title };
}

/** The device checks: {mic: {ok, text}, cam: {ok, text}}, or null before the devices are known. */
export function deviceChecks(devices, texts) {
  if (!devices) return null;
  return {
    mic: { ok: devices.microphone, text: say(texts, devices.microphone ? "agent_check_microphone_ok" : "agent_check_microphone_missing") },
    cam: { ok: devices.camera, text: say(texts, devices.camera ? "agent_check_camera_ok" : "agent_check_camera_missing") },
  };
}

/** The banner over the workspace when devices are missing, or "". */
export function deviceBannerText(devices, permissions, texts) {
  if (devices && !devices.webrtc) return say(texts, "agent_banner_no_webrtc");
  if (devices && !devices.microphone && !devices.camera) return say(texts, "agent_banner_no_devices");
  if (devices && !devices.microphone) return say(texts, "agent_banner_no_microphone");
  if (devices && !devices.camera && permissions.video) return say(texts, "agent_banner_no_camera");
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
