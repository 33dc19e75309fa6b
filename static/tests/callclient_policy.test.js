// The call client's browser-free decisions (static/calls/policy.js): negotiation, ICE restarts,
// reconnect backoff, bitrate caps, credential refresh and the stats sample.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import {
  BITRATE,
  credentialRefreshDelay,
  iceRestartAction,
  mediaErrorReason,
  offerCollision,
  restartsIce,
  sampleFromReport,
  videoEncodingFor,
} from "../calls/policy.js";
import { reconnectDelay } from "../calls/signaling.js";

test("getUserMedia errors map to the protocol's reasons", () => {
  assert.equal(mediaErrorReason({ name: "NotAllowedError" }), "permission_denied");
  assert.equal(mediaErrorReason({ name: "SecurityError" }), "permission_denied");
  assert.equal(mediaErrorReason({ name: "NotFoundError" }), "no_devices");
  assert.equal(mediaErrorReason({ name: "NotReadableError" }), "no_devices");
  assert.equal(mediaErrorReason(null), "no_devices");
});

test("an offer during our own offer collides: the agent ignores it, the consumer takes it", () => {
  const glare = { type: "offer", makingOffer: true, signalingState: "stable" };
  assert.deepEqual(offerCollision({ ...glare, polite: false }), { collision: true, ignore: true });
  assert.deepEqual(offerCollision({ ...glare, polite: true }), { collision: true, ignore: false });
  const unstable = { type: "offer", makingOffer: false, signalingState: "have-local-offer" };
  assert.deepEqual(offerCollision({ ...unstable, polite: false }), { collision: true, ignore: true });
});

test("no collision for an offer in stable state or for any answer", () => {
  assert.deepEqual(offerCollision({ type: "offer", polite: false, makingOffer: false, signalingState: "stable" }), { collision: false, ignore: false });
  assert.deepEqual(offerCollision({ type: "answer", polite: false, makingOffer: true, signalingState: "have-local-offer" }), { collision: false, ignore: false });
});

test("ICE restart policy: failed restarts now, disconnected after a grace, two tries then give up", () => {
  assert.equal(iceRestartAction("failed", 0), "restart-now");
  assert.equal(iceRestartAction("disconnected", 1), "restart-after-grace");
  assert.equal(iceRestartAction("failed", 2), "give-up");
  assert.equal(iceRestartAction("disconnected", 2), "give-up");
  assert.equal(iceRestartAction("connected", 2), "reset");
  assert.equal(iceRestartAction("connecting", 0), "none");
  assert.equal(iceRestartAction("failed", 3, 5), "restart-now");
});

test("only the agent (impolite) restarts ICE, so the sides never offer at once", () => {
  assert.equal(restartsIce(false), true);
  assert.equal(restartsIce(true), false);
});

test("reconnect backoff doubles from 250 ms, caps at 8 s, jitters in [base/2, 1.5 base)", () => {
  assert.equal(reconnectDelay(0, 1006, 0), 125);
  assert.equal(reconnectDelay(0, 1006, 0.999), 125 + 249.75);
  assert.equal(reconnectDelay(3, 1006, 0.5), 2000);
  assert.equal(reconnectDelay(10, 1006, 0), 4000);
  assert.equal(reconnectDelay(30, 1006, 0.999), 4000 + 7992);
});

test("a flood close waits at least 10 s; other closes use the backoff", () => {
  assert.equal(reconnectDelay(0, 4008, 0), 10000);
  assert.equal(reconnectDelay(0, 4503, 0), 125);
});

test("bitrate caps follow the product page: 2.6 Mbit/s video, 600 kbit/s voice, 100 kbit/s audio beside video", () => {
  assert.equal(BITRATE.video, 2_600_000);
  assert.equal(BITRATE.voiceOnly, 600_000);
  assert.equal(BITRATE.audioInVideoCall, 100_000);
  assert.deepEqual(videoEncodingFor(undefined), { maxBitrate: 2_600_000, scaleResolutionDownBy: 1, maxFramerate: 30, degraded: false });
  assert.deepEqual(videoEncodingFor(9_000_000), { maxBitrate: 2_600_000, scaleResolutionDownBy: 1, maxFramerate: 30, degraded: false });
});

test("a thin uplink steps the video down, never under 1.1 Mbit/s", () => {
  assert.deepEqual(videoEncodingFor(2_200_000), { maxBitrate: 2_000_000, scaleResolutionDownBy: 1.5, maxFramerate: 30, degraded: true });
  assert.deepEqual(videoEncodingFor(1_500_000), { maxBitrate: 1_400_000, scaleResolutionDownBy: 2, maxFramerate: 24, degraded: true });
  assert.equal(videoEncodingFor(200_000).maxBitrate, 1_100_000);
});

test("TURN credentials renew a minute before the earliest expiry, never sooner than 5 s", () => {
  const now = 1_800_000_000_000;
  const servers = [{ urls: "stun:x" }, { urls: "turn:x", username: `${now / 1000 + 600}:p1` }, { urls: "turn:y", username: `${now / 1000 + 300}:p1` }];
  assert.equal(credentialRefreshDelay(servers, now), 240_000);
  assert.equal(credentialRefreshDelay([{ urls: "turn:x", username: `${now / 1000 + 10}:p1` }], now), 5_000);
  assert.equal(credentialRefreshDelay([{ urls: "stun:x" }, { urls: "turn:x", username: "static" }], now), null);
  assert.equal(credentialRefreshDelay(undefined, now), null);
});

function report(entries) {
  return { forEach: (fn) => entries.forEach(fn) };
}

test("a stats sample: rtt and candidate type from the selected pair, loss and bitrate from inbound rtp", () => {
  const r = report([
    { id: "T", type: "transport", selectedCandidatePairId: "P" },
    { id: "P", type: "candidate-pair", currentRoundTripTime: 0.0426, localCandidateId: "L", availableOutgoingBitrate: 900_000 },
    { id: "L", type: "local-candidate", candidateType: "relay" },
    { id: "A", type: "inbound-rtp", kind: "audio", packetsLost: 1, packetsReceived: 99, bytesReceived: 50_000 },
    { id: "V", type: "inbound-rtp", kind: "video", packetsLost: 4, packetsReceived: 296, bytesReceived: 950_000, framesPerSecond: 30, frameWidth: 640, frameHeight: 480 },
  ]);
  const { stats, last, availableOutgoingBitrate, bytesSent, limitedByBandwidth } = sampleFromReport(r, { at: 0, bytes: 0 }, 5000);
  assert.deepEqual(stats, {
    rtt_ms: 43,
    packet_loss_pct: 1.25,
    bitrate_kbps: 1600,
    frames_per_second: 30,
    frame_width: 640,
    frame_height: 480,
    candidate_type: "relay",
  });
  assert.deepEqual(last, { at: 5000, bytes: 1_000_000, lost: 5, received: 395 });
  assert.equal(availableOutgoingBitrate, 900_000);
  assert.equal(bytesSent, 0);
  assert.equal(limitedByBandwidth, false);
});

test("without a transport, the nominated succeeded pair is used; the first sample has no bitrate", () => {
  const r = report([
    { id: "P1", type: "candidate-pair", nominated: false, state: "succeeded", currentRoundTripTime: 0.5 },
    { id: "P2", type: "candidate-pair", nominated: true, state: "succeeded", currentRoundTripTime: 0.01, localCandidateId: "L" },
    { id: "L", type: "local-candidate", candidateType: "host" },
  ]);
  const { stats } = sampleFromReport(r, null, 1000);
  assert.deepEqual(stats, { rtt_ms: 10, candidate_type: "host" });
});

test("loss is over the seconds since the side's previous sample, not since the call began", () => {
  // 10 minutes without loss, then 20 % of the last interval's packets lost: the sample says 20 %, not 0.3 %.
  const previous = { at: 0, bytes: 0, lost: 0, received: 30_000 };
  const r = report([{ id: "A", type: "inbound-rtp", kind: "audio", packetsLost: 50, packetsReceived: 30_200, bytesReceived: 0 }]);
  const { stats, last } = sampleFromReport(r, previous, 5000);
  assert.equal(stats.packet_loss_pct, 20);
  assert.deepEqual(last, { at: 5000, bytes: 0, lost: 50, received: 30_200 });
  // Nothing arrived since: no loss figure (nothing to count), bitrate 0.
  const quiet = sampleFromReport(r, last, 10_000).stats;
  assert.equal(quiet.packet_loss_pct, undefined);
  assert.equal(quiet.bitrate_kbps, 0);
});

test("the path: both candidate types of the selected pair and the relay protocol, never an address", () => {
  const r = report([
    { id: "T", type: "transport", selectedCandidatePairId: "P" },
    { id: "P", type: "candidate-pair", localCandidateId: "L", remoteCandidateId: "R" },
    { id: "L", type: "local-candidate", candidateType: "relay", relayProtocol: "tcp", address: "192.0.2.7", port: 50000 },
    { id: "R", type: "remote-candidate", candidateType: "srflx", address: "198.51.100.9", port: 4000 },
  ]);
  const { stats } = sampleFromReport(r, null, 0);
  assert.deepEqual(stats, { candidate_type: "relay", remote_candidate_type: "srflx", relay_protocol: "tcp" });
  assert.ok(!JSON.stringify(stats).includes("192.0.2.7") && !JSON.stringify(stats).includes("198.51.100.9"));
  const host = report([
    { id: "P", type: "candidate-pair", nominated: true, state: "succeeded", localCandidateId: "L", remoteCandidateId: "R" },
    { id: "L", type: "local-candidate", candidateType: "host", relayProtocol: "udp" },
    { id: "R", type: "remote-candidate", candidateType: "host" },
  ]);
  assert.deepEqual(sampleFromReport(host, null, 0).stats, { candidate_type: "host", remote_candidate_type: "host" });
});

test("a counter that went backwards (a new SSRC after a restart) gives bitrate 0, not a negative", () => {
  const r = report([{ id: "V", type: "inbound-rtp", kind: "video", packetsLost: 0, packetsReceived: 10, bytesReceived: 100 }]);
  const { stats } = sampleFromReport(r, { at: 0, bytes: 10_000 }, 1000);
  assert.equal(stats.bitrate_kbps, 0);
  assert.equal(stats.packet_loss_pct, 0);
});

test("failure remedies say what to do, for the agent's own side and for the consumer's", async () => {
  const { remedyFor } = await import("../calls/remedies.js");
  const EN = JSON.parse(readFileSync(new URL("./fixtures/texts_en.json", import.meta.url)));
  assert.match(remedyFor("permission_denied", "self", EN), /^Allow the microphone and camera for this site/);
  assert.match(remedyFor("permission_denied", "consumer", EN), /^Ask the consumer to allow/);
  assert.match(remedyFor("no_devices", "self", EN), /^Connect a microphone/);
  assert.equal(remedyFor("no_camera", "consumer", EN), remedyFor("no_devices", "consumer", EN));
  assert.match(remedyFor("ice_failed", "self", EN), /network/);
  assert.equal(remedyFor("agent_hangup", "self", EN), "");
  assert.equal(remedyFor(undefined, "consumer", EN), "");
});

test("the workspace's failed card: the reason in the agent's words and what to do, by whose device", async () => {
  const { withRemedy } = await import("../workspace/format.js");
  const EN = JSON.parse(readFileSync(new URL("./fixtures/texts_en.json", import.meta.url)));
  const base = { title: "Call failed: consumer wording", detail: "Reason: x.", tone: "error" };
  const call = { id: 4, state: "failed", reason: "permission_denied" };
  const theirs = withRemedy(base, call, false, EN);
  assert.equal(theirs.title, "Call failed: Access to the microphone or camera was denied on the consumer's side");
  assert.match(theirs.detail, /^Ask the consumer to allow/);
  const mine = withRemedy(base, call, true, EN);
  assert.equal(mine.title, "Call failed: Access to your microphone or camera was denied");
  assert.match(mine.detail, /^Allow the microphone and camera for this site/);
  const dropped = withRemedy({ title: "Call dropped", detail: "No network path between you and the consumer." }, { id: 5, state: "dropped", reason: "ice_failed" }, false, EN);
  assert.equal(dropped.title, "Call dropped");
  assert.match(dropped.detail, /^No network path between you and the consumer\. Invite again/);
  const completed = { title: "Call ended", detail: "Video call, 0:05." };
  assert.equal(withRemedy(completed, { id: 6, state: "completed", reason: "agent_hangup" }, false, EN), completed);
});

test("what we send and whether the network limits the video encoder come from outbound rtp", () => {
  const r = report([
    { id: "OA", type: "outbound-rtp", kind: "audio", bytesSent: 1_000 },
    { id: "OV", type: "outbound-rtp", kind: "video", bytesSent: 9_000, qualityLimitationReason: "bandwidth" },
  ]);
  const { bytesSent, limitedByBandwidth } = sampleFromReport(r, null, 1000);
  assert.equal(bytesSent, 10_000);
  assert.equal(limitedByBandwidth, true);
});
