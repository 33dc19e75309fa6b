// The consumer's side of a call, shared by the embedded window (window.js) and the mobile webview
// page (webview.js): the invitation with the account's texts and style, accept/reject, the call stage
// (remote and self view, mute, camera, switch camera, end) and the ended state in words. It follows
// the server: every `call.state` frame (and `hello.call` after a reload) goes to applyCall(); the UI
// shows what that frame says. Camera and microphone are asked for only once the consumer clicked
// Accept: at the click (prepareMedia, while the accept goes to the server and back), for the
// CallSession built when the call is `connecting`. Texts go in through textContent, never as HTML.
import { CallSession, clientCapabilities, dropPrepared, prepareMedia } from "/engage/sdk/v1/callclient.js";
import { withShareFrame } from "/engage/sdk/v1/share.js";
import { fill, formatDuration, LIVE, MEDIA_STATES } from "../calls/callstates.js";
import { DeviceSheet } from "./devicesheet.js";
import { QualityIndicator } from "./qualityindicator.js";
import { applyInvitationStyle } from "./invitationstyle.js";
import { showSelf } from "../calls/selfview.js";
export { fill, formatDuration, LIVE, MEDIA_STATES };
const ENDED_TEXT = {
  rejected: "system_call_rejected",
  cancelled: "system_call_cancelled",
  expired: "system_call_missed",
  completed: "system_call_completed",
  dropped: "system_call_dropped",
};
const MEDIA_ERROR_TEXT = { permission_denied: "error_permission_denied", no_devices: "error_no_devices" };

/** A `call.state` frame as {call, invitation, ice, media, error, iceCheck}. */
export function fromStateFrame(frame) {
  const { call, invitation, ice, media, error, ice_check: iceCheck } = frame;
  return { call, invitation, ice, media, error, iceCheck };
}

/** A `hello` frame's live call (`call` and `call_extras`) as {call, invitation, ice, media, error, iceCheck}. */
export function fromHello(hello) {
  if (!hello.call) return null;
  const { invitation, ice, media, error, ice_check: iceCheck } = hello.call_extras || {};
  return { call: hello.call, invitation, ice, media, error, iceCheck };
}

export class CallController extends EventTarget {
  /**
   * @param {object} opts
   * @param {import("../calls/signaling.js").SignalingSocket} opts.socket
   * @param {object} opts.texts    the account's resolved texts (conversation locale)
   * @param {(event: string, call: object) => void} [opts.report]  analytics (analytics.js)
   * @param {(message: string) => void} [opts.onError]
   * @param {boolean} [opts.quietEndings]  an invitation that ends unanswered just disappears (the
   *   window's transcript says what happened) instead of showing the ended card (the webview)
   * @param {"user"|"environment"} [opts.facing]  the camera a session opens first (the phone of a handoff: the back one)
   */
  constructor({ socket, texts, report = () => {}, onError = () => {}, quietEndings = false, facing = "user" }) {
    super();
    this.socket = socket;
    this.texts = texts;
    this.report = report;
    this.onError = onError;
    this.quietEndings = quietEndings;
    this.facing = facing;
    this.rejectedHere = null;
    this.call = null;
    this.session = null;
    this.signalChain = Promise.resolve();
    this.earlySignals = [];
    this.ringing = null; // {callId, media}: the ringing frame's camera settings (what Accept opens)
    this.prepared = null; // the capture started at the click on Accept: {callId, video, devices, stream}
    this.remoteMedia = null;
    this.view = "idle"; // idle | invitation | call | ended
    this.timer = null;
    this.busy = false;
    this.$ = (id) => document.getElementById(id);
    this.devices = new DeviceSheet({ controller: this, $: this.$ }); // microphone, camera, speaker
    this.quality = new QualityIndicator(this.$("engage-call-quality"));
    this.#bindControls();
  }

  get live() {
    return Boolean(this.call && LIVE.has(this.call.state));
  }

  // --- frames from the server -------------------------------------------------------------------

  /** Show the call as the server says it is now. `entry` from fromStateFrame() or fromHello(). */
  applyCall(entry) {
    if (!entry) return;
    const call = entry.call;
    if (this.call && this.call.id !== call.id && LIVE.has(this.call.state) && !LIVE.has(call.state)) {
      return; // a late frame about an older call must not hide the current one
    }
    this.call = call;
    if (call.state === "ringing") {
      this.ringing = { callId: call.id, media: entry.media ?? null };
      this.#showInvitation(call, entry.invitation);
      if (entry.ice) this.#ensureSession(call, entry, { ringing: true }); // its peer connection, ready for Accept
    } else if (MEDIA_STATES.has(call.state)) {
      this.#hideInvitation();
      this.#ensureSession(call, entry);
      this.#showStage();
      if (call.state === "active") this.report("call_started", call);
    } else {
      this.#hideInvitation();
      this.#stopSession();
      if (call.started_at) this.report("call_ended", call);
      const neverAnswered = !call.answered_at && call.state !== "failed";
      if ((neverAnswered && this.quietEndings) || this.rejectedHere === call.id) {
        // The consumer's own "no", or an invitation withdrawn or missed: the transcript line says it.
        this.#setView("idle");
      } else {
        this.#showEnded(call, entry.error);
      }
    }
    this.dispatchEvent(new CustomEvent("change", { detail: { call, iceCheck: entry.iceCheck } })); // readinessview.js
  }

  /** A `call.signal` frame: in order, after the peer connection exists. */
  handleSignal(frame) {
    if (this.session && this.session.callId === frame.call_id && !this.session.closed) {
      const target = this.session;
      target.noteSignal(frame.signal);
      this.signalChain = this.signalChain.then(() => target.handleSignal(frame.signal)).catch(() => {});
    } else if (!this.call || this.call.id === frame.call_id) {
      // A signal may overtake our own call.state connecting: keep it for the session about to start.
      this.earlySignals.push(frame);
      if (this.earlySignals.length > 200) this.earlySignals.shift();
    }
  }

  /** The agent muted, or switched the camera off or on. */
  /** Support changed the account's texts (a `settings` frame): labels and errors use them from now on. */
  applyTexts(texts) {
    if (!texts || typeof texts !== "object") return;
    Object.assign(this.texts, texts);
    if (this.session) this.#renderStage();
    this.dispatchEvent(new CustomEvent("change"));
  }

  /** A screen-share frame of this call (shareview.js): the call's share fields, then the stage. */
  applyShare(frame) {
    this.call = withShareFrame(this.call, frame);
    this.#renderStage();
    this.dispatchEvent(new CustomEvent("change", { detail: { call: this.call } }));
  }

  handleRemoteMedia(frame) {
    if (frame.from !== "agent" || frame.call_id !== this.call?.id) return;
    this.remoteMedia = { audio: frame.audio, video: frame.video };
    this.#renderStage();
  }

  // --- consumer actions -------------------------------------------------------------------------

  /** Accept; `audioOnly` ("Audio only" on a video invitation) joins without any camera capture, and
   * so does a browser without a camera: the call goes on as audio on our side instead of failing. */
  async accept({ audioOnly = false } = {}) {
    const call = this.call;
    if (!call || call.state !== "ringing" || this.busy) return;
    this.busy = true;
    this.#setInvitationBusy(true);
    try {
      const client = await clientCapabilities();
      // Without a microphone the server fails the call at once (no camera: audio only).
      if (!client.microphone) this.mediaError = this.texts.error_no_devices;
      const audio_only = call.media === "video" && (audioOnly || !client.camera);
      this.devices.offerFor = call.id; // once the browser grants access, offer the device picker
      this.#prepare(call, audio_only, client);
      // The window's peer connection has the agent's offer already (built while ringing): it answers
      // while the accept travels, the answer right behind it; its candidates once the accept is `ok`.
      const session = this.session?.callId === call.id && !this.session.closed ? this.session : null;
      this.beforeAnswer?.(call); // readinessview.js: its report goes first
      const accepting = this.socket.command({ type: "call.accept", call_id: call.id, client, audio_only }); // sent now
      if (session && this.prepared) {
        session.accept({ prepared: this.prepared, audioOnly: audio_only }); // its answer follows the accept
        this.prepared = null;
      }
      await accepting;
      session?.release();
      this.report("invitation_accepted", call);
    } catch (error) {
      if (this.session?.callId === call.id) this.#stopSession(); // its capture and peer connection go too
      this.#dropPrepared();
      this.#refused(error);
      this.#setInvitationBusy(false);
    } finally {
      this.busy = false;
    }
  }

  /** A refused answer (or a call that could not start) in the account's words; the protocol's own message
   * is for developers (the console). */
  #refused(error) {
    const code = error?.code;
    const ended = code === "invalid_state" || code === "not_found" || code === "expired";
    const key = code === "offline" || code === "timeout" ? "error_offline" : ended ? "error_call_ended" : "error_connection_failed";
    console.warn("call: refused:", code ?? "", error?.message ?? error);
    this.onError(this.texts[key]);
  }

  async reject() {
    const call = this.call;
    if (!call || call.state !== "ringing" || this.busy) return;
    this.busy = true;
    this.#setInvitationBusy(true);
    this.rejectedHere = call.id;
    try {
      this.beforeAnswer?.(call);
      await this.socket.command({ type: "call.reject", call_id: call.id });
      this.report("invitation_rejected", call);
    } catch (error) {
      this.rejectedHere = null;
      this.#refused(error);
      this.#setInvitationBusy(false);
    } finally {
      this.busy = false;
    }
  }

  async end(reason = "") {
    const call = this.call;
    if (!call || !LIVE.has(call.state)) return;
    if (this.session && !this.session.closed) {
      await this.session.hangup(reason);
    } else {
      try {
        await this.socket.command({ type: "call.hangup", call_id: call.id, reason });
      } catch {
        /* it already ended: the call.state frame says how */
      }
    }
  }

  /** No live call any more (a hello without one): release everything, show nothing. */
  clear() {
    if (!this.live) return;
    this.#stopSession();
    this.call = null;
    this.#setView("idle");
  }

  /** Back from the ended card to the conversation. */
  dismiss() {
    if (this.view === "ended") this.#setView("idle");
  }

  // --- the session ------------------------------------------------------------------------------

  /** The click on Accept asks for the camera (only when the call starts with it on) and microphone now. */
  #prepare(call, audioOnly, client) {
    this.#dropPrepared();
    if (!client.microphone) return; // the server fails the call: nothing to ask for
    const media = this.ringing?.callId === call.id ? this.ringing.media : null;
    const video = call.media === "video" && !audioOnly && Boolean(media?.consumer_camera_on);
    this.prepared = { callId: call.id, ...prepareMedia({ video, facing: this.facing }) };
  }

  #dropPrepared() {
    dropPrepared(this.prepared);
    this.prepared = null;
  }

  /** The call's CallSession: at `connecting` (or a rejoin), or while it rings (`ringing`: preparePeer(), no media). */
  #ensureSession(call, entry, { ringing = false } = {}) {
    if (this.session && this.session.callId === call.id && !this.session.closed) return;
    const prepared = this.prepared?.callId === call.id ? this.prepared : null;
    this.prepared = null; // the session takes it (or releases it when the call wants other media)
    // The agent's offer often arrives before our own `connecting` frame: keep it for the new session.
    const early = this.earlySignals.filter((frame) => frame.call_id === call.id);
    this.#stopSession();
    const ice = entry.ice ?? { iceServers: [] };
    const video = call.media === "video";
    const media = entry.media && typeof entry.media === "object" ? entry.media : { agent_camera_on: video, consumer_camera_on: video };
    const session = new CallSession({ socket: this.socket, party: "consumer", call, ice, media, facing: this.facing, prepared, ringing });
    this.session = session;
    this.devices.attach(session);
    this.remoteMedia = null;
    this.peerState = "new";
    this.quality.reset();
    const ours = () => this.session === session;
    session.addEventListener("local-stream", ({ detail }) => {
      if (!ours()) return;
      showSelf(this.$("engage-local-video"), detail.stream); // scaled down: selfview.js
      this.#renderStage();
      CallSession.cameraCount().then((count) => {
        if (!ours()) return;
        this.cameraCount = count;
        this.#renderStage();
      });
    });
    session.addEventListener("remote-stream", ({ detail }) => {
      if (!ours()) return;
      this.#attachRemote(video ? this.$("engage-remote-video") : this.$("engage-remote-audio"), detail.stream);
    });
    session.addEventListener("connection-state", ({ detail }) => {
      if (!ours()) return;
      this.peerState = detail.state;
      this.quality.setConnection(detail.state);
      this.#renderStage();
    });
    session.addEventListener("stats", ({ detail }) => {
      if (!ours()) return;
      this.quality.sample(detail.stats, video && (this.remoteMedia ? this.remoteMedia.video : true));
      this.#renderStage();
    });
    session.addEventListener("media-error", ({ detail }) => {
      if (!ours()) return;
      // The session hangs up with the reason; the server's failed call.state brings the account's text.
      this.mediaError = this.texts[MEDIA_ERROR_TEXT[detail.reason] ?? "error_no_devices"];
    });
    session.addEventListener("warning", ({ detail }) => console.warn("call:", detail.message));
    // Signals are handled one at a time, in order, once start() built the peer connection.
    this.signalChain = (ringing ? session.preparePeer() : session.start()).catch((error) => this.#refused(error));
    for (const frame of early) this.handleSignal(frame);
  }

  #stopSession() {
    const session = this.session;
    this.session = null;
    this.#dropPrepared();
    this.earlySignals = [];
    this.devices.detach();
    if (session) session.close();
    showSelf(this.$("engage-local-video"), null); // its scaled-down clone of the camera stops too
    for (const id of ["engage-remote-video", "engage-remote-audio"]) {
      const element = this.$(id);
      if (element) element.srcObject = null;
    }
    this.$("engage-resume-audio").hidden = true;
    clearInterval(this.timer);
    this.timer = null;
  }

  /** The agent's video or voice (the self-view is selfview.js's). */
  #attachRemote(element, stream) {
    if (!element) return;
    if (element.srcObject !== stream) element.srcObject = stream;
    element.muted = false;
    const playing = element.play();
    if (playing?.catch) {
      // Sound without a click (a reload mid-call) may be blocked: offer a button that plays it.
      playing.catch(() => {
        this.$("engage-resume-audio").hidden = false;
      });
    }
  }

  // --- views ------------------------------------------------------------------------------------

  #setView(view) {
    this.view = view;
    this.$("engage-invitation").hidden = view !== "invitation";
    this.$("engage-call").hidden = view !== "call" && view !== "ended";
    this.dispatchEvent(new CustomEvent("view", { detail: { view } }));
  }

  #showInvitation(call, invitation) {
    const texts = this.texts;
    const section = this.$("engage-invitation");
    const inv = invitation ?? {};
    this.$("engage-invitation-title").textContent = inv.title ?? fill(texts[`invitation_title_${call.media}`]);
    this.$("engage-invitation-body").textContent = inv.body ?? fill(texts[`invitation_body_${call.media}`]);
    this.$("engage-accept").textContent = inv.accept ?? texts.invitation_accept;
    this.$("engage-reject").textContent = inv.reject ?? texts.invitation_reject;
    this.$("engage-accept-audio").hidden = call.media !== "video";
    this.$("engage-invitation-note").textContent = this.texts[`invitation_devices_note_${call.media === "video" ? "video" : "voice"}`];
    section.dataset.media = call.media;
    applyInvitationStyle(section, inv.style);
    this.#setInvitationBusy(false);
    this.#setView("invitation");
    this.report("invitation_shown", call);
  }

  #hideInvitation() {
    if (this.view === "invitation") this.#setView("idle");
  }

  #setInvitationBusy(busy) {
    this.$("engage-accept").disabled = busy;
    this.$("engage-accept-audio").disabled = busy;
    this.$("engage-reject").disabled = busy;
    this.$("engage-invitation").setAttribute("aria-busy", String(busy));
  }

  #showStage() {
    this.$("engage-call-ended").hidden = true;
    this.$("engage-call").dataset.media = this.call.media;
    this.#setView("call");
    if (this.call.state === "active" && !this.timer) {
      this.timer = setInterval(() => this.#renderTimer(), 1000);
    }
    this.#renderStage();
  }

  #renderTimer() {
    const el = this.$("engage-call-timer");
    const started = this.call?.started_at ? Date.parse(this.call.started_at) : NaN;
    if (this.call?.state !== "active" || Number.isNaN(started)) {
      el.hidden = true;
      return;
    }
    el.hidden = false;
    el.textContent = formatDuration((Date.now() - started) / 1000);
  }

  #renderStage() {
    const call = this.call;
    if (!call || !MEDIA_STATES.has(call.state)) return;
    const root = this.$("engage-call");
    const session = this.session;
    const video = call.media === "video";
    const ownVideo = video && !call.consumer_audio_only; // answered with audio only: no self view, no camera
    root.dataset.state = call.state;
    root.dataset.audioOnly = String(video && !ownVideo);
    let status = this.texts.call_connecting;
    if (call.state === "active") status = this.peerState === "disconnected" || this.peerState === "failed" ? this.texts.call_reconnecting : "";
    const statusEl = this.$("engage-call-status");
    statusEl.textContent = status;
    statusEl.hidden = !status;
    this.#renderTimer();

    const muted = Boolean(session?.muted);
    const mute = this.$("engage-mute");
    mute.setAttribute("aria-pressed", String(muted));
    mute.querySelector(".call-btn-label").textContent = muted ? this.texts.call_unmute : this.texts.call_mute;

    const camera = this.$("engage-camera");
    const cameraOn = Boolean(session?.cameraOn);
    camera.hidden = !ownVideo;
    camera.setAttribute("aria-pressed", String(!cameraOn));
    camera.querySelector(".call-btn-label").textContent = cameraOn ? this.texts.call_camera_off : this.texts.call_camera_on;
    this.$("engage-switch-camera").hidden = !ownVideo || !(this.cameraCount >= 2);
    this.$("engage-self").hidden = !ownVideo;
    this.$("engage-self").dataset.camera = cameraOn ? "on" : "off";
    this.$("engage-self").dataset.facing = session?.facing ?? "user"; // a back camera's view is not mirrored

    // The agent's side: avatar instead of video for voice calls or a camera that is off.
    const remoteVideoOn = video && (call.agent_sharing || (this.remoteMedia ? this.remoteMedia.video : true));
    root.dataset.peerSharing = String(video && !!call.agent_sharing); // a screen: shown whole, not cropped
    root.dataset.remoteVideo = remoteVideoOn ? "on" : "off";
    this.$("engage-peer-note").textContent = video && !remoteVideoOn ? this.texts.call_peer_camera_off : "";
    this.$("engage-remote-muted").hidden = !(this.remoteMedia && this.remoteMedia.audio === false);
    this.quality.render(this.texts, call.state === "active");
  }

  #showEnded(call, error) {
    const texts = this.texts;
    const root = this.$("engage-call");
    root.dataset.state = call.state;
    root.dataset.media = call.media;
    const media = texts[`media_${call.media}`] ?? call.media;
    const ended = this.$("engage-call-ended");
    const errorEl = this.$("engage-call-error");
    let text;
    if (call.state === "failed") {
      text = fill(texts.system_call_failed, { media, reason: "" }).replace(/[:：]\s*$/, "").trim();
      // The server's words say whose microphone or camera failed (`error.side`): the agent's failure
      // reads as the agent's (`error_agent_*`), never as advice about this browser's devices.
      errorEl.textContent = this.mediaError ?? error?.text ?? texts.error_connection_failed;
      errorEl.hidden = false;
    } else {
      text = fill(texts[ENDED_TEXT[call.state]] ?? texts.system_call_completed, {
        media,
        duration: formatDuration(call.duration_s),
      });
      errorEl.hidden = true;
    }
    this.$("engage-call-ended-text").textContent = text;
    ended.dataset.state = call.state;
    ended.hidden = false;
    this.$("engage-call-status").hidden = true;
    this.$("engage-call-timer").hidden = true;
    this.$("engage-remote-muted").hidden = true;
    this.quality.reset();
    this.mediaError = null;
    this.#setView("ended");
  }

  #bindControls() {
    this.$("engage-accept").addEventListener("click", () => this.accept());
    this.$("engage-accept-audio").addEventListener("click", () => this.accept({ audioOnly: true }));
    this.$("engage-reject").addEventListener("click", () => this.reject());
    this.$("engage-mute").addEventListener("click", () => {
      if (!this.session) return;
      this.session.setMuted(!this.session.muted);
      this.#renderStage();
    });
    this.$("engage-camera").addEventListener("click", () => {
      if (!this.session) return;
      this.session.setCameraOn(!this.session.cameraOn);
      this.#renderStage();
    });
    this.$("engage-switch-camera").addEventListener("click", async () => {
      if (!this.session) return;
      const button = this.$("engage-switch-camera");
      button.disabled = true;
      try {
        await this.session.switchCamera();
      } catch (error) {
        console.warn("call: switching the camera failed", error);
      } finally {
        button.disabled = false;
        this.#renderStage();
      }
    });
    this.$("engage-end").addEventListener("click", () => this.end());
    this.$("engage-resume-audio").addEventListener("click", () => {
      this.$("engage-resume-audio").hidden = true;
      for (const id of ["engage-remote-video", "engage-remote-audio"]) {
        const element = this.$(id);
        if (element?.srcObject) element.play().catch(() => {});
      }
    });
    this.$("engage-call-dismiss")?.addEventListener("click", () => this.dismiss());
  }
}
