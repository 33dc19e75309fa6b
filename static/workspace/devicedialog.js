// The agent's device picker (templates/workspace/_devices.html) around the shared DevicePanel
// (static/calls/devicepanel.js). Before a call ("Microphone and camera" in the conversation header or
// the "Your calls" card) it previews the chosen devices with a capture of its own, closed with the
// dialog; during a call ("Devices" in the controls) it shows the call's own microphone and camera and
// switches them with replaceTrack. The choice is remembered in this browser and used by the next
// call's getUserMedia. Words are the account's texts: in the page from the start (the view renders them
// and the page's config carries them), then the socket's hello and settings frames.

import { say } from "../calls/callstates.js";
import { DevicePanel, followSpeaker } from "../calls/devicepanel.js";
import { state } from "./context.js";
import { $, applyTexts, toast } from "./dom.js";

const LOST = { audioinput: "device_lost_microphone", videoinput: "device_lost_camera", audiooutput: "device_lost_speaker" };

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
  applyTexts(state.texts, $("ws-devices-dialog"));
}

export function openDevices() {
  const dialog = $("ws-devices-dialog");
  if (dialog.open) return;
  label();
  dialog.showModal();
  panel.open();
}

function lost(kind) {
  toast(say(state.texts, LOST[kind]), { title: say(state.texts, "devices_title") });
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
