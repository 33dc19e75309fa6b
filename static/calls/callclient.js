// One call client for both sides: the agent workspace and the consumer window.
//
// Perfect negotiation (the consumer is polite, the agent impolite), trickle ICE, camera-off-at-start,
// sender bitrate caps from the product page (video 2,600 kbit/s degrading to 1,100; voice 600),
// quality samples from getStats every few seconds, ICE restart with fresh credentials before giving
// up, and `call.connected` once ICE connects. Nothing here is stored: SDP and candidates only pass
// through the signaling socket.

export const BITRATE = {
  video: 2_600_000, // bit/s: the product page's recommended rate for a video call (the video sender's cap)
  videoTotal: 2_600_000, // the same, under its first name (the public SDK v1 exports BITRATE)
  videoDegraded: 1_100_000, // the floor of the degraded steps: the call still works, at lower quality
  audioInVideoCall: 100_000, // Opus needs far less; keeps the voice clear beside the video
  voiceOnly: 600_000, // the page's rate for a voice-only call
};

/**
 * The degradation policy: when the network limits the video encoder (see #sampleStats) and the sender's
 * available-bitrate estimate is under the full rate, the
 * video cap follows it (90 % of the estimate, never under 1,100 kbit/s) and resolution and frame rate
 * step down with it, so a thin uplink gets a smaller, smooth picture rather than a large, stuttering one.
 * Ordered from the full rate down; the first step whose `from` the cap reaches applies.
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

const VIDEO_CONSTRAINTS = { width: { ideal: 1280 }, height: { ideal: 720 } };
const STATS_EVERY_MS = 5000;
const DISCONNECTED_GRACE_MS = 3000;
const MAX_ICE_RESTARTS = 2;
// The polite side (the consumer) leaves the first offer to the impolite one (the agent) for this long.
// Both offering at once is glare: the polite side rolls its offer back, and Chrome then sometimes
// leaves its ICE gathering stuck (no candidates, the call stays connecting until it times out).
// If no offer comes (the polite side rejoined after a reload, the other side's connection is up),
// it offers itself.
const POLITE_FIRST_OFFER_WAIT_MS = 1500;

/** What the browser offers, for `call.accept`'s `client` and the agent's own check. */
export async function clientCapabilities() {
  const webrtc = typeof RTCPeerConnection === "function" && !!navigator.mediaDevices?.getUserMedia;
  let camera = false;
  let microphone = false;
  if (navigator.mediaDevices?.enumerateDevices) {
    try {
      const devices = await navigator.mediaDevices.enumerateDevices();
      camera = devices.some((d) => d.kind === "videoinput");
      microphone = devices.some((d) => d.kind === "audioinput");
    } catch {
      /* no device list: reported as missing */
    }
  }
  return { user_agent: navigator.userAgent, webrtc, camera, microphone };
}

/** Map a getUserMedia failure to the protocol's hang-up reason. */
export function mediaErrorReason(error) {
  if (!error) return "no_devices";
  if (error.name === "NotAllowedError" || error.name === "SecurityError") return "permission_denied";
  return "no_devices";
}

export class CallSession extends EventTarget {
  /**
   * @param {object} opts
   * @param {import("./signaling.js").SignalingSocket} opts.socket
   * @param {"agent"|"consumer"} opts.party
   * @param {object} opts.call      the `call` of the connecting call.state frame
   * @param {object} opts.ice       that frame's `ice` ({iceServers, iceTransportPolicy})
   * @param {object} opts.media     that frame's `media` ({agent_camera_on, consumer_camera_on})
   */
  constructor({ socket, party, call, ice, media }) {
    super();
    this.socket = socket;
    this.party = party;
    this.call = call;
    this.callId = call.id;
    this.video = call.media === "video";
    this.polite = party === "consumer";
    this.ice = ice;
    // A consumer who answered a video call with audio only captures no camera at all.
    this.captureVideo = this.video && !(party === "consumer" && call.consumer_audio_only);
    this.cameraOn = this.captureVideo && (party === "agent" ? media.agent_camera_on : media.consumer_camera_on);
    this.muted = false;
    this.facing = "user";
    this.makingOffer = false;
    this.ignoreOffer = false;
    this.connectedOnce = false;
    this.iceRestarts = 0;
    this.closed = false;
    this.localStream = null;
    this.remoteStream = new MediaStream();
    this.timers = [];
    this.lastInbound = null;
    this.lastOutbound = null;
    this.degraded = false;
    this.videoEncoding = videoEncodingFor(undefined);
    this.pc = null;
    this.earlySignals = []; // signals that arrived before start() built the peer connection
    this.waitedForOffer = false;
  }

  /**
   * Ask for the microphone (and the camera only when it starts on), create the peer connection, start
   * negotiating. A camera that starts off is never opened: no capture, no light, until setCameraOn(true).
   */
  async start() {
    try {
      this.localStream = await navigator.mediaDevices.getUserMedia({
        audio: true,
        video: this.captureVideo && this.cameraOn ? { facingMode: this.facing, ...VIDEO_CONSTRAINTS } : false,
      });
    } catch (error) {
      this.#emit("media-error", { reason: mediaErrorReason(error), error });
      await this.hangup(mediaErrorReason(error));
      return;
    }
    if (this.closed) {
      // The call ended while the browser was asking for the devices: release them at once.
      this.localStream.getTracks().forEach((t) => t.stop());
      return;
    }
    this.#emit("local-stream", { stream: this.localStream });

    const pc = new RTCPeerConnection(this.ice);
    this.pc = pc;
    pc.addEventListener("track", ({ track }) => {
      this.remoteStream.addTrack(track);
      this.#emit("remote-stream", { stream: this.remoteStream });
    });
    pc.addEventListener("icecandidate", ({ candidate }) => {
      this.#signal({ candidate: candidate ? candidate.toJSON() : null });
    });
    pc.addEventListener("negotiationneeded", () => this.#negotiate());
    pc.addEventListener("connectionstatechange", () => this.#onConnectionState());
    for (const track of this.localStream.getTracks()) pc.addTrack(track, this.localStream);
    this.#scheduleCredentialRefresh();
    this.#announceMedia();
    for (const signal of this.earlySignals.splice(0)) await this.handleSignal(signal);
  }

  /** A `call.signal` frame from the other side. */
  async handleSignal(signal) {
    if (this.closed) return;
    if (!this.pc) {
      // The other side was faster than our getUserMedia: keep it, in order, for start().
      this.earlySignals.push(signal);
      return;
    }
    const pc = this.pc;
    try {
      if (signal.sdp) {
        const description = signal.sdp;
        const collision = description.type === "offer" && (this.makingOffer || pc.signalingState !== "stable");
        this.ignoreOffer = !this.polite && collision;
        if (this.ignoreOffer) return;
        await pc.setRemoteDescription(description);
        if (description.type === "offer") {
          await pc.setLocalDescription();
          this.#signal({ sdp: pc.localDescription.toJSON() });
        }
      } else if ("candidate" in signal) {
        try {
          await pc.addIceCandidate(signal.candidate ?? undefined);
        } catch (error) {
          if (!this.ignoreOffer) throw error;
        }
      }
    } catch (error) {
      this.#emit("warning", { message: `Negotiation problem: ${error.message}` });
    }
  }

  setMuted(muted) {
    this.muted = muted;
    for (const track of this.localStream?.getAudioTracks() ?? []) track.enabled = !muted;
    this.#announceMedia();
  }

  /**
   * Camera on: open the camera now and send it (into the call's video transceiver when there is one,
   * which needs no renegotiation once it was sending; else a new one, which renegotiates).
   * Camera off: stop the capture (the track ends, the camera light goes out) and send nothing.
   * `cameraOn` flips at once for the buttons; a refused camera flips it back and emits "camera-error".
   */
  async setCameraOn(on) {
    if (!this.captureVideo || this.closed) return;
    this.cameraOn = on;
    this.#announceMedia();
    const sender = this.#videoTransceiver()?.sender;
    if (!on) {
      for (const track of this.localStream?.getVideoTracks() ?? []) {
        this.localStream.removeTrack(track);
        track.stop();
      }
      if (sender?.track) await sender.replaceTrack(null);
      this.#emit("local-stream", { stream: this.localStream });
      return;
    }
    if (this.localStream?.getVideoTracks().length) return;
    let track;
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: this.facing, ...VIDEO_CONSTRAINTS } });
      track = stream.getVideoTracks()[0];
    } catch (error) {
      this.cameraOn = false;
      this.#announceMedia();
      this.#emit("camera-error", { reason: mediaErrorReason(error), error });
      this.#emit("local-stream", { stream: this.localStream });
      return;
    }
    if (this.closed || !this.cameraOn) {
      track.stop(); // hung up, or turned off again while the browser was asking
      return;
    }
    this.localStream.addTrack(track);
    if (this.pc) await this.#sendVideo(track);
    this.#emit("local-stream", { stream: this.localStream });
  }

  /** How many cameras there are (the switch button shows only with two or more). */
  static async cameraCount() {
    try {
      const devices = await navigator.mediaDevices.enumerateDevices();
      return devices.filter((d) => d.kind === "videoinput").length;
    } catch {
      return 0;
    }
  }

  /** Front <-> back: facingMode first, then the next deviceId where facingMode is ignored (iOS Safari). */
  async switchCamera() {
    if (!this.captureVideo || !this.localStream) return;
    if (!this.cameraOn) {
      // Nothing is captured: the other camera opens when the person turns the camera on.
      this.facing = this.facing === "user" ? "environment" : "user";
      this.#announceMedia();
      return;
    }
    const current = this.localStream.getVideoTracks()[0];
    const currentId = current?.getSettings().deviceId;
    const wanted = this.facing === "user" ? "environment" : "user";
    let stream = null;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: { exact: wanted } } });
      if (stream.getVideoTracks()[0]?.getSettings().deviceId === currentId) {
        stream.getTracks().forEach((t) => t.stop());
        stream = null;
      }
    } catch {
      stream = null;
    }
    if (!stream) {
      const cameras = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === "videoinput");
      if (cameras.length < 2) return;
      const index = cameras.findIndex((d) => d.deviceId === currentId);
      const next = cameras[(index + 1) % cameras.length];
      stream = await navigator.mediaDevices.getUserMedia({ video: { deviceId: { exact: next.deviceId } } });
    }
    const track = stream.getVideoTracks()[0];
    const sender = this.pc?.getSenders().find((s) => s.track?.kind === "video");
    if (sender) await sender.replaceTrack(track);
    if (current) {
      this.localStream.removeTrack(current);
      current.stop();
    }
    this.localStream.addTrack(track);
    this.facing = wanted;
    this.#emit("local-stream", { stream: this.localStream });
    this.#announceMedia();
  }

  async hangup(reason = "") {
    if (this.closed) return;
    try {
      await this.socket.command({ type: "call.hangup", call_id: this.callId, ...(reason ? { reason } : {}) });
    } catch {
      /* the call may already have ended on the server */
    }
    this.close();
  }

  /** Release everything locally (the server's call.state said the call ended). */
  close() {
    if (this.closed) return;
    this.closed = true;
    this.timers.forEach((t) => clearTimeout(t) || clearInterval(t));
    this.localStream?.getTracks().forEach((t) => t.stop());
    this.pc?.close();
    this.#emit("closed", {});
  }

  // --- internals -------------------------------------------------------------------------------

  /** The call's video transceiver (ours or the one the other side's offer created), if there is one. */
  #videoTransceiver() {
    return this.pc?.getTransceivers().find((t) => !t.stopped && t.receiver.track?.kind === "video") ?? null;
  }

  /** Put a freshly opened camera track on the wire, renegotiating only when the transceiver cannot send yet. */
  async #sendVideo(track) {
    const transceiver = this.#videoTransceiver();
    if (!transceiver) {
      this.pc.addTrack(track, this.localStream); // a new m-line: negotiationneeded renegotiates
    } else {
      await transceiver.sender.replaceTrack(track);
      transceiver.sender.setStreams?.(this.localStream);
      if (transceiver.direction === "recvonly" || transceiver.direction === "inactive") {
        transceiver.direction = "sendrecv"; // negotiationneeded renegotiates
      }
    }
    if (this.connectedOnce) this.#applyBitrateCaps();
  }

  #emit(name, detail) {
    this.dispatchEvent(new CustomEvent(name, { detail }));
  }

  #signal(signal) {
    this.socket.send({ type: "call.signal", call_id: this.callId, signal });
  }

  #announceMedia() {
    const camera = this.video ? (this.facing === "environment" ? "back" : "front") : null;
    this.socket.sendCommand({
      type: "call.media",
      call_id: this.callId,
      audio: !this.muted,
      video: this.video && this.cameraOn,
      camera,
    });
  }

  async #negotiate() {
    if (this.closed) return;
    if (this.polite && !this.pc.remoteDescription && !this.waitedForOffer) {
      this.waitedForOffer = true;
      this.timers.push(
        setTimeout(() => {
          if (!this.closed && !this.pc.remoteDescription && this.pc.signalingState === "stable") this.#negotiate();
        }, POLITE_FIRST_OFFER_WAIT_MS),
      );
      return;
    }
    try {
      this.makingOffer = true;
      await this.pc.setLocalDescription();
      this.#signal({ sdp: this.pc.localDescription.toJSON() });
    } catch (error) {
      this.#emit("warning", { message: `Could not make an offer: ${error.message}` });
    } finally {
      this.makingOffer = false;
    }
  }

  #onConnectionState() {
    const state = this.pc.connectionState;
    this.#emit("connection-state", { state });
    if (state === "connected") {
      this.iceRestarts = 0;
      if (!this.connectedOnce) {
        this.connectedOnce = true;
        this.socket.command({ type: "call.connected", call_id: this.callId }).catch(() => {}); // the connect timeout ends a call that never gets here
        this.#applyBitrateCaps();
        this.timers.push(setInterval(() => this.#sampleStats(), STATS_EVERY_MS));
      }
    } else if (state === "disconnected") {
      this.timers.push(
        setTimeout(() => {
          if (this.pc?.connectionState === "disconnected") this.#restartIce();
        }, DISCONNECTED_GRACE_MS),
      );
    } else if (state === "failed") {
      this.#restartIce();
    }
  }

  /** Fresh credentials, then an ICE restart; after MAX_ICE_RESTARTS the call is given up. */
  async #restartIce() {
    if (this.closed) return;
    if (this.iceRestarts >= MAX_ICE_RESTARTS) {
      await this.hangup("ice_failed");
      return;
    }
    this.iceRestarts += 1;
    try {
      const answer = await this.socket.request({ type: "call.ice", call_id: this.callId });
      this.ice = answer.ice;
      this.pc.setConfiguration(answer.ice);
    } catch {
      /* keep the old configuration; the restart may still work */
    }
    // Only the impolite side restarts, so the two sides do not offer at once.
    if (!this.polite) this.pc.restartIce();
  }

  /** Renew minted TURN credentials a minute before they expire (username "expiry:participant"). */
  #scheduleCredentialRefresh() {
    const expiries = (this.ice.iceServers ?? [])
      .map((s) => Number.parseInt(String(s.username ?? "").split(":")[0], 10))
      .filter((n) => Number.isFinite(n) && n > 1e9);
    if (!expiries.length) return;
    const due = Math.min(...expiries) * 1000 - Date.now() - 60_000;
    this.timers.push(
      setTimeout(
        async () => {
          if (this.closed) return;
          try {
            const answer = await this.socket.request({ type: "call.ice", call_id: this.callId });
            this.ice = answer.ice;
            this.pc.setConfiguration(answer.ice);
            this.#scheduleCredentialRefresh();
          } catch {
            /* the next restart asks again */
          }
        },
        Math.max(5_000, due),
      ),
    );
  }

  /** The product page's rates on every sender (see BITRATE and VIDEO_STEPS); only what changed is set. */
  async #applyBitrateCaps() {
    if (!this.pc) return;
    for (const sender of this.pc.getSenders()) {
      if (!sender.track) continue;
      const wanted =
        sender.track.kind === "audio"
          ? { maxBitrate: this.video ? BITRATE.audioInVideoCall : BITRATE.voiceOnly }
          : {
              maxBitrate: this.videoEncoding.maxBitrate,
              scaleResolutionDownBy: this.videoEncoding.scaleResolutionDownBy,
              maxFramerate: this.videoEncoding.maxFramerate,
            };
      const parameters = sender.getParameters();
      if (!parameters.encodings?.length) continue; // not negotiated yet: the next stats sample retries
      const encoding = parameters.encodings[0];
      if (Object.entries(wanted).every(([key, value]) => encoding[key] === value)) continue;
      Object.assign(encoding, wanted);
      try {
        await sender.setParameters(parameters);
      } catch {
        /* some browsers refuse while renegotiating; the next sample retries */
      }
    }
  }

  async #sampleStats() {
    if (this.closed || !this.pc) return;
    const report = await this.pc.getStats();
    let pair = null;
    const byId = new Map();
    report.forEach((s) => byId.set(s.id, s));
    report.forEach((s) => {
      if (s.type === "transport" && s.selectedCandidatePairId) pair = byId.get(s.selectedCandidatePairId);
    });
    if (!pair) report.forEach((s) => s.type === "candidate-pair" && s.nominated && s.state === "succeeded" && (pair = s));
    let packetsLost = 0;
    let packetsReceived = 0;
    let bytes = 0;
    let bytesSent = 0;
    let fps;
    let width;
    let height;
    let limitedByBandwidth = false;
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
    const now = performance.now();
    const stats = {};
    if (pair?.currentRoundTripTime !== undefined) stats.rtt_ms = Math.round(pair.currentRoundTripTime * 1000);
    const total = packetsLost + packetsReceived;
    if (total > 0) stats.packet_loss_pct = Math.round((packetsLost / total) * 10000) / 100;
    if (this.lastInbound) {
      const seconds = (now - this.lastInbound.at) / 1000;
      if (seconds > 0) stats.bitrate_kbps = Math.max(0, Math.round(((bytes - this.lastInbound.bytes) * 8) / seconds / 1000));
    }
    this.lastInbound = { at: now, bytes };
    // What we send, for the agent's own view (not part of the stored sample).
    let sendKbps;
    if (this.lastOutbound) {
      const seconds = (now - this.lastOutbound.at) / 1000;
      if (seconds > 0) sendKbps = Math.max(0, Math.round(((bytesSent - this.lastOutbound.bytes) * 8) / seconds / 1000));
    }
    this.lastOutbound = { at: now, bytes: bytesSent };
    if (fps !== undefined) stats.frames_per_second = fps;
    if (width !== undefined) stats.frame_width = width;
    if (height !== undefined) stats.frame_height = height;
    const local = pair ? byId.get(pair.localCandidateId) : null;
    if (local?.candidateType) stats.candidate_type = local.candidateType;
    this.socket.sendCommand({ type: "call.stats", call_id: this.callId, stats });

    // Follow the estimated uplink down the degradation steps (and back up when it recovers).
    // Degraded when the encoder itself says the network limits it (qualityLimitationReason "bandwidth")
    // and the estimate is under the full rate, two samples in a row (10 s): not the estimate's ramp-up at
    // the start of a call, nor a simple picture that needs little (the estimate stays low then too).
    const available = pair?.availableOutgoingBitrate;
    if (this.video && available !== undefined) {
      const low = available < BITRATE.video && limitedByBandwidth;
      this.lowSamples = low ? (this.lowSamples ?? 0) + 1 : 0;
      if (!low || this.lowSamples >= 2) this.videoEncoding = videoEncodingFor(available);
    }
    this.degraded = this.video && this.videoEncoding.degraded;
    await this.#applyBitrateCaps();
    this.#emit("stats", {
      stats,
      local: {
        send_kbps: sendKbps,
        receive_kbps: stats.bitrate_kbps,
        available_kbps: available !== undefined ? Math.round(available / 1000) : undefined,
        video_cap_kbps: this.video ? Math.round(this.videoEncoding.maxBitrate / 1000) : undefined,
        degraded: this.degraded,
      },
    });
  }
}
