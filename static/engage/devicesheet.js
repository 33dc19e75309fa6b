// The consumer's device picker (window and webview): the sheet over the call (templates/engage/
// _devices.html) around the shared DevicePanel (static/calls/devicepanel.js).
//
// After the consumer accepts, once the browser has granted access (the session's first local
// stream), the sheet opens by itself in a video call on a device with two cameras when nothing is
// remembered yet (devices.js offersPicker); the call connects behind it and every choice applies at
// once. The "Devices" button opens it again at any time of the call. A microphone, camera or
// speaker that goes away falls back to the default with a notice in the account's words.

import { DevicePanel, followSpeaker } from "../calls/devicepanel.js";
import { listDevices, localStore, offersPicker, readChoice } from "../calls/devices.js";

const LOST_TEXT = { audioinput: "device_lost_microphone", videoinput: "device_lost_camera", audiooutput: "device_lost_speaker" };
const NOTICE_MS = 8000;

export class DeviceSheet {
  /** @param {{controller: import("./callview.js").CallController, $: (id: string) => HTMLElement}} opts */
  constructor({ controller, $ }) {
    this.controller = controller;
    this.$ = $;
    this.offerFor = null; // the call accepted in this page: its picker may open by itself
    this.session = null;
    this.stopSpeaker = null;
    this.noticeTimer = null;
    this.panel = new DevicePanel({
      el: {
        root: $("engage-devices"),
        microphone: $("engage-devices-microphone"),
        camera: $("engage-devices-camera"),
        speaker: $("engage-devices-speaker"),
        cameraRow: $("engage-devices-camera-row"),
        speakerRow: $("engage-devices-speaker-row"),
        preview: $("engage-devices-preview"),
        previewOff: $("engage-devices-preview-off"),
        meter: $("engage-devices-meter"),
        meterBar: $("engage-devices-meter-bar"),
        cameraNote: $("engage-devices-camera-note"),
      },
      texts: () => controller.texts,
      sinks: () => [$("engage-remote-video"), $("engage-remote-audio")],
      video: () => Boolean(this.session?.captureVideo),
    });
    $("engage-devices-open").addEventListener("click", () => (this.isOpen ? this.close() : this.open()));
    $("engage-devices-close").addEventListener("click", () => this.close());
    $("engage-devices-done").addEventListener("click", () => this.close());
    $("engage-devices").addEventListener("click", (event) => event.target === $("engage-devices") && this.close());
    $("engage-devices").addEventListener("keydown", (event) => event.key === "Escape" && this.close());
  }

  get isOpen() {
    return !this.$("engage-devices").hidden;
  }

  /** A new CallSession (built while the call rings, at connecting, or on a rejoin). */
  attach(session) {
    this.detach();
    this.session = session;
    this.panel.setSession(session);
    this.#label();
    let first = true;
    session.addEventListener("local-stream", () => {
      if (!first || this.session !== session) return;
      first = false;
      // Accepted in this page (the click sets offerFor, after a ringing session was attached).
      if (this.offerFor === session.callId) this.#offer(session);
    });
    session.addEventListener("device-lost", ({ detail }) => this.session === session && this.notice(detail.kind));
    const sinks = () => [this.$("engage-remote-video"), this.$("engage-remote-audio")];
    this.stopSpeaker = followSpeaker(sinks, () => this.notice("audiooutput"));
  }

  /** The call ended (or the page let go of it). */
  detach() {
    this.stopSpeaker?.();
    this.stopSpeaker = null;
    this.session = null;
    this.panel.setSession(null);
    this.close();
    this.$("engage-device-notice").hidden = true;
  }

  async open() {
    if (!this.session) return;
    this.#label();
    this.$("engage-devices").hidden = false;
    this.$("engage-devices-open").setAttribute("aria-expanded", "true");
    await this.panel.open();
    this.$("engage-devices-microphone").focus({ preventScroll: true });
  }

  close() {
    const wasOpen = this.isOpen;
    this.$("engage-devices").hidden = true;
    this.$("engage-devices-open").setAttribute("aria-expanded", "false");
    this.panel.close();
    if (wasOpen) this.$("engage-devices-open").focus({ preventScroll: true });
  }

  /** Tell the consumer that a device went away and the default is used now. */
  notice(kind) {
    const element = this.$("engage-device-notice");
    const text = this.controller.texts[LOST_TEXT[kind]];
    if (!text) return;
    element.textContent = text;
    element.hidden = false;
    clearTimeout(this.noticeTimer);
    this.noticeTimer = setTimeout(() => (element.hidden = true), NOTICE_MS);
    if (this.isOpen) this.panel.refresh();
  }

  async #offer(session) {
    const offered = offersPicker(await listDevices(), {
      video: session.captureVideo && session.cameraOn,
      remembered: readChoice(localStore()),
    });
    if (offered && this.session === session && !session.closed && !this.isOpen) this.open();
  }

  /** The button's word from the account's texts (a `settings` frame may have changed them). */
  #label() {
    const word = this.controller.texts.devices_button;
    if (word) this.$("engage-devices-open").querySelector(".call-btn-label").textContent = word;
  }
}
