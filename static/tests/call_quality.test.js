import assert from "node:assert/strict";
import { test } from "node:test";

import { FAIR, POOR, qualityLevel, qualityTextKey, worseLevel } from "../calls/quality.js";

test("a clean sample is good; nothing to judge is null", () => {
  assert.equal(qualityLevel({ rtt_ms: 40, packet_loss_pct: 0, bitrate_kbps: 1800, frames_per_second: 30 }, { remoteVideo: true }), "good");
  assert.equal(qualityLevel({ candidate_type: "host" }), null);
  assert.equal(qualityLevel(null), null);
  assert.equal(qualityLevel({ rtt_ms: null, packet_loss_pct: "3" }), null);
});

test("loss and round trip: fair from 2 % / 250 ms, poor from 5 % / 400 ms (the diagnosis' thresholds)", () => {
  assert.equal(POOR.lossPct, 5);
  assert.equal(POOR.rttMs, 400);
  assert.equal(qualityLevel({ packet_loss_pct: 1.99 }), "good");
  assert.equal(qualityLevel({ packet_loss_pct: FAIR.lossPct }), "fair");
  assert.equal(qualityLevel({ packet_loss_pct: 4.99 }), "fair");
  assert.equal(qualityLevel({ packet_loss_pct: 5 }), "poor");
  assert.equal(qualityLevel({ rtt_ms: 249 }), "good");
  assert.equal(qualityLevel({ rtt_ms: 250 }), "fair");
  assert.equal(qualityLevel({ rtt_ms: 400, packet_loss_pct: 0 }), "poor");
});

test("bitrate and frame rate count only while the other side sends video", () => {
  const thin = { rtt_ms: 30, packet_loss_pct: 0, bitrate_kbps: 250, frames_per_second: 30 };
  assert.equal(qualityLevel(thin, { remoteVideo: true }), "poor");
  assert.equal(qualityLevel(thin, { remoteVideo: false }), "good"); // a voice call, or their camera is off
  assert.equal(qualityLevel({ bitrate_kbps: 300, frames_per_second: 30 }, { remoteVideo: true }), "fair");
  assert.equal(qualityLevel({ bitrate_kbps: 600, frames_per_second: 30 }, { remoteVideo: true }), "good");
  assert.equal(qualityLevel({ bitrate_kbps: 900, frames_per_second: 9 }, { remoteVideo: true }), "poor");
  assert.equal(qualityLevel({ bitrate_kbps: 900, frames_per_second: 12 }, { remoteVideo: true }), "fair");
});

test("a lost connection is poor whatever the last sample said", () => {
  assert.equal(qualityLevel({ rtt_ms: 20, packet_loss_pct: 0 }, { connection: "disconnected" }), "poor");
  assert.equal(qualityLevel(null, { connection: "failed" }), "poor");
});

test("the indicator shows the worse of the last two samples; text keys name the account's texts", () => {
  assert.equal(worseLevel("good", "poor"), "poor");
  assert.equal(worseLevel("fair", "good"), "fair");
  assert.equal(worseLevel(null, "good"), "good");
  assert.equal(worseLevel("fair", null), "fair");
  assert.equal(worseLevel(null, undefined), null);
  assert.equal(qualityTextKey("poor"), "call_quality_poor");
  assert.equal(qualityTextKey(null), null);
});
