// The call client's decisions that need no browser (static/calls/callclient.js uses them; unit tests
// in static/tests/ run them under `node --test`): negotiation (perfect negotiation's collision rule),
// the ICE restart policy, the sender bitrate caps and degradation steps (the reconnect backoff is signaling.js's reconnectDelay) and the quality
// sample taken from a getStats report.

export const BITRATE = {
  video: 2_600_000, // bit/s: the product page's recommended rate for a video call (the video sender's cap)
  videoTotal: 2_600_000, // the same, under its first name (the public SDK v1 exports BITRATE)
  videoDegraded: 1_100_000, // the floor of the degraded steps: the call still works, at lower quality
  audioInVideoCall: 100_000, // Opus needs far less; keeps the voice clear beside the video
  voiceOnly: 600_000, // the page's rate for a voice-only call
};

/**
 * The degradation policy: when the network limits the video encoder and the sender's available-bitrate
 * estimate is under the full rate, the video cap follows it (90 % of the estimate, never under
 * 1,100 kbit/s) and resolution and frame rate step down with it, so a thin uplink gets a smaller, smooth
 * picture rather than a large, stuttering one. Ordered from the full rate down; the first step whose
 * `from` the cap reaches applies.
 */
export const VIDEO_STEPS = [
  { from: 2_600_000, scaleResolutionDownBy: 1, maxFramerate: 30 }, // 720p30
  { from: 1_800_000, scaleResolutionDownBy: 1.5, maxFramerate: 30 }, // 480p30
  { from: 0, scaleResolutionDownBy: 2, maxFramerate: 24 }, // 360p24
];

/** The video encoding for an available-bitrate estimate (undefined: no estimate yet, full rate). */
export function videoEncodingFor(available) {
  const cap =
    available === undefined || available >= BITRATE.video
      ? BITRATE.video
      : Math.max(BITRATE.videoDegraded, Math.round((available * 0.9) / 100_000) * 100_000);
  const step = VIDEO_STEPS.find((s) => cap >= s.from);
  return { maxBitrate: cap, scaleResolutionDownBy: step.scaleResolutionDownBy, maxFramerate: step.maxFramerate, degraded: cap < BITRATE.video };
}

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
 * `last` is the previous {at, bytes, lost, received} (or null): the loss and the bitrate are over the
 * seconds since then (the first sample's loss since the start). Returns {stats, last,
 * availableOutgoingBitrate, bytesSent, limitedByBandwidth} (the last two for the sender's own view and
 * the degradation policy). The path is the selected pair's candidate types and, when this side is
 * relayed, how it reaches its TURN server (udp, tcp, tls): never an address.
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
  let bytesSent = 0;
  let limitedByBandwidth = false;
  let fps;
  let width;
  let height;
  report.forEach((s) => {
    if (s.type === "outbound-rtp") bytesSent += s.bytesSent ?? 0;
    if (s.type === "outbound-rtp" && s.kind === "video" && s.qualityLimitationReason === "bandwidth") limitedByBandwidth = true;
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
  // Counters that went backwards (a new SSRC after a restart) count from zero again.
  const fresh = !last || packetsReceived < (last.received ?? 0) || packetsLost < (last.lost ?? 0);
  const lost = Math.max(0, packetsLost - (fresh ? 0 : last.lost ?? 0));
  const total = lost + packetsReceived - (fresh ? 0 : last.received ?? 0);
  if (total > 0) stats.packet_loss_pct = Math.round((lost / total) * 10000) / 100;
  if (last) {
    const seconds = (now - last.at) / 1000;
    if (seconds > 0) stats.bitrate_kbps = Math.max(0, Math.round(((bytes - last.bytes) * 8) / seconds / 1000));
  }
  if (fps !== undefined) stats.frames_per_second = fps;
  if (width !== undefined) stats.frame_width = width;
  if (height !== undefined) stats.frame_height = height;
  const local = pair ? byId.get(pair.localCandidateId) : null;
  const remote = pair ? byId.get(pair.remoteCandidateId) : null;
  if (local?.candidateType) stats.candidate_type = local.candidateType;
  if (remote?.candidateType) stats.remote_candidate_type = remote.candidateType;
  if (local?.candidateType === "relay" && ["udp", "tcp", "tls"].includes(local.relayProtocol)) stats.relay_protocol = local.relayProtocol;
  return {
    stats,
    last: { at: now, bytes, lost: packetsLost, received: packetsReceived },
    availableOutgoingBitrate: pair?.availableOutgoingBitrate,
    bytesSent,
    limitedByBandwidth,
  };
}
