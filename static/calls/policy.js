// The call client's decisions that need no browser (static/calls/callclient.js uses them; unit tests
// in static/tests/ run them under `node --test`): negotiation (perfect negotiation's collision rule),
// the ICE restart policy, the sender bitrate caps (the reconnect backoff is signaling.js's reconnectDelay) and the quality
// sample taken from a getStats report.

export const BITRATE = {
  videoTotal: 2_600_000, // kbit/s * 1000: recommended for a video call
  videoDegraded: 1_100_000, // still works, degraded automatically
  audioInVideoCall: 100_000,
  voiceOnly: 600_000,
};
export const MAX_ICE_RESTARTS = 2;

/** Map a getUserMedia failure to the protocol's hang-up reason. */
export function mediaErrorReason(error) {
  if (!error) return "no_devices";
  if (error.name === "NotAllowedError" || error.name === "SecurityError") return "permission_denied";
  return "no_devices";
}

/**
 * Perfect negotiation: what to do with an incoming description.
 * Returns {collision, ignore}: an offer that arrives while we are making one (or not stable) collides;
 * the impolite side ignores it, the polite side rolls back (setRemoteDescription does it implicitly).
 */
export function offerCollision({ type, polite, makingOffer, signalingState }) {
  const collision = type === "offer" && (makingOffer || signalingState !== "stable");
  return { collision, ignore: !polite && collision };
}

/**
 * The ICE restart policy on a connection state change.
 * "restart-now" on failed, "restart-after-grace" on disconnected (a Wi-Fi blip often heals by itself),
 * "give-up" once MAX_ICE_RESTARTS restarts did not bring the connection back, "reset" on connected.
 */
export function iceRestartAction(state, restartsSoFar, max = MAX_ICE_RESTARTS) {
  if (state === "connected") return "reset";
  if (state !== "failed" && state !== "disconnected") return "none";
  if (restartsSoFar >= max) return "give-up";
  return state === "failed" ? "restart-now" : "restart-after-grace";
}

/** Only the impolite side (the agent) calls restartIce(), so the two sides never offer at once. */
export function restartsIce(polite) {
  return !polite;
}

/** The maxBitrate for a sender of this kind (bits per second). */
export function senderMaxBitrate(kind, { video, degraded }) {
  if (kind === "audio") return video ? BITRATE.audioInVideoCall : BITRATE.voiceOnly;
  return (degraded ? BITRATE.videoDegraded : BITRATE.videoTotal) - BITRATE.audioInVideoCall;
}

/** Degrade when the estimated uplink cannot carry the full video rate; undefined estimate: keep. */
export function shouldDegrade(availableOutgoingBitrate, current) {
  if (availableOutgoingBitrate === undefined || availableOutgoingBitrate === null) return current;
  return availableOutgoingBitrate < BITRATE.videoTotal;
}

/** When to renew minted TURN credentials (username "expiry:participant"): a minute early, >= 5 s; null if none. */
export function credentialRefreshDelay(iceServers, nowMs) {
  const expiries = (iceServers ?? [])
    .map((s) => Number.parseInt(String(s.username ?? "").split(":")[0], 10))
    .filter((n) => Number.isFinite(n) && n > 1e9);
  if (!expiries.length) return null;
  return Math.max(5_000, Math.min(...expiries) * 1000 - nowMs - 60_000);
}

/**
 * A `call.stats` sample from a getStats report (any iterable of stats objects with forEach).
 * `last` is the previous {at, bytes} (or null); returns {stats, last, availableOutgoingBitrate}.
 */
export function sampleFromReport(report, last, now) {
  const byId = new Map();
  report.forEach((s) => byId.set(s.id, s));
  let pair = null;
  report.forEach((s) => {
    if (s.type === "transport" && s.selectedCandidatePairId) pair = byId.get(s.selectedCandidatePairId) ?? pair;
  });
  if (!pair) report.forEach((s) => s.type === "candidate-pair" && s.nominated && s.state === "succeeded" && (pair = s));
  let packetsLost = 0;
  let packetsReceived = 0;
  let bytes = 0;
  let fps;
  let width;
  let height;
  report.forEach((s) => {
    if (s.type !== "inbound-rtp") return;
    packetsLost += s.packetsLost ?? 0;
    packetsReceived += s.packetsReceived ?? 0;
    bytes += s.bytesReceived ?? 0;
    if (s.kind === "video") {
      fps = s.framesPerSecond;
      width = s.frameWidth;
      height = s.frameHeight;
    }
  });
  const stats = {};
  if (pair?.currentRoundTripTime !== undefined) stats.rtt_ms = Math.round(pair.currentRoundTripTime * 1000);
  const total = packetsLost + packetsReceived;
  if (total > 0) stats.packet_loss_pct = Math.round((Math.max(0, packetsLost) / total) * 10000) / 100;
  if (last) {
    const seconds = (now - last.at) / 1000;
    if (seconds > 0) stats.bitrate_kbps = Math.max(0, Math.round(((bytes - last.bytes) * 8) / seconds / 1000));
  }
  if (fps !== undefined) stats.frames_per_second = fps;
  if (width !== undefined) stats.frame_width = width;
  if (height !== undefined) stats.frame_height = height;
  const local = pair ? byId.get(pair.localCandidateId) : null;
  if (local?.candidateType) stats.candidate_type = local.candidateType;
  return { stats, last: { at: now, bytes }, availableOutgoingBitrate: pair?.availableOutgoingBitrate };
}
