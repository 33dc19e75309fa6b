// The consumer's side of screen sharing (issue 16), beside callview.js in the window and the webview:
// the agent asks (`call.share.request`), the window shows a consent prompt in the account's words;
// "Share my screen" opens the browser's picker and shares (static/calls/share.js), "Not now" answers
// `call.share.decline`, which the agent sees. While sharing, a banner and a "Stop sharing" button;
// the browser's own "Stop sharing" works too. A phone, a tablet or a browser without getDisplayMedia
// never shows the prompt: it answers the request with reason "unsupported" at once.
// When the agent shares, callview.js shows the screen whole (not cropped) instead of the camera.

import { canShareScreen, ScreenShare, shareControls } from "/engage/sdk/v1/share.js";
import { fill } from "./callview.js";
import { showSelf } from "../calls/selfview.js";

export class ShareView {
  /**
   * @param {object} opts
   * @param {import("./callview.js").CallController} opts.controller
   * @param {boolean} opts.enabled   the account's `share_enabled` (the kill switch), from the config
   */
  constructor({ controller, enabled }) {
    this.controller = controller;
    this.enabled = enabled !== false;
    this.supported = canShareScreen();
    this.share = null;
    this.agentName = "";
    this.$ = (id) => document.getElementById(id);
    controller.addEventListener("change", () => this.render());
    this.$("engage-share-accept").addEventListener("click", () => this.#accept());
    this.$("engage-share-decline").addEventListener("click", () => this.#decline("declined"));
    this.$("engage-share-stop").addEventListener("click", () => this.share?.stop().catch(() => {}));
  }

  get texts() {
    return this.controller.texts;
  }

  /** `call.share` from the agent, or `call.share.request`. */
  handleFrame(frame) {
    const call = this.controller.call;
    if (!call || frame.call_id !== call.id) return;
    if (frame.agent_name) this.agentName = frame.agent_name;
    if (frame.type === "call.share.request") this.enabled = true; // the server checked the rule just now
    this.controller.applyShare(frame);
    // A phone, a tablet or a browser without getDisplayMedia can do nothing: it says so at once.
    if (frame.type === "call.share.request" && !this.supported) this.#decline("unsupported");
  }

  /** Support switched sharing off or on (`settings` frame `share_enabled`). */
  applySettings(enabled) {
    if (typeof enabled !== "boolean") return;
    this.enabled = enabled;
    if (!enabled) this.share?.stop().catch(() => {});
    this.render();
  }

  render() {
    this.#follow(this.controller.session);
    const call = this.controller.call;
    const sharing = !!this.share?.sharing;
    const controls = shareControls({ party: "consumer", call, allowed: this.enabled, supported: this.supported, sharing });
    const prompt = this.$("engage-share-prompt");
    const wasHidden = prompt.hidden;
    prompt.hidden = !controls.prompt;
    if (controls.prompt) {
      this.$("engage-share-title").textContent = fill(this.texts.share_request_title, { agent_name: this.agentName });
      this.$("engage-share-body").textContent = fill(this.texts.share_request_body, { agent_name: this.#agentWords() });
      this.$("engage-share-accept").textContent = this.texts.share_request_accept;
      this.$("engage-share-decline").textContent = this.texts.share_request_decline;
      if (wasHidden) {
        this.$("engage-share-error").hidden = true;
        this.#setBusy(false);
        this.$("engage-share-accept").focus({ preventScroll: true });
      }
    }
    const stop = this.$("engage-share-stop");
    stop.hidden = controls.share !== "stop";
    stop.querySelector(".call-btn-label").textContent = this.texts.call_stop_sharing;
    this.$("engage-share-banner").hidden = !sharing;
    this.$("engage-share-banner-text").textContent = this.texts.share_own_sharing;
    const badge = this.$("engage-peer-sharing");
    badge.hidden = !controls.peerSharing;
    this.$("engage-peer-sharing-text").textContent = fill(this.texts.share_peer_sharing, { name: this.#agentWords() });
  }

  #agentWords() {
    return this.agentName || document.querySelector(".call-peer-name")?.textContent || "";
  }

  /** A new CallSession (the call connected, or the page rejoined after a reload): its share. */
  #follow(session) {
    if (this.share?.session === session) return;
    this.share = null;
    if (!session) return;
    // The window's socket may be replaced (a new conversation): always the current one.
    const socket = { command: (frame) => this.controller.socket.command(frame) };
    const share = new ScreenShare({ session, socket });
    this.share = share;
    share.addEventListener("change", () => {
      if (this.share !== share) return;
      // Our own preview shows what we share; the camera comes back when it stops.
      const stream = share.track ? new MediaStream([share.track]) : session.localStream;
      if (stream) showSelf(this.$("engage-local-video"), stream);
      this.$("engage-self")?.setAttribute("data-sharing", String(share.sharing));
      this.render();
    });
    share.reconcile(this.controller.call, "consumer");
  }

  async #accept() {
    const share = this.share;
    if (!share) return;
    this.#setBusy(true);
    const error = await new Promise((resolve) => {
      const onError = ({ detail }) => resolve(detail);
      share.addEventListener("error", onError, { once: true });
      share.start().then((ok) => {
        share.removeEventListener("error", onError);
        if (ok) resolve(null);
      });
    });
    this.#setBusy(false);
    if (!error) return;
    if (error.reason === "refused") {
      this.#showError(this.texts.share_failed); // e.g. support switched sharing off meanwhile
    } else {
      // The picker was closed (declined) or the browser could not share (failed): the agent hears it.
      if (error.reason === "failed") this.controller.onError(this.texts.share_failed);
      await this.#decline(error.reason);
    }
  }

  async #decline(reason) {
    const call = this.controller.call;
    const socket = this.controller.socket;
    if (!call || !socket) return;
    this.#setBusy(true);
    try {
      await socket.command({ type: "call.share.decline", call_id: call.id, reason });
    } catch {
      /* the request is gone (the call ended, or it was answered): the prompt follows the call */
    } finally {
      this.#setBusy(false);
    }
    this.controller.applyShare({ type: "call.share.decline", call_id: call.id });
  }

  #showError(text) {
    const node = this.$("engage-share-error");
    node.textContent = text;
    node.hidden = false;
  }

  #setBusy(busy) {
    this.$("engage-share-accept").disabled = busy;
    this.$("engage-share-decline").disabled = busy;
  }
}
