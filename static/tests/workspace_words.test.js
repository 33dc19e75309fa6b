// Formatting, permission display and reconnect backoff (format.js, rules.js, calls/signaling.js).
import { test } from "node:test";
import assert from "node:assert/strict";

import { formatDuration, LIVE, MEDIA_STATES } from "../calls/callstates.js";
import { reconnectDelay } from "../calls/signaling.js";
import { clock, consumerName, describeEnd, errorText, errorTitle, preview, qualityText, waited } from "../workspace/format.js";
import { callBlocker, callStatusText, composerState, deviceBannerText, permissionCheck, permissionNote } from "../workspace/rules.js";
import { createState } from "../workspace/state.js";
import { readFileSync } from "node:fs";

// The built-in texts (settings_profiles/texts.py), as the workspace's `hello` carries them; the fixture
// is checked against the Python catalogue by tests/test_texts_fixture.py.
const EN = JSON.parse(readFileSync(new URL("./fixtures/texts_en.json", import.meta.url)));
const DE = JSON.parse(readFileSync(new URL("./fixtures/texts_de.json", import.meta.url)));

test("durations read as the server's transcript lines", () => {
  assert.equal(formatDuration(0), "0:00");
  assert.equal(formatDuration(45.9), "0:45");
  assert.equal(formatDuration(723), "12:03");
  assert.equal(formatDuration(3729), "1:02:09");
  assert.equal(formatDuration(-5), "0:00");
  assert.equal(clock, formatDuration); // one implementation for the window and the workspace
  assert.deepEqual([...LIVE], ["ringing", "connecting", "active"]);
  assert.deepEqual([...MEDIA_STATES], ["connecting", "active"]);
});

test("waiting times, names and previews", () => {
  const now = Date.parse("2026-01-01T12:00:00Z");
  assert.equal(waited("2026-01-01T11:59:30Z", now), "now");
  assert.equal(waited("2026-01-01T11:56:00Z", now), "4 min");
  assert.equal(waited("2026-01-01T10:55:00Z", now), "1 h 5 min");
  assert.equal(consumerName({ id: 3, consumer_name: "  " }), "Visitor 3");
  assert.equal(consumerName({ id: 3, consumer_name: "Ana" }), "Ana");
  assert.equal(consumerName({ id: 3, consumer_name: "" }, DE), "Besucher 3");
  assert.equal(preview({ messages: [] }), "No messages yet");
  assert.equal(preview({ messages: [{ author: "agent", text: "hi" }] }), "You: hi");
  assert.equal(errorTitle("media_disabled", EN), "Switched off for your account");
  assert.equal(errorTitle("something_new", EN), "Error");
  assert.equal(errorTitle("media_disabled", DE), "Für Ihr Konto ausgeschaltet");
  assert.equal(qualityText({ candidate_type: "relay", rtt_ms: 42, bitrate_kbps: 900 }, EN), "Relayed · 42 ms · ↓ 900 kbit/s");
  assert.equal(
    qualityText({ candidate_type: "host", rtt_ms: 8, send_kbps: 1200, receive_kbps: 2400, degraded: true, video_cap_kbps: 1100 }, EN),
    "Peer-to-peer · 8 ms · ↑ 1200 kbit/s · ↓ 2400 kbit/s · Degraded (video 1100 kbit/s)",
  );
});

test("an ended call is described in words", () => {
  const call = { id: 1, conversation_id: 2, media: "video", state: "completed", reason: "consumer_hangup", duration_s: 65 };
  assert.deepEqual(describeEnd(call, null, false, EN), {
    callId: 1, conversationId: 2, state: "completed", media: "video",
    title: "Call ended", detail: "Video call, 1:05. The consumer hung up.", tone: "neutral",
  });
  assert.equal(describeEnd({ ...call, state: "cancelled", reason: "", answered_at: null }, null, true, EN).detail, "The invitation was withdrawn by you.");
  assert.equal(describeEnd({ ...call, state: "failed", reason: "ice_failed" }, null, false, EN).title, "Call failed: No network path between you and the consumer");
  assert.equal(describeEnd({ ...call, state: "dropped", reason: "" }, null, false, EN).detail, "The connection was lost.");
  // The account's locale and its own words: German defaults, and a custom end reason.
  const german = { ...DE, agent_reason_consumer_hangup: "die Kundin hat aufgelegt" };
  assert.deepEqual(
    [describeEnd(call, null, false, german).title, describeEnd(call, null, false, german).detail],
    ["Anruf beendet", "Videoanruf, 1:05. Die Kundin hat aufgelegt."],
  );
  assert.equal(describeEnd({ ...call, state: "rejected" }, null, false, DE).detail, "Der Kunde hat den Videoanruf abgelehnt.");
  assert.equal(qualityText({ candidate_type: "relay", degraded: true, video_cap_kbps: 1100 }, DE), "Über Relay · Reduziert (Video 1100 kbit/s)");
  assert.equal(describeEnd({ ...call, state: "dropped", reason: "consumer_gone" }, null, false, EN).detail, "The consumer's connection was lost.");
  assert.equal(describeEnd({ ...call, state: "cancelled", reason: "media_disabled", answered_at: null }, null, false, EN).detail,
    "The invitation was withdrawn: video calls were switched off for you.");
});

test("reconnects back off exponentially with jitter, capped, and wait out a flood ban", () => {
  assert.equal(reconnectDelay(0, 1006, 0), 125);
  assert.equal(reconnectDelay(0, 1006, 0.999999) < 375, true);
  assert.equal(reconnectDelay(3, 1006, 0.5), 2000);
  assert.equal(reconnectDelay(10, 1006, 0.5), 8000); // capped at 8 s
  assert.equal(reconnectDelay(0, 4008, 0), 10000); // flood close: the server refuses us for 10 s anyway
});

function ready(overrides = {}) {
  const state = createState({ agent: { id: 7 }, browser: { supported: true }, texts: EN });
  Object.assign(state, { connection: "online", helloSeen: true, devices: { webrtc: true, microphone: true, camera: true } }, overrides);
  return state;
}
const open = { id: 1, state: "open", agent_id: 7, channel: "web_messaging" };

test("permissions are shown with the server's reason code in the account's words", () => {
  const state = ready({ permissions: { voice: true, video: false }, reasons: { video: "switched_off" } });
  assert.deepEqual(permissionCheck(state, "voice"), { ok: true, text: "You can invite consumers to voice calls." });
  assert.deepEqual(permissionCheck(state, "video"), { ok: false, text: "Not allowed: support has switched them off for your account." });
  assert.equal(permissionNote(state, "video").title, "Video calls are not available to you: support has switched them off for your account.");
  assert.equal(permissionCheck(ready({ helloSeen: false }), "voice"), null);
  const german = ready({ permissions: { voice: true, video: false }, reasons: { video: "no_profile" }, texts: DE });
  assert.equal(permissionCheck(german, "voice").text, "Sie können Kunden zu Sprachanrufen einladen.");
  assert.equal(
    permissionNote(german, "video").title,
    "Videoanrufe stehen Ihnen nicht zur Verfügung: keines Ihrer Profile erlaubt sie; fragen Sie eine Admin-Person Ihres Kontos.",
  );
  assert.equal(permissionCheck(german, "video").text, "Nicht erlaubt: keines Ihrer Profile erlaubt sie; fragen Sie eine Admin-Person Ihres Kontos.");
  // An account's own words with markup-like characters stay text (the DOM sets textContent).
  const own = ready({ permissions: { video: false }, reasons: { video: "deactivated" }, texts: { ...EN, agent_permission_deactivated: "<b>off</b>" } });
  assert.equal(permissionNote(own, "video").title, "Video calls are not available to you: <b>off</b>.");
});

test("a refusal is explained by its detail, else its code, in the account's words; never by the server's message", () => {
  const frame = { type: "error", code: "invalid_state", detail: "call_live", message: "End the call before transferring the conversation." };
  assert.equal(errorText(frame, DE), "Beenden Sie den Anruf, bevor Sie die Unterhaltung weitergeben.");
  assert.equal(errorText({ ...frame, detail: undefined, message: "The call is ended." }, DE), DE.agent_error_text_invalid_state);
  assert.equal(errorText({ code: "forbidden", detail: "not_permitted", message: "You may not start video calls: …" }, EN), EN.agent_error_detail_not_permitted);
  assert.equal(errorText({ code: "invalid_state", detail: "something_new", message: "x" }, EN), EN.agent_error_text_invalid_state);
  assert.equal(errorText({ code: "something_new", message: "Some English" }, DE), "Etwas ist schiefgelaufen. Versuchen Sie es erneut.");
  assert.equal(errorText({ code: "unknown_type", message: "Unknown frame type" }, EN), EN.agent_error_text_bad_request);
  assert.equal(errorText({ code: "timeout", message: "The server did not answer in time." }, DE), DE.error_offline);
  for (const texts of [EN, DE]) assert.ok(!Object.values(texts).includes("The call is ended."));
});

test("call buttons say why they are off", () => {
  assert.equal(callBlocker(ready(), open, "video"), "");
  assert.equal(callBlocker(ready({ devices: { webrtc: true, microphone: true, camera: false } }), open, "video"), "No camera was found.");
  assert.equal(callBlocker(ready({ devices: { webrtc: true, microphone: true, camera: false } }), open, "voice"), "");
  assert.equal(callBlocker(ready({ connection: "reconnecting" }), open, "voice"), "Not connected to the server.");
  assert.equal(callBlocker(ready(), { ...open, channel: "chat" }, "voice"), "Calls are only possible in web messaging conversations.");
  assert.equal(callBlocker(ready(), { ...open, agent_id: 8 }, "voice"), "Calls need an open conversation assigned to you.");
  assert.equal(callBlocker(ready({ call: { conversation_id: 1 } }), open, "voice"), "This conversation already has a live call.");
  assert.equal(callBlocker(ready({ browser: { supported: false } }), open, "voice"), "This browser is not supported for calls.");
  assert.equal(callBlocker(ready({ texts: DE, call: { conversation_id: 2 } }), open, "voice"), "Sie sind bereits in einem Anruf: Beenden Sie ihn zuerst.");
});

test("the composer and the device banner", () => {
  assert.deepEqual(composerState(ready(), open, "Ana"), { canWrite: true, placeholder: "Reply to Ana…" });
  assert.deepEqual(composerState(ready(), { ...open, state: "queued" }, "Ana"), { canWrite: false, placeholder: "Take the conversation to reply." });
  assert.equal(composerState(ready({ connection: "reconnecting" }), open, "Ana").canWrite, false);
  assert.equal(deviceBannerText({ webrtc: true, microphone: true, camera: false }, { video: false }, EN), "");
  assert.match(deviceBannerText({ webrtc: true, microphone: true, camera: false }, { video: true }, EN), /Video calls need a camera/);
  assert.match(deviceBannerText({ webrtc: false }, {}, EN), /cannot make WebRTC calls/);
  assert.match(deviceBannerText({ webrtc: true, microphone: false, camera: true }, {}, DE), /kein Mikrofon gefunden/);
});

test("the call's status line follows the call and the peer connection", () => {
  assert.equal(callStatusText(ready({ call: { state: "ringing" }, texts: EN }), "Ana"), "Calling Ana…");
  assert.equal(callStatusText(ready({ call: { state: "connecting" }, peerState: "new" , texts: EN }), "Ana"), "Connecting…");
  assert.equal(callStatusText(ready({ call: { state: "active" }, peerState: "disconnected" , texts: EN }), "Ana"), "Reconnecting… the connection is unstable");
  assert.equal(callStatusText(ready({ call: { state: "active" }, ending: true , texts: EN }), "Ana"), "Ending the call…");
  assert.equal(callStatusText(ready(), "Ana"), "");
  assert.equal(callStatusText(ready({ call: { state: "ringing" }, texts: DE }), "Ana"), "Ana wird angerufen…");
});
