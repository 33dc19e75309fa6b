// Words and times the workspace shows. Pure: no DOM, unit-tested with `node --test` (static/tests/).

import { formatDuration } from "../calls/callstates.js";
import { remedyFor } from "../calls/remedies.js";

export const ERROR_TITLES = {
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

/** The title of the toast that shows a refused request (`error` frame). */
export function errorTitle(code) {
  return ERROR_TITLES[code] ?? "Error";
}

export function consumerName(conversation) {
  return conversation?.consumer_name?.trim() || `Visitor ${conversation?.id ?? ""}`.trim();
}

export function initial(text) {
  return (text.trim()[0] || "?").toUpperCase();
}

/** A hue per conversation, so avatars of different consumers differ. */
export function avatarHue(conversation) {
  return ((conversation?.id ?? 0) * 47) % 360;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });
const dayFormat = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric" });
export const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** The time of day for today's instants, else the day ("Mar 4"). */
export function shortTime(iso, now = new Date()) {
  if (!iso) return "";
  const date = new Date(iso);
  return date.toDateString() === now.toDateString() ? timeFormat.format(date) : dayFormat.format(date);
}

/** How long a queued consumer has waited: "now", "4 min", "1 h 5 min". */
export function waited(iso, nowMs = Date.now()) {
  const minutes = Math.floor((nowMs - new Date(iso).getTime()) / 60000);
  if (!(minutes >= 1)) return "now";
  return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** A call's running time: 0:45, 12:03, 1:02:09. */
export const clock = formatDuration;

export function mediaWord(media) {
  return media === "video" ? "video" : "voice";
}

export function capitalise(text) {
  return text ? text[0].toUpperCase() + text.slice(1) : text;
}

/** The inbox row's preview line: the last message, "You: ..." when the agent wrote it. */
export function preview(conversation) {
  const last = conversation.messages.at(-1);
  return last ? (last.author === "agent" ? `You: ${last.text}` : last.text) : "No messages yet";
}

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

/**
 * A failed or dropped call's panel also says what to do next (static/calls/remedies.js). `own`: this
 * browser's own microphone/camera failed (the server's reason does not say whose); the server's
 * failure text is the consumer's wording, so the agent reads the reason in their own words instead.
 */
export function withRemedy(ended, call, own) {
  if (call.state !== "failed" && call.state !== "dropped") return ended;
  const remedy = remedyFor(call.reason, own ? "self" : "consumer");
  if (!remedy) return ended;
  const words = capitalise(REASON_WORDS[call.reason] ?? "");
  const where = own ? words.replace(/^Access to the /, "Access to your ") : `${words} on the consumer's side`;
  const title = call.state === "failed" && words ? `Call failed: ${where}` : ended.title;
  return { ...ended, title, detail: call.state === "failed" ? remedy : `${ended.detail} ${remedy}`.trim() };
}

/** The ended call's panel: {callId, conversationId, state, media, title, detail, tone}. */
export function describeEnd(call, error, hungUpHere) {
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
      else if (call.reason === "media_disabled") detail += `: ${media} calls were switched off for you.`;
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

/**
 * The quality line on the call: "Relayed · 42 ms · ↑ 2400 kbit/s · ↓ 2300 kbit/s", and
 * "Degraded (video N kbit/s)" while the video is sent at a lower step (callclient.js VIDEO_STEPS).
 */
export function qualityText(q) {
  const parts = [q.candidate_type === "relay" ? "Relayed" : q.candidate_type ? "Peer-to-peer" : ""];
  if (q.rtt_ms !== undefined) parts.push(`${q.rtt_ms} ms`);
  if (q.send_kbps !== undefined) parts.push(`↑ ${q.send_kbps} kbit/s`);
  if (q.receive_kbps !== undefined) parts.push(`↓ ${q.receive_kbps} kbit/s`);
  else if (q.bitrate_kbps !== undefined) parts.push(`↓ ${q.bitrate_kbps} kbit/s`);
  if (q.degraded) parts.push(`Degraded (video ${q.video_cap_kbps} kbit/s)`);
  return parts.filter(Boolean).join(" · ");
}
