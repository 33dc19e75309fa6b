// Words and times the workspace shows. Pure: no DOM, unit-tested with `node --test` (static/tests/).
// Everything said about a call comes from the account's texts (`texts`: hello's, settings_profiles/texts.py).

import { fill, formatDuration, say } from "../calls/callstates.js";
import { remedyFor } from "../calls/remedies.js";

/** The title of the toast that shows a refused request (`error` frame): the account's `agent_error_<code>`
 * (settings_profiles/texts_errors.py), `agent_error_other` for a code without its own. */
export function errorTitle(code, texts) {
  const key = code === "unknown_type" ? "agent_error_bad_request" : `agent_error_${code}`;
  return say(texts, typeof texts?.[key] === "string" ? key : "agent_error_other");
}

/** What a refused request means, in the account's words: the situation's `agent_error_detail_<detail>`
 * when the frame names one, else the code's `agent_error_text_<code>`, else `agent_error_text_other`.
 * The frame's `message` is the server's English for developers and is never shown. */
export function errorText(frame, texts) {
  if (frame?.code === "offline" || frame?.code === "timeout") return say(texts, "error_offline");
  const code = frame?.code === "unknown_type" ? "bad_request" : frame?.code;
  const keys = [frame?.detail && `agent_error_detail_${frame.detail}`, `agent_error_text_${code}`, "agent_error_text_other"];
  return say(texts, keys.find((key) => key && typeof texts?.[key] === "string") ?? "agent_error_text_other");
}

/** The consumer's name, or the account's word for a visitor without one ("Visitor 12", "Besucher 12"). */
export function consumerName(conversation, texts) {
  return conversation?.consumer_name?.trim() || fill(texts?.agent_visitor ?? "Visitor {id}", { id: conversation?.id ?? "" }).trim();
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

/** The account's word for a call's media ("video", "Videoanruf"): `media_voice`/`media_video`. */
export function mediaName(texts, media) {
  return texts?.[`media_${mediaWord(media)}`] ?? mediaWord(media);
}

/** An end reason as a sentence fragment ("the consumer hung up"), or "" for a reason without words. */
export function reasonWords(texts, reason) {
  return (reason && texts?.[`agent_reason_${reason}`]) || "";
}

/** The agent's own device failures, in the agent's words ("access to your microphone…"). */
const OWN_DEVICE_REASON = {
  permission_denied: "own_permission_denied",
  no_devices: "own_no_devices",
  no_camera: "own_no_devices",
  no_microphone: "own_no_devices",
};

/**
 * A failed or dropped call's panel also says what to do next (static/calls/remedies.js). `own`: this
 * agent's own microphone/camera failed (the server's `error.side`, or this browser's getUserMedia);
 * else a device reason happened on the consumer's side, and the title says so.
 */
export function withRemedy(ended, call, own, texts) {
  if (call.state !== "failed" && call.state !== "dropped") return ended;
  const remedy = remedyFor(call.reason, own ? "self" : "consumer", texts);
  if (!remedy) return ended;
  let title = ended.title;
  const device = OWN_DEVICE_REASON[call.reason];
  if (call.state === "failed" && reasonWords(texts, call.reason)) {
    const where = own && device
      ? reasonWords(texts, device)
      : device
        ? fill(texts.agent_on_consumer_side, { reason: reasonWords(texts, call.reason) })
        : reasonWords(texts, call.reason);
    title = say(texts, "agent_end_failed_title", { reason: capitalise(where) });
  }
  return { ...ended, title, detail: call.state === "failed" ? remedy : `${ended.detail} ${remedy}`.trim() };
}

/** A fragment as a sentence of its own: "The consumer hung up." */
function sentence(fragment) {
  return fragment ? `${capitalise(fragment)}.` : "";
}

/** The cancelled card's sentence: who withdrew it, or why. */
function cancelledDetail(call, texts, media, hungUpHere) {
  if (call.reason === "conversation_closed") return say(texts, "agent_end_conversation_closed");
  if (call.reason === "media_disabled") return say(texts, "agent_end_media_disabled", { media });
  if (call.reason === "consumer_hangup") return say(texts, "agent_end_consumer_left_early");
  const byYou = hungUpHere || call.reason === "agent_hangup";
  if (call.answered_at) return say(texts, byYou ? "agent_end_not_connected_by_you" : "agent_end_not_connected");
  return say(texts, byYou ? "agent_end_withdrawn_by_you" : "agent_end_withdrawn");
}

/** The ended call's panel: {callId, conversationId, state, media, title, detail, tone}, in the account's texts. */
export function describeEnd(call, error, hungUpHere, texts) {
  const media = mediaName(texts, call.media);
  // "user" is what calls ended before the server recorded `agent_hangup`/`consumer_hangup` carry.
  const reasonKey = call.reason === "user" ? (hungUpHere ? "agent_hangup" : "consumer_hangup") : call.reason;
  const reason = reasonWords(texts, reasonKey);
  const base = { callId: call.id, conversationId: call.conversation_id, state: call.state, media: call.media };
  const card = (titleKey, detail, tone = "neutral") => ({ ...base, title: say(texts, titleKey), detail, tone });
  switch (call.state) {
    case "rejected":
      return card("agent_end_declined_title", say(texts, "agent_end_declined", { media }));
    case "expired":
      return card("agent_end_missed_title", say(texts, "agent_end_missed", { media }));
    case "cancelled":
      return card("agent_end_cancelled_title", cancelledDetail(call, texts, media, hungUpHere));
    case "failed": {
      const text = error?.text || capitalise(reason) || say(texts, "agent_end_failed_unknown");
      const detail = reason ? say(texts, "agent_end_failed_reason", { reason }) : "";
      return { ...base, title: say(texts, "agent_end_failed_title", { reason: text }), detail, tone: "error" };
    }
    case "completed": {
      const hasDuration = call.duration_s !== null && call.duration_s !== undefined;
      const lasted = hasDuration ? say(texts, "agent_end_completed", { media, duration: clock(call.duration_s) }) : "";
      return card("agent_end_completed_title", [lasted, sentence(reason)].filter(Boolean).join(" "));
    }
    case "dropped":
      return card("agent_end_dropped_title", sentence(reason) || say(texts, "agent_end_connection_lost"), "error");
    default:
      return card("agent_end_completed_title", "");
  }
}

/**
 * The quality line on the call: "Relayed · 42 ms · ↑ 2400 kbit/s · ↓ 2300 kbit/s", and
 * "Degraded (video N kbit/s)" while the video is sent at a lower step (calls/policy.js VIDEO_STEPS).
 */
export function qualityText(q, texts) {
  const path = q.candidate_type === "relay" ? "agent_quality_relay" : q.candidate_type ? "agent_quality_direct" : "";
  const parts = [path ? say(texts, path) : ""];
  if (q.rtt_ms !== undefined) parts.push(`${q.rtt_ms} ms`);
  if (q.send_kbps !== undefined) parts.push(`↑ ${q.send_kbps} kbit/s`);
  if (q.receive_kbps !== undefined) parts.push(`↓ ${q.receive_kbps} kbit/s`);
  else if (q.bitrate_kbps !== undefined) parts.push(`↓ ${q.bitrate_kbps} kbit/s`);
  if (q.degraded) parts.push(say(texts, "agent_quality_degraded", { kbps: q.video_cap_kbps }));
  return parts.filter(Boolean).join(" · ");
}
