// Screen sharing in a video call, for both sides (docs/protocol.md, `call.share`).
//
// A share replaces this side's camera on the call's video sender (replaceTrack: the peer's video
// element keeps its track and simply shows the screen; no renegotiation once the sender sends). It
// stops with our button or with the browser's own "Stop sharing" (the track ends); the camera then
// comes back, or no video at all when the camera was off. The server says yes first: the share is put
// on the wire only after `call.share` {sharing: true} was accepted (the permission rule, and for the
// consumer the agent's request), so a refused share never reaches the other side.
//
// The pure parts (what the browser can do, which buttons show, how errors read) are unit-tested in
// static/tests/share.test.js; ScreenShare needs a browser.

const MOBILE_UA = /Android|iPhone|iPad|iPod|Mobile|Silk|Kindle|Opera Mini|IEMobile/i;
const SURFACES = new Set(["monitor", "window", "browser"]);

/**
 * Whether this browser may offer a share button: getDisplayMedia exists, and it is not a phone or a
 * tablet (mobile browsers either lack it or share nothing useful; their people get no button).
 * @param {{mediaDevices?: object, userAgent?: string, userAgentData?: {mobile?: boolean}}} nav  navigator
 */
export function canShareScreen(nav = globalThis.navigator) {
  if (!nav || typeof nav.mediaDevices?.getDisplayMedia !== "function") return false;
  if (nav.userAgentData?.mobile === true) return false;
  return !MOBILE_UA.test(nav.userAgent ?? "");
}

/** What the picker shared (`displaySurface`), as the protocol names it, or null. */
export function shareSurface(settings) {
  const surface = settings?.displaySurface;
  return SURFACES.has(surface) ? surface : null;
}

/** Why getDisplayMedia gave nothing: the person closed the picker or said no ("declined"), else "failed". */
export function shareErrorReason(error) {
  return error?.name === "NotAllowedError" || error?.name === "AbortError" ? "declined" : "failed";
}

/**
 * The share controls of one side of a call.
 * @param {object} s
 * @param {"agent"|"consumer"} s.party
 * @param {object|null} s.call     the call object (media, state, agent_sharing, consumer_sharing, share_requested)
 * @param {boolean} s.allowed      agent: `permissions.share`; consumer: the account's `share_enabled`
 * @param {boolean} s.supported    canShareScreen() of this browser
 * @param {boolean} s.sharing      this side shares now
 * @returns {{share: "hidden"|"start"|"stop", ask: "hidden"|"ready"|"waiting", prompt: boolean, peerSharing: boolean}}
 *   share: this side's own button (the consumer's only stops: it starts from the prompt); ask: the
 *   agent's "Ask for screen"; prompt: the consumer's consent prompt; peerSharing: the other side is
 *   sharing (its video is a screen)
 */
export function shareControls({ party, call, allowed, supported, sharing }) {
  const live = !!call && call.media === "video" && (call.state === "connecting" || call.state === "active");
  const peerSharing = live && !!(party === "agent" ? call.consumer_sharing : call.agent_sharing);
  const controls = { share: "hidden", ask: "hidden", prompt: false, peerSharing };
  if (!live) return controls;
  // Stopping never needs a permission: a share that is on can always be stopped.
  if (sharing) controls.share = "stop";
  else if (party === "agent" && allowed && supported) controls.share = "start";
  if (party === "agent" && allowed && !call.consumer_sharing) controls.ask = call.share_requested ? "waiting" : "ready";
  // The consumer shares only when asked: the prompt is the way in (a phone declines on its own).
  if (party === "consumer" && allowed && supported && call.share_requested && !sharing) controls.prompt = true;
  return controls;
}

/** The call object with a `call.share` / `call.share.request` / `call.share.decline` frame applied. */
export function withShareFrame(call, frame) {
  if (!call || frame.call_id !== call.id) return call;
  if (frame.type === "call.share") {
    const field = frame.from === "agent" ? "agent_sharing" : "consumer_sharing";
    return { ...call, [field]: !!frame.sharing, ...(frame.from === "consumer" && frame.sharing ? { share_requested: false } : {}) };
  }
  if (frame.type === "call.share.request") return { ...call, share_requested: true };
  if (frame.type === "call.share.decline") return { ...call, share_requested: false };
  return call;
}

/**
 * One side's screen share on a CallSession (static/calls/callclient.js). Events: "change" (started,
 * stopped), "error" {detail: {reason, error}} (the picker was closed, the browser failed, the server
 * refused: `error.code`).
 */
export class ScreenShare extends EventTarget {
  /** @param {{session: import("./callclient.js").CallSession, socket: import("./signaling.js").SignalingSocket}} opts */
  constructor({ session, socket }) {
    super();
    this.session = session;
    this.socket = socket;
    this.track = null;
    this.busy = false;
    session.addEventListener("closed", () => this.#release());
  }

  get sharing() {
    return this.track !== null;
  }

  /** Open the browser's picker (call it from the click), then share what the person chose. */
  async start() {
    // No peer connection yet (the devices are still being asked for): nothing to put a screen on.
    if (this.sharing || this.busy || this.session.closed || !this.session.pc) return false;
    this.busy = true;
    this.#changed();
    let track = null;
    let accepted = false;
    try {
      const stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 15, max: 30 } }, audio: false });
      track = stream.getVideoTracks()[0];
      if ("contentHint" in track) track.contentHint = "detail"; // text stays sharp, frame rate gives way
      const surface = shareSurface(track.getSettings?.());
      await this.socket.command({ type: "call.share", call_id: this.session.callId, sharing: true, surface });
      accepted = true;
      if (this.session.closed || track.readyState === "ended") throw Object.assign(new Error("The share ended."), { name: "AbortError" });
      this.track = track;
      this.session.screenTrack = track;
      track.addEventListener("ended", () => this.stop()); // the browser's own "Stop sharing"
      await this.session.sendVideo(track);
      return true;
    } catch (error) {
      if (this.track === track && track) await this.stop().catch(() => {});
      else if (accepted && !this.session.closed) this.#tellStopped();
      track?.stop();
      this.#emit("error", { reason: error?.code ? "refused" : shareErrorReason(error), error });
      return false;
    } finally {
      this.busy = false;
      this.#changed();
    }
  }

  /** Back to the camera (or to no video when the camera is off), and tell the other side. */
  async stop() {
    const track = this.track;
    if (!track) return;
    this.track = null;
    this.session.screenTrack = null;
    const camera = this.session.localStream?.getVideoTracks().find((t) => t.readyState === "live");
    try {
      if (camera) await this.session.sendVideo(camera);
      else await this.session.pc?.getSenders().find((s) => s.track === track)?.replaceTrack(null);
    } finally {
      track.stop();
      this.#changed();
    }
    if (!this.session.closed) await this.#tellStopped();
  }

  /**
   * A page that rejoins a call (a reload) has no share any more: if the server still has this side
   * sharing, say that it stopped, so the other side goes back to the camera view.
   */
  reconcile(call, party) {
    const serverSays = party === "agent" ? call?.agent_sharing : call?.consumer_sharing;
    if (serverSays && !this.sharing && !this.busy) this.#tellStopped();
  }

  #tellStopped() {
    return this.socket.command({ type: "call.share", call_id: this.session.callId, sharing: false }).catch(() => {});
  }

  #release() {
    this.track?.stop();
    this.track = null;
    this.#changed();
  }

  #changed() {
    this.#emit("change", { sharing: this.sharing, busy: this.busy });
  }

  #emit(name, detail) {
    this.dispatchEvent(new CustomEvent(name, { detail }));
  }
}
