// The device picker both sides share: the consumer's sheet (static/engage/devicesheet.js) and the
// agent's dialog (static/workspace/devices.js) give it their elements and words; it lists the
// microphones, cameras and speakers, shows the self-preview and the microphone level, and applies a
// choice at once: to the running CallSession (replaceTrack, devices.js), to the elements that play the
// other side (setSinkId), or, with no call yet, to a preview of its own (the agent before a call).
// Every choice is remembered in this browser (devices.js). Labels reach the page through textContent.

import {
  LevelMeter,
  applySink,
  byKind,
  captureMedia,
  deviceName,
  devicesInUse,
  listDevices,
  localStore,
  readChoice,
  resolveDevice,
  sinkSupported,
  speakerPickerShown,
  writeChoice,
} from "./devices.js";

const SELECTS = { audioinput: "microphone", videoinput: "camera", audiooutput: "speaker" };

export class DevicePanel {
  /**
   * @param {object} opts
   * @param {object} opts.el  {root, microphone, camera, speaker (selects), cameraRow, speakerRow,
   *   preview (a muted <video>), previewOff, meter, meterBar, cameraNote}
   * @param {() => object} opts.texts  the account's texts (device_microphone, device_camera, ...)
   * @param {() => HTMLMediaElement[]} opts.sinks  the elements that play the other side
   * @param {() => boolean} opts.video  whether a camera is part of this call (or of the preview)
   * @param {boolean} [opts.ownPreview]  with no call, capture a preview of its own while open
   */
  constructor({ el, texts, sinks, video, ownPreview = false }) {
    this.el = el;
    this.texts = texts;
    this.sinks = sinks;
    this.video = video;
    this.ownPreview = ownPreview;
    this.session = null;
    this.preview = null; // the panel's own capture (no call), stopped when it closes
    this.meter = null;
    this.meterTrack = null;
    this.previewTrack = null;
    this.isOpen = false;
    this.onStream = () => this.#showMedia();
    this.onDeviceChange = () => this.refresh();
    for (const [kind, name] of Object.entries(SELECTS)) {
      el[name].addEventListener("change", () => this.choose(kind, el[name].value));
    }
  }

  /** The live CallSession, or null when there is none. */
  setSession(session) {
    if (session === this.session) return;
    this.session?.removeEventListener("local-stream", this.onStream);
    this.session = session;
    session?.addEventListener("local-stream", this.onStream);
    if (session) this.#stopPreview();
    if (this.isOpen) this.refresh();
  }

  async open() {
    this.isOpen = true;
    this.#label();
    navigator.mediaDevices?.addEventListener?.("devicechange", this.onDeviceChange);
    if (!this.session && this.ownPreview) await this.#startPreview();
    await this.refresh();
  }

  close() {
    this.isOpen = false;
    navigator.mediaDevices?.removeEventListener?.("devicechange", this.onDeviceChange);
    this.#stopMeter();
    this.#stopPreview();
    this.el.preview.srcObject = null;
    this.previewTrack = null;
  }

  /** The stream the preview and the meter show: the call's, or the panel's own. */
  get stream() {
    return this.session?.localStream ?? this.preview;
  }

  /** Fill the three lists (the device in use selected), hide what cannot be chosen, show the media. */
  async refresh() {
    if (!this.isOpen) return;
    const lists = byKind(await listDevices());
    if (!this.isOpen) return;
    const remembered = readChoice(localStore());
    const inUse = devicesInUse(this.stream);
    const words = this.#words();
    for (const [kind, name] of Object.entries(SELECTS)) {
      const select = this.el[name];
      const resolved = resolveDevice(remembered[kind], lists[kind], kind);
      // Selected: the device in use, else the one the call will open (a camera that is off), else the remembered one.
      const current =
        kind === "audiooutput"
          ? this.sinks().find(Boolean)?.sinkId || resolved || ""
          : (inUse[kind] ?? this.session?.devices?.[kind] ?? resolved ?? "");
      const options = lists[kind].map((device, index) => {
        const option = document.createElement("option");
        option.value = device.deviceId;
        option.textContent = deviceName(device, index, words[name]);
        return option;
      });
      select.replaceChildren(...options);
      if (options.some((o) => o.value === current)) select.value = current;
      select.disabled = options.length < 2;
    }
    this.el.cameraRow.hidden = !this.video() || lists.videoinput.length === 0;
    this.el.speakerRow.hidden = !speakerPickerShown(lists.audiooutput, sinkSupported());
    this.#showMedia();
  }

  /** The person picked `deviceId` for `kind`: remember it and use it now. */
  async choose(kind, deviceId) {
    const lists = byKind(await listDevices());
    const device = lists[kind].find((d) => d.deviceId === deviceId);
    writeChoice(localStore(), kind, device ?? null);
    try {
      if (kind === "audiooutput") await applySink(this.sinks(), deviceId);
      else if (this.session) await this.session.useDevice(kind, deviceId);
      else if (this.preview) await this.#startPreview();
    } catch (error) {
      console.warn("devices: could not switch", kind, error?.name ?? error);
    }
    await this.refresh();
  }

  // --- internals ---------------------------------------------------------------------------------

  #words() {
    const texts = this.texts() ?? {};
    return {
      microphone: texts.device_microphone ?? "Microphone",
      camera: texts.device_camera ?? "Camera",
      speaker: texts.device_speaker ?? "Speaker",
    };
  }

  /** The panel's own words from the account's texts (elements marked data-text="key"). */
  #label() {
    const texts = this.texts() ?? {};
    for (const node of this.el.root.querySelectorAll("[data-text]")) {
      const text = texts[node.dataset.text];
      if (text) node.textContent = text;
    }
    const level = texts.device_level;
    if (level) this.el.meter.setAttribute("aria-label", level);
  }

  #cameraLive() {
    return Boolean(this.stream?.getVideoTracks().some((t) => t.readyState === "live"));
  }

  #showMedia() {
    if (!this.isOpen) return;
    const stream = this.stream;
    const live = this.video() && this.#cameraLive();
    const preview = this.el.preview;
    const track = live ? stream.getVideoTracks()[0] : null;
    if (track && (preview.srcObject !== stream || this.previewTrack !== track)) {
      preview.srcObject = null; // a new camera in the same stream: the element starts it afresh
      preview.srcObject = stream;
      preview.muted = true;
      preview.play()?.catch?.(() => {});
    }
    this.previewTrack = track;
    if (!live) preview.srcObject = null;
    this.el.root.dataset.camera = live ? "on" : "off";
    this.el.previewOff.hidden = live;
    // Camera off in a call: nothing is captured; the choice waits for the camera to be turned on.
    this.el.cameraNote.hidden = !(this.session && this.video() && !this.session.cameraOn);
    this.#startMeter(stream?.getAudioTracks()[0] ?? null);
  }

  #startMeter(track) {
    if (track === this.meterTrack && this.meter) return;
    this.#stopMeter();
    this.meterTrack = track;
    if (!track || typeof AudioContext !== "function") return;
    try {
      this.meter = new LevelMeter(track, (level) => {
        const percent = Math.round(level * 100);
        this.el.meter.setAttribute("aria-valuenow", String(percent));
        this.el.meterBar.style.transform = `scaleX(${level.toFixed(3)})`;
      });
    } catch {
      this.meter = null; // no Web Audio: the lists still work
    }
  }

  #stopMeter() {
    this.meter?.stop();
    this.meter = null;
    this.meterTrack = null;
    this.el.meter.setAttribute("aria-valuenow", "0");
    this.el.meterBar.style.transform = "scaleX(0)";
  }

  async #startPreview() {
    const lists = byKind(await listDevices());
    const remembered = readChoice(localStore());
    const wantVideo = this.video() && lists.videoinput.length > 0;
    let stream = null;
    const chosen = {
      audioinput: resolveDevice(remembered.audioinput, lists.audioinput, "audioinput"),
      videoinput: resolveDevice(remembered.videoinput, lists.videoinput, "videoinput"),
    };
    try {
      stream = await captureMedia(chosen, { video: wantVideo });
    } catch (error) {
      console.warn("devices: no preview", error?.name ?? error);
    }
    this.#stopPreview();
    if (!this.isOpen || this.session) {
      stream?.getTracks().forEach((t) => t.stop()); // closed, or a call started, while the browser was asking
      return;
    }
    this.preview = stream;
  }

  #stopPreview() {
    this.preview?.getTracks().forEach((t) => t.stop());
    this.preview = null;
  }
}

/**
 * Play the other side on the remembered speaker, and when the chosen speaker goes away, on the default
 * one, calling `onLost` to tell the person. Returns a function that stops watching.
 */
export function followSpeaker(sinks, onLost) {
  const apply = async () => {
    const lists = byKind(await listDevices());
    const chosen = resolveDevice(readChoice(localStore()).audiooutput, lists.audiooutput, "audiooutput");
    const playing = sinks().find(Boolean)?.sinkId ?? "";
    if (playing && !lists.audiooutput.some((d) => d.deviceId === playing)) {
      await applySink(sinks(), "");
      onLost();
      return;
    }
    if (chosen && chosen !== playing) await applySink(sinks(), chosen);
  };
  apply();
  navigator.mediaDevices?.addEventListener?.("devicechange", apply);
  return () => navigator.mediaDevices?.removeEventListener?.("devicechange", apply);
}
