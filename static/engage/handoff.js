// Continue on my phone, on the computer (the messaging window): the call's phone button asks the
// server for a one-time code (`call.handoff`) and shows it as a QR code and a short link, with the
// time it has left. When the phone claims it, the server says `call.moved`: this window lets go of
// the call (camera and microphone released, peer connection closed), says "Continued on your phone"
// in the account's words and keeps the conversation. The call itself (its row, the agent's side)
// never ends: the phone renegotiates with the agent as a reloaded window would.

import { fill } from "./callview.js";
import { countdown, handoffErrorKey, heldElsewhere } from "./handoff_rules.js";

export class HandoffPanel {
  /**
   * @param {object} opts
   * @param {import("./callview.js").CallController} opts.controller  the window's call controller
   * @param {object} opts.texts  the account's texts (conversation locale)
   */
  constructor({ controller, texts, $ = (id) => document.getElementById(id) }) {
    this.controller = controller;
    this.texts = texts;
    this.$ = $;
    this.device = 0;
    this.answer = null;
    this.timer = null;
    this.movedCall = null;
    $("engage-handoff").addEventListener("click", () => this.open());
    $("engage-handoff-close").addEventListener("click", () => this.close());
    $("engage-handoff-new").addEventListener("click", () => this.open());
    $("engage-handoff-copy").addEventListener("click", () => this.#copy());
    $("engage-handoff-panel").addEventListener("keydown", (event) => event.key === "Escape" && this.close());
    controller.addEventListener("change", () => {
      const call = controller.call;
      if (!call || !["connecting", "active"].includes(call.state)) this.close();
      if (call && call.id !== this.movedCall) this.#showMoved(false);
    });
  }

  /** A `hello` arrived: this socket's device. Returns true when its live call is held by another
   * device (the window must not rejoin it: it shows "Continued on your phone" instead). */
  hello(frame) {
    this.device = frame.device ?? 0;
    if (frame.call && heldElsewhere(frame.call, this.device)) {
      this.moved(frame.call);
      return true;
    }
    return false;
  }

  /** A `call.state` frame: true when it is about a call held by another device (not for this window). */
  elsewhere(frame) {
    if (!heldElsewhere(frame.call, this.device)) return false;
    if (["connecting", "active"].includes(frame.call.state)) this.moved(frame.call);
    return true;
  }

  /** The call went to the phone (`call.moved`, or learnt from hello): let go of it here. */
  moved(call) {
    if (!heldElsewhere(call, this.device)) return;
    this.close();
    this.movedCall = call.id;
    if (this.controller.call?.id === call.id) this.controller.clear(); // stops the tracks: the camera light goes out
    this.#showMoved(true);
  }

  async open() {
    const call = this.controller.call;
    const socket = this.controller.socket;
    if (!call || !socket) return;
    const panel = this.$("engage-handoff-panel");
    panel.hidden = false;
    panel.dataset.state = "loading";
    this.$("engage-handoff-body").textContent = fill(this.texts.handoff_body);
    this.$("engage-handoff-error").hidden = true;
    this.$("engage-handoff-new").hidden = true;
    this.$("engage-handoff-close").focus();
    try {
      this.answer = await socket.request({ type: "call.handoff", call_id: call.id });
    } catch (error) {
      panel.dataset.state = "error";
      console.warn("handoff: refused:", error?.code ?? "", error?.message ?? error);
      this.$("engage-handoff-error").textContent = this.texts[handoffErrorKey(error)] ?? "";
      this.$("engage-handoff-error").hidden = false;
      this.$("engage-handoff-new").hidden = false;
      return;
    }
    if (panel.hidden) return; // closed while the code was on its way
    const answer = this.answer;
    this.$("engage-handoff-qr").src = answer.qr;
    this.$("engage-handoff-qr").alt = answer.url;
    this.$("engage-handoff-code").textContent = answer.code;
    this.$("engage-handoff-link").value = answer.url;
    this.$("engage-handoff-copy").textContent = this.texts.handoff_copy;
    this.$("engage-handoff-note").textContent = fill(this.texts.handoff_note, { minutes: Math.round(answer.ttl_s / 60) });
    panel.dataset.state = "ready";
    const endsAt = Date.now() + answer.ttl_s * 1000;
    clearInterval(this.timer);
    const tick = () => {
      const left = (endsAt - Date.now()) / 1000;
      this.$("engage-handoff-expiry").textContent = left > 0 ? fill(this.texts.handoff_code_expires, { time: countdown(left) }) : this.texts.handoff_code_expired;
      if (left <= 0) {
        clearInterval(this.timer);
        panel.dataset.state = "expired";
        this.$("engage-handoff-new").hidden = false;
      }
    };
    tick();
    this.timer = setInterval(tick, 1000);
  }

  close() {
    clearInterval(this.timer);
    this.timer = null;
    this.$("engage-handoff-panel").hidden = true;
  }

  #showMoved(show) {
    this.$("engage-moved").hidden = !show;
    if (show) this.$("engage-moved-text").textContent = this.texts.handoff_continued;
  }

  async #copy() {
    const input = this.$("engage-handoff-link");
    try {
      await navigator.clipboard.writeText(input.value);
    } catch {
      input.select(); // the frame may not be allowed the clipboard: selected, the person copies it
      return;
    }
    this.$("engage-handoff-copy").textContent = this.texts.handoff_copied;
  }
}
