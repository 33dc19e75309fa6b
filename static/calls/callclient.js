// One call client for both sides: the agent workspace and the consumer window.
//
// Perfect negotiation (the consumer is polite, the agent impolite), trickle ICE, camera-off-at-start,
// sender bitrate caps from the product page (video 2,600 kbit/s degrading to 1,100; voice 600),
// quality samples from getStats every few seconds, ICE restart with fresh credentials before giving
// up, and `call.connected` once ICE connects. Nothing here is stored: SDP and candidates only pass
// through the signaling socket.

import {
  BITRATE,
  credentialRefreshDelay,
  iceRestartAction,
  mediaErrorReason,
  offerCollision,
  restartsIce,
  sampleFromReport,
  videoEncodingFor,
} from "./policy.js";
import { captureMedia, preferredDevices, switchDevice, switchFacing, takePrepared, watchDevices } from "./devices.js";

export { BITRATE, mediaErrorReason, VIDEO_STEPS, videoEncodingFor } from "./policy.js";
export { clientCapabilities, dropPrepared, prepareMedia } from "./devices.js";

const STATS_EVERY_MS = 5000;
const DISCONNECTED_GRACE_MS = 3000;
const RESTART_TIMEOUT_MS = 15000;
// The polite side (the consumer) leaves the first offer to the impolite one (the agent) for this long.
// Both offering at once is glare: the polite side rolls its offer back, and Chrome then sometimes
// leaves its ICE gathering stuck (no candidates, the call stays connecting until it times out).
// If no offer comes (the polite side rejoined after a reload, the other side's connection is up),
// it offers itself.
const POLITE_FIRST_OFFER_WAIT_MS = 1500;

/** An SDP that carries a candidate or a connection address (the server refuses such an offer while the call rings). */
export function hasAddress(sdp) {
  return /^(a=candidate:|c=IN IP[46] (?!0\.0\.0\.0\s*$|::\s*$))/m.test(sdp ?? "");
}

export class CallSession extends EventTarget {
  /**
   * @param {object} opts
   * @param {import("./signaling.js").SignalingSocket} opts.socket
   * @param {"agent"|"consumer"} opts.party
   * @param {object} opts.call      the `call` of the connecting call.state frame
   * @param {object} opts.ice       that frame's `ice` ({iceServers, iceTransportPolicy})
   * @param {object} opts.media     that frame's `media` ({agent_camera_on, consumer_camera_on})
   * @param {"user"|"environment"} [opts.facing]  the camera to open first (a phone's back camera: "environment")
   * @param {object} [opts.devices] {audioinput, videoinput} deviceIds (default: the remembered choice, devices.js)
   * @param {object} [opts.prepared] media asked for already (prepareMedia(), devices.js: at the click on Accept)
   * @param {boolean} [opts.hold]  built while the call rings: signals and media announcements wait in
   *   the page until release() (the call connects); a capture refused meanwhile is told then. The
   *   agent's first offer goes at once all the same, without any address (docs/protocol.md, "Setup
   *   while ringing"): the consumer's window sets it while the invitation rings.
   * @param {boolean} [opts.ringing]  the consumer's window, while the invitation rings: preparePeer()
   *   builds the peer connection (candidates gathered into its pool, the agent's offer set), accept()
   *   captures and answers, release() (the accept's `ok`) sends the answer. Implies `hold`.
   */
  constructor({ socket, party, call, ice, media, facing = "user", devices = null, prepared = null, hold = false, ringing = false }) {
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
    this.facing = facing;
    this.makingOffer = false;
    this.ignoreOffer = false;
    this.connectedOnce = false;
    this.iceRestarts = 0;
    this.iceRestartsInCall = 0; // every restart of the call (iceRestarts counts those since the last connect)
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
    this.devices = devices;
    this.prepared = prepared;
    this.outbox = hold || ringing ? { signals: [], announce: false } : null; // what release() sends
    this.heldError = null;
    this.earlyOffer = null; // the agent's offer sent while ringing (release() sends it again, for late windows)
    this.earlyAnswer = null; // the window's answer, sent right behind its call.accept
    this.latestOffer = null; // the newest offer received (noteSignal), while older ones wait their turn
    this.lastRemoteOffer = null; // the offer's SDP last set here: the same one again is a resend, not a renegotiation
    // Ringing (the consumer): the answer waits for the click on Accept (accept() opens this gate).
    this.answerGate = null;
    if (ringing) this.answerGate = new Promise((resolve) => (this.openAnswerGate = resolve));
    this.poolSize = ringing ? 1 : 0; // every setConfiguration must repeat it once a description is set
    watchDevices(this); // an unplugged microphone or camera falls back to the default ("device-lost")
    this.screenTrack = null; // a screen share on the video sender instead of the camera (share.js)
  }

  /**
   * Ask for the microphone (and the camera only when it starts on), create the peer connection, start
   * negotiating. A camera that starts off is never opened: no capture, no light, until setCameraOn(true).
   */
  async start() {
    if (!(await this.#capture())) return;
    this.#buildPeer();
    for (const track of this.localStream.getTracks()) this.pc.addTrack(track, this.localStream);
    for (const signal of this.earlySignals.splice(0)) await this.handleSignal(signal);
  }

  /**
   * The consumer's window while the invitation rings: the peer connection without media, its
   * candidates gathered into the pool (nothing leaves the page), the agent's offer set when it comes.
   */
  async preparePeer() {
    this.#buildPeer();
    for (const signal of this.earlySignals.splice(0)) await this.handleSignal(signal);
  }

  /**
   * The click on Accept (a session from preparePeer()): the capture asked for at the click, its tracks
   * into the offer's transceivers, then the answer (held until release(): the accept's `ok`).
   * `audioOnly`: no camera on this side (asked for, or none there).
   */
  async accept({ prepared = null, audioOnly = false } = {}) {
    if (audioOnly) this.captureVideo = this.cameraOn = false;
    this.prepared = prepared;
    if (!(await this.#capture())) return;
    for (const track of this.localStream.getTracks()) this.pc.addTrack(track, this.localStream);
    this.openAnswerGate?.(true);
  }

  /** Ask for the microphone (and the camera when it starts on); false when refused (told) or the call ended. */
  async #capture() {
    try {
      const video = this.captureVideo && this.cameraOn;
      this.localStream = await takePrepared(this.prepared, video);
      this.devices ??= await (this.localStream ? this.prepared.devices : preferredDevices());
      this.localStream ??= await captureMedia(this.devices, { video, facing: this.facing });
    } catch (error) {
      if (this.outbox) {
        this.heldError = error; // the call has not connected: release() tells it (as a capture at connect would)
        return false;
      }
      this.#emit("media-error", { reason: mediaErrorReason(error), error });
      await this.hangup(mediaErrorReason(error));
      return false;
    }
    if (this.closed) {
      // The call ended while the browser was asking for the devices: release them at once.
      this.localStream.getTracks().forEach((t) => t.stop());
      return false;
    }
    this.#emit("local-stream", { stream: this.localStream });
    return true;
  }

  #buildPeer() {
    const pc = new RTCPeerConnection(this.#configuration(this.ice));
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
    this.#scheduleCredentialRefresh();
    // call.media follows our first offer or answer (#signal): the server writes call.media before it
    // relays this socket's next frame, and the description is on the critical path of the setup.
    this.mediaUnannounced = true;
  }

  #configuration(ice) {
    return this.poolSize ? { ...ice, iceCandidatePoolSize: this.poolSize } : ice;
  }

  /** The call connects: what was made while it rang (the offer, candidates, media state) goes out now, in order. */
  async release() {
    const held = this.outbox;
    if (!held || this.closed) return;
    this.outbox = null;
    if (this.heldError) {
      this.#emit("media-error", { reason: mediaErrorReason(this.heldError), error: this.heldError });
      await this.hangup(mediaErrorReason(this.heldError));
      return;
    }
    for (const signal of held.signals) this.#signal(signal); // the offer first: call.media is written before it relays
    if (held.announce) this.#announceMedia();
  }

  /** A `call.signal` frame as it arrives, before it waits its turn for handleSignal(): the latest offer. */
  noteSignal(signal) {
    if (signal?.sdp?.type === "offer") this.latestOffer = signal.sdp.sdp;
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
        const { ignore } = offerCollision({
          type: description.type,
          polite: this.polite,
          makingOffer: this.makingOffer,
          signalingState: pc.signalingState,
        });
        this.ignoreOffer = ignore;
        if (this.ignoreOffer) return;
        if (description.type === "offer") {
          // The agent sends its early offer again when the call connects, for a window that was not
          // open while it rang: the one already set here needs nothing more.
          if (description.sdp === this.lastRemoteOffer) return;
          this.lastRemoteOffer = description.sdp;
        }
        await pc.setRemoteDescription(description);
        if (description.type === "offer") {
          if (this.answerGate && !(await this.answerGate)) return; // ringing: the answer waits for Accept
          // A newer offer came while this one waited for Accept (the agent's page reloaded while it
          // rang): that one is answered, not this one.
          if (this.closed || (this.latestOffer && this.latestOffer !== description.sdp)) return;
          await pc.setLocalDescription();
          this.#signal({ sdp: pc.localDescription.toJSON() });
        }
        this.#applyBitrateCaps().catch(() => {}); // negotiated: the encoder starts with its caps, not reconfigured at connect
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
      this.#emit("local-stream", { stream: this.localStream }); // the self-view lets go of the camera too
      if (sender?.track && !this.screenTrack) await sender.replaceTrack(null);
      return;
    }
    if (this.localStream?.getVideoTracks().length) return;
    let track;
    try {
      const stream = await captureMedia(this.devices, { audio: false, video: true, facing: this.facing });
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
    if (this.pc && !this.screenTrack) await this.sendVideo(track);
    this.#emit("local-stream", { stream: this.localStream });
  }

  /** Mid-call microphone or camera change (devices.js switchDevice): replaceTrack, no renegotiation. */
  useDevice(kind, deviceId) {
    return switchDevice(this, kind, deviceId);
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
  switchCamera() {
    return switchFacing(this, () => this.#announceMedia());
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
    this.openAnswerGate?.(false);
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

  /** Put a video track (the camera, or a screen share) on the wire; renegotiates only when the transceiver cannot send yet. */
  async sendVideo(track) {
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
    const frame = { type: "call.signal", call_id: this.callId, signal };
    if (!this.outbox) {
      this.socket.send(frame);
    } else if (this.answerGate && signal.sdp?.type === "answer" && !this.earlyAnswer) {
      // The window's answer goes right behind its call.accept on this socket (the server takes it once
      // the accept committed, before the `ok` could reach the page); its candidates wait for the `ok`.
      // Refused (the accept failed, or is being sent again), it goes again, first, at release().
      this.earlyAnswer = signal;
      this.socket.request(frame).catch(() => {
        if (this.closed) return;
        if (this.outbox) this.outbox.signals.unshift(signal);
        else this.socket.send(frame);
      });
    } else {
      this.outbox.signals.push(signal);
      if (this.party === "agent" && !this.earlyOffer && signal.sdp?.type === "offer" && !hasAddress(signal.sdp.sdp)) {
        // The consumer's window sets it while the invitation rings; the candidates wait for the accept.
        this.earlyOffer = signal;
        this.socket.send(frame);
      }
    }
    if (signal.sdp) this.#announceFirst();
  }

  #announceFirst() {
    if (!this.mediaUnannounced) return;
    this.mediaUnannounced = false;
    this.#announceMedia();
  }

  #announceMedia() {
    if (this.outbox) return void (this.outbox.announce = true);
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
    const action = iceRestartAction(state, this.iceRestarts);
    if (action === "reset") {
      this.iceRestarts = 0;
      if (!this.connectedOnce) {
        this.connectedOnce = true;
        this.#announceFirst(); // at the latest now
        this.socket.command({ type: "call.connected", call_id: this.callId }).catch(() => {}); // the connect timeout ends a call that never gets here
        this.#applyBitrateCaps();
        this.timers.push(setInterval(() => this.#sampleStats(), STATS_EVERY_MS));
      }
    } else if (action === "restart-after-grace") {
      this.timers.push(
        setTimeout(() => {
          if (this.pc?.connectionState === "disconnected") this.#restartIce();
        }, DISCONNECTED_GRACE_MS),
      );
    } else if (action === "restart-now" || action === "give-up") {
      this.#restartIce();
    }
  }

  /** Fresh credentials, then an ICE restart; after MAX_ICE_RESTARTS the call is given up. */
  async #restartIce() {
    if (this.closed) return;
    if (iceRestartAction("failed", this.iceRestarts) === "give-up") {
      await this.hangup("ice_failed");
      return;
    }
    this.iceRestarts += 1;
    this.iceRestartsInCall += 1;
    try {
      const answer = await this.socket.request({ type: "call.ice", call_id: this.callId });
      this.ice = answer.ice;
      this.pc.setConfiguration(this.#configuration(answer.ice));
    } catch {
      /* keep the old configuration; the restart may still work */
    }
    // Only the impolite side restarts, so the two sides do not offer at once.
    if (restartsIce(this.polite)) this.pc.restartIce();
    this.#watchRestart(this.iceRestarts);
  }

  /**
   * A restart with no path at all (the relay is down) may never reach `failed`: Chromium stays
   * `connecting`/`disconnected` with no candidate pair. Not connected within RESTART_TIMEOUT_MS counts
   * as a failed restart: the next one, or giving up (`ice_failed`).
   */
  #watchRestart(attempt) {
    this.timers.push(
      setTimeout(() => {
        if (this.closed || !this.pc || this.iceRestarts !== attempt) return;
        if (this.pc.connectionState !== "connected") this.#restartIce();
      }, RESTART_TIMEOUT_MS),
    );
  }

  /** Renew minted TURN credentials a minute before they expire (username "expiry:participant"). */
  #scheduleCredentialRefresh() {
    const delay = credentialRefreshDelay(this.ice.iceServers, Date.now());
    if (delay === null) return;
    this.timers.push(
      setTimeout(
        async () => {
          if (this.closed) return;
          try {
            const answer = await this.socket.request({ type: "call.ice", call_id: this.callId });
            this.ice = answer.ice;
            this.pc.setConfiguration(this.#configuration(answer.ice));
            this.#scheduleCredentialRefresh();
          } catch {
            /* the next restart asks again */
          }
        },
        delay,
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
    const sample = sampleFromReport(report, this.lastInbound, performance.now());
    const { stats } = sample;
    this.lastInbound = sample.last;
    const now = sample.last.at;
    // What we send, for the agent's own view (not part of the stored sample).
    let sendKbps;
    if (this.lastOutbound) {
      const seconds = (now - this.lastOutbound.at) / 1000;
      if (seconds > 0) sendKbps = Math.max(0, Math.round(((sample.bytesSent - this.lastOutbound.bytes) * 8) / seconds / 1000));
    }
    this.lastOutbound = { at: now, bytes: sample.bytesSent };
    this.socket.sendCommand({ type: "call.stats", call_id: this.callId, stats: { ...stats, ice_restarts: this.iceRestartsInCall } });

    const available = sample.availableOutgoingBitrate;
    // Follow the estimated uplink down the degradation steps (and back up when it recovers).
    // Degraded when the encoder itself says the network limits it (qualityLimitationReason "bandwidth")
    // and the estimate is under the full rate, two samples in a row (10 s): not the estimate's ramp-up at
    // the start of a call, nor a simple picture that needs little (the estimate stays low then too).
    if (this.video && available !== undefined) {
      const low = available < BITRATE.video && sample.limitedByBandwidth;
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
