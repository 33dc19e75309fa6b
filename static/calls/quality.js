// The consumer's live call quality (good / fair / poor) from the `call.stats` sample the call client
// takes every 5 s (policy.js sampleFromReport). Pure: unit-tested with `node --test static/tests/`.
// "poor" uses the thresholds by which the call's diagnosis judges a sample afterwards
// (reporting/diagnosis.py: loss >= 5 %, round trip >= 400 ms, video under 300 kbit/s or 10 frames/s);
// "fair" is the warning before it.

export const POOR = { lossPct: 5, rttMs: 400, videoKbps: 300, videoFps: 10 };
export const FAIR = { lossPct: 2, rttMs: 250, videoKbps: 600, videoFps: 15 };
const ORDER = ["good", "fair", "poor"];

function num(value) {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

function crosses(stats, limits, remoteVideo) {
  const loss = num(stats.packet_loss_pct);
  const rtt = num(stats.rtt_ms);
  const kbps = num(stats.bitrate_kbps);
  const fps = num(stats.frames_per_second);
  if (loss !== undefined && loss >= limits.lossPct) return true;
  if (rtt !== undefined && rtt >= limits.rttMs) return true;
  if (!remoteVideo) return false; // audio alone needs little: the bitrate says nothing about quality
  return (kbps !== undefined && kbps < limits.videoKbps) || (fps !== undefined && fps < limits.videoFps);
}

/**
 * The quality of one sample: "good", "fair", "poor", or null when it holds nothing to judge.
 * `remoteVideo`: the other side is sending video (a video call with their camera on), so the received
 * bitrate and frame rate count; `connection`: the RTCPeerConnection state ("disconnected"/"failed": poor).
 */
export function qualityLevel(stats, { remoteVideo = false, connection = "connected" } = {}) {
  if (connection === "disconnected" || connection === "failed") return "poor";
  if (!stats || typeof stats !== "object") return null;
  const known = ["packet_loss_pct", "rtt_ms", "bitrate_kbps", "frames_per_second"].some((k) => num(stats[k]) !== undefined);
  if (!known) return null;
  if (crosses(stats, POOR, remoteVideo)) return "poor";
  if (crosses(stats, FAIR, remoteVideo)) return "fair";
  return "good";
}

/** The worse of two levels (null counts as nothing known): the indicator shows the worse of the last two
 * samples, so one good sample in a bad spell does not make it flicker. */
export function worseLevel(a, b) {
  if (!a) return b ?? null;
  if (!b) return a;
  return ORDER.indexOf(a) >= ORDER.indexOf(b) ? a : b;
}

/** The text key of a level in the account's texts (settings_profiles/texts.py). */
export function qualityTextKey(level) {
  return level ? `call_quality_${level}` : null;
}
