// The device choice's browser-free parts (static/calls/devices.js): grouping, what there is to pick,
// remembering per browser (by deviceId, with the label as fallback), constraints, what was unplugged,
// and the microphone level.
import { test } from "node:test";
import assert from "node:assert/strict";

import {
  STORE_KEY,
  audioConstraints,
  byKind,
  deviceName,
  distinctCount,
  levelFromSamples,
  lostKinds,
  offersPicker,
  readChoice,
  resolveDevice,
  speakerPickerShown,
  videoConstraints,
  writeChoice,
} from "../calls/devices.js";

/** A Storage stand-in: the two methods devices.js uses, over a Map. */
function memoryStorage(initial = {}) {
  const map = new Map(Object.entries(initial));
  return {
    getItem: (key) => (map.has(key) ? map.get(key) : null),
    setItem: (key, value) => map.set(key, String(value)),
    map,
  };
}

const mic = (id, label, groupId = id) => ({ kind: "audioinput", deviceId: id, label, groupId });
const cam = (id, label, groupId = id) => ({ kind: "videoinput", deviceId: id, label, groupId });
const out = (id, label, groupId = id) => ({ kind: "audiooutput", deviceId: id, label, groupId });

// What Chrome lists with two fake devices: a "default" entry that shares a real device's group.
const CHROME = [
  mic("default", "Default - Fake Default Audio Input", "g-mic-0"),
  mic("m0", "Fake Default Audio Input", "g-mic-0"),
  mic("m1", "Fake Audio Input 1", "g-mic-1"),
  cam("c0", "fake_device_0"),
  cam("c1", "fake_device_1"),
  out("default", "Default", "g-out-0"),
  out("o0", "Fake Default Audio Output", "g-out-0"),
];
// Before the browser has granted access: one entry per kind, no ids, no labels.
const BEFORE_PERMISSION = [mic("", "", ""), cam("", "", ""), out("", "", "")];

test("devices are grouped by kind in the browser's order; unknown kinds are ignored", () => {
  const lists = byKind([...CHROME, { kind: "other", deviceId: "x" }]);
  assert.deepEqual(lists.audioinput.map((d) => d.deviceId), ["default", "m0", "m1"]);
  assert.deepEqual(lists.videoinput.map((d) => d.deviceId), ["c0", "c1"]);
  assert.deepEqual(lists.audiooutput.map((d) => d.deviceId), ["default", "o0"]);
  assert.deepEqual(byKind(undefined), { audioinput: [], videoinput: [], audiooutput: [] });
});

test("Chrome's default entry is the same device as the one it names", () => {
  const lists = byKind(CHROME);
  assert.equal(distinctCount(lists.audioinput), 2);
  assert.equal(distinctCount(lists.audiooutput), 1);
});

test("the speaker picker shows only with setSinkId and more than one output", () => {
  const one = byKind(CHROME).audiooutput;
  const two = [...one, out("o1", "Headset", "g-out-1")];
  assert.equal(speakerPickerShown(two, true), true);
  assert.equal(speakerPickerShown(two, false), false, "Safari: no setSinkId, no picker");
  assert.equal(speakerPickerShown(one, true), false, "one output: nothing to pick");
  assert.equal(speakerPickerShown([], true), false);
});

test("the picker opens by itself in a video call with two cameras and nothing chosen before", () => {
  assert.equal(offersPicker(CHROME, { video: true }), true);
  assert.equal(offersPicker(CHROME, { video: false }), false, "voice, or audio only: no camera to choose");
  assert.equal(offersPicker(CHROME, { video: true, remembered: { videoinput: { id: "c1", label: "" } } }), false, "chosen before");
  // Chrome's fake capture lists three microphones and outputs even with one camera: no reason to interrupt.
  const oneCamera = [...CHROME.filter((d) => d.kind !== "videoinput"), cam("c0", "fake_device_0"), mic("m2", "Fake Audio Input 2")];
  assert.equal(offersPicker(oneCamera, { video: true }), false);
  assert.equal(offersPicker(BEFORE_PERMISSION, { video: true }), false);
});

test("a device without a label is named by its kind and place", () => {
  assert.equal(deviceName({ label: "USB Headset" }, 0, "Microphone"), "USB Headset");
  assert.equal(deviceName({ label: "  " }, 1, "Microphone"), "Microphone 2");
  assert.equal(deviceName(undefined, 0, "Camera"), "Camera 1");
});

test("the choice is remembered per kind by id and label, and forgotten with null", () => {
  const storage = memoryStorage();
  assert.deepEqual(readChoice(storage), {});
  writeChoice(storage, "audioinput", CHROME[2]);
  writeChoice(storage, "videoinput", CHROME[4]);
  assert.deepEqual(readChoice(storage), {
    audioinput: { id: "m1", label: "Fake Audio Input 1" },
    videoinput: { id: "c1", label: "fake_device_1" },
  });
  writeChoice(storage, "audioinput", null);
  assert.deepEqual(Object.keys(readChoice(storage)), ["videoinput"]);
  writeChoice(storage, "nonsense", CHROME[2]);
  assert.deepEqual(Object.keys(JSON.parse(storage.map.get(STORE_KEY))), ["videoinput"]);
});

test("a broken or foreign stored value reads as no choice; blocked storage throws nothing", () => {
  assert.deepEqual(readChoice(memoryStorage({ [STORE_KEY]: "{not json" })), {});
  assert.deepEqual(readChoice(memoryStorage({ [STORE_KEY]: "[1,2]" })), {});
  assert.deepEqual(readChoice(memoryStorage({ [STORE_KEY]: '{"audioinput": {"id": 5}, "videoinput": {"id": "c1"}}' })), {
    videoinput: { id: "c1", label: "" },
  });
  const blocked = {
    getItem() {
      throw new Error("SecurityError");
    },
    setItem() {
      throw new Error("SecurityError");
    },
  };
  assert.deepEqual(readChoice(blocked), {});
  assert.deepEqual(writeChoice(blocked, "audioinput", CHROME[1]), { audioinput: { id: "m0", label: "Fake Default Audio Input" } });
  assert.deepEqual(readChoice(null), {});
});

test("the remembered device is found by id, else by label, else the default", () => {
  const remembered = { id: "m1", label: "Fake Audio Input 1" };
  assert.equal(resolveDevice(remembered, CHROME, "audioinput"), "m1");
  // The site's data was cleared: new ids, same headset.
  const renamed = CHROME.map((d) => (d.deviceId === "m1" ? { ...d, deviceId: "m1-new" } : d));
  assert.equal(resolveDevice(remembered, renamed, "audioinput"), "m1-new");
  // Unplugged since: the browser's default.
  assert.equal(resolveDevice(remembered, CHROME.filter((d) => d.deviceId !== "m1"), "audioinput"), null);
  assert.equal(resolveDevice(undefined, CHROME, "audioinput"), null);
  // No access yet (no ids listed): ask for the remembered id; the browser takes it when it is there.
  assert.equal(resolveDevice(remembered, BEFORE_PERMISSION, "audioinput"), "m1");
});

test("constraints ask for the chosen device, exactly or as an ideal, else the default or the facing mode", () => {
  assert.equal(audioConstraints(null), true);
  assert.deepEqual(audioConstraints("m1"), { deviceId: { ideal: "m1" } });
  assert.deepEqual(audioConstraints("m1", { exact: true }), { deviceId: { exact: "m1" } });
  assert.deepEqual(videoConstraints(null, "environment"), { facingMode: "environment", width: { ideal: 1280 }, height: { ideal: 720 } });
  assert.deepEqual(videoConstraints("c1", "user", { exact: true }), { deviceId: { exact: "c1" }, width: { ideal: 1280 }, height: { ideal: 720 } });
});

test("a device in use that the list no longer names was unplugged", () => {
  const inUse = { audioinput: "m1", videoinput: "c1" };
  assert.deepEqual(lostKinds(inUse, CHROME), []);
  assert.deepEqual(lostKinds(inUse, CHROME.filter((d) => d.deviceId !== "c1")), ["videoinput"]);
  assert.deepEqual(lostKinds(inUse, CHROME.filter((d) => d.groupId !== "g-mic-1")), ["audioinput"]);
  assert.deepEqual(lostKinds({ audioinput: null, videoinput: "c1" }, CHROME), []);
  // A list without ids says nothing about what is plugged in.
  assert.deepEqual(lostKinds(inUse, BEFORE_PERMISSION), []);
});

test("the level is the RMS in dB between -60 dB (0) and 0 dB (1)", () => {
  assert.equal(levelFromSamples(new Float32Array(512)), 0);
  assert.equal(levelFromSamples([]), 0);
  assert.equal(levelFromSamples(new Float32Array(512).fill(1)), 1);
  assert.ok(Math.abs(levelFromSamples(new Float32Array(512).fill(0.1)) - 40 / 60) < 1e-6, "-20 dB");
  assert.equal(levelFromSamples(new Float32Array(512).fill(0.0001)), 0, "-80 dB is silence");
  const sine = Float32Array.from({ length: 1024 }, (_, i) => 0.5 * Math.sin((2 * Math.PI * i) / 64));
  const loud = levelFromSamples(sine);
  assert.ok(loud > 0.8 && loud < 0.9, `a -9 dB tone: ${loud}`);
});
