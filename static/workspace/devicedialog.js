// The agent's device picker (templates/workspace/_devices.html) around the shared DevicePanel
// (static/calls/devicepanel.js). Before a call ("Microphone and camera" in the conversation header or
// the "Your calls" card) it previews the chosen devices with a capture of its own, closed with the
// dialog; during a call ("Devices" in the controls) it shows the call's own microphone and camera and
// switches them with replaceTrack. The choice is remembered in this browser and used by the next
// call's getUserMedia. Words come from the account's texts (the socket's hello), English until then.

import { DevicePanel, followSpeaker } from "../calls/devicepanel.js";
import { state } from "./context.js";
import { $, toast } from "./dom.js";

const LOST = {
  audioinput: ["device_lost_microphone", "Your microphone was disconnected. The default microphone is used now."],
  videoinput: ["device_lost_camera", "Your camera was disconnected. The default camera is used now."],
  audiooutput: ["device_lost_speaker", "Your speaker was disconnected. Sound plays on the default output now."],
};

const sinks = () => [$("ws-remote-video"), $("ws-remote-audio")];
let session = null;
let stopSpeaker = null;

const panel = new DevicePanel({
  el: {
    root: $("ws-devices-dialog"),
    microphone: $("ws-devices-microphone"),
    camera: $("ws-devices-camera"),
    speaker: $("ws-devices-speaker"),
    cameraRow: $("ws-devices-camera-row"),
    speakerRow: $("ws-devices-speaker-row"),
    preview: $("ws-devices-preview"),
    previewOff: $("ws-devices-preview-off"),
    meter: $("ws-devices-meter"),
    meterBar: $("ws-devices-meter-bar"),
    cameraNote: $("ws-devices-camera-note"),
  },
  texts: () => state.texts,
  sinks,
  // In a call: whether it captures a camera; before one: whether this agent may make video calls.
  video: () => (session ? Boolean(session.captureVideo) : Boolean(state.permissions?.video)),
  ownPreview: true,
});

function label() {
  for (const node of document.querySelectorAll("#ws-devices-open [data-text], #ws-devices-check [data-text], #ws-devices [data-text]")) {
    const text = state.texts?.[node.dataset.text];
    if (text) node.textContent = text;
  }
}

export function openDevices() {
  const dialog = $("ws-devices-dialog");
  if (dialog.open) return;
  label();
  dialog.showModal();
  panel.open();
}

function lost(kind) {
  const [key, fallback] = LOST[kind];
  toast(state.texts?.[key] ?? fallback, { title: state.texts?.devices_title ?? "Microphone and camera" });
  if ($("ws-devices-dialog").open) panel.refresh();
}

/** The call's CallSession when one starts (callpanel.js), null when it ends. */
export function attachDevices(current) {
  stopSpeaker?.();
  stopSpeaker = null;
  session = current;
  panel.setSession(current);
  label();
  if (!current) return;
  current.addEventListener("device-lost", ({ detail }) => session === current && lost(detail.kind));
  stopSpeaker = followSpeaker(sinks, () => lost("audiooutput"));
}

$("ws-devices-dialog").addEventListener("close", () => panel.close());
for (const id of ["ws-devices-open", "ws-devices-check", "ws-devices"]) $(id).addEventListener("click", openDevices);
