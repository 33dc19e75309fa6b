// Microphone, camera and speaker: what the browser has, which one the person chose (remembered per
// browser), the getUserMedia constraints that ask for it, switching mid-call without renegotiation,
// falling back to the default when a device goes away, and the microphone level.
//
// The pure parts (grouping, remembering, resolving, constraints, the level, what was lost) take
// their inputs as arguments and are unit-tested with `node --test static/tests/`; the browser parts
// (enumerateDevices, getUserMedia, Web Audio, setSinkId) are thin wrappers around them.
//
// The choice is kept in localStorage under STORE_KEY as {kind: {id, label}}: by deviceId (stable per
// origin in every current browser), and by label when the id changed (a cleared site or a re-plugged
// device). Nothing about devices leaves the browser.

export const KINDS = Object.freeze(["audioinput", "videoinput", "audiooutput"]);
export const STORE_KEY = "vvc.devices";
export const VIDEO_IDEAL = Object.freeze({ width: { ideal: 1280 }, height: { ideal: 720 } });

// --- pure --------------------------------------------------------------------------------------

/** enumerateDevices() as {audioinput: [...], videoinput: [...], audiooutput: [...]}, in the browser's order. */
export function byKind(devices) {
  const grouped = { audioinput: [], videoinput: [], audiooutput: [] };
  for (const device of devices ?? []) grouped[device.kind]?.push(device);
  return grouped;
}

/** How many physical devices a list names: Chrome adds "default"/"communications" entries that share
 * the groupId of a real one, so they are counted once. */
export function distinctCount(list) {
  return new Set((list ?? []).map((d) => d.groupId || d.deviceId)).size;
}

/** The speaker picker shows only where the browser can route audio (setSinkId) and there is a choice. */
export function speakerPickerShown(outputs, sinkSupported) {
  return Boolean(sinkSupported) && distinctCount(outputs) > 1;
}

/**
 * Whether the picker opens by itself once the call has the devices: in a call that captures a camera,
 * on a device with more than one camera (a laptop with a webcam plugged in, a phone's front and back),
 * when nothing was chosen in this browser before. Microphones and speakers follow the system's
 * default, which people set already; they are one tap away ("Devices").
 */
export function offersPicker(devices, { video = false, remembered = {} } = {}) {
  return Boolean(video) && !Object.keys(remembered ?? {}).length && distinctCount(byKind(devices).videoinput) > 1;
}

/** The name shown for a device: its label, or "Microphone 2" before the browser reveals labels. */
export function deviceName(device, index, word) {
  const label = String(device?.label ?? "").trim();
  return label || `${word} ${index + 1}`;
}

/** The remembered choice from a Storage-like object ({getItem}); {} when none or unreadable. */
export function readChoice(storage) {
  let value = null;
  try {
    value = JSON.parse(storage?.getItem(STORE_KEY) ?? "null");
  } catch {
    return {};
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) return {};
  const choice = {};
  for (const kind of KINDS) {
    const entry = value[kind];
    if (entry && typeof entry.id === "string" && entry.id) {
      choice[kind] = { id: entry.id, label: typeof entry.label === "string" ? entry.label : "" };
    }
  }
  return choice;
}

/** Remember `device` ({deviceId, label}) for its kind; null forgets the kind (back to the default). */
export function writeChoice(storage, kind, device) {
  if (!KINDS.includes(kind)) return readChoice(storage);
  const choice = readChoice(storage);
  if (device?.deviceId) choice[kind] = { id: device.deviceId, label: String(device.label ?? "") };
  else delete choice[kind];
  try {
    storage?.setItem(STORE_KEY, JSON.stringify(choice));
  } catch {
    /* storage blocked or full: the choice holds for this page only */
  }
  return choice;
}

/**
 * The deviceId to ask for: the remembered device by id, else the device that now carries its label,
 * else null (the browser's default). Before the browser has granted access it lists no ids: then the
 * remembered id is asked for all the same (captureMedia falls back to the default when it is gone).
 */
export function resolveDevice(remembered, devices, kind) {
  if (!remembered?.id) return null;
  const list = byKind(devices)[kind] ?? [];
  if (!list.some((d) => d.deviceId)) return remembered.id;
  if (list.some((d) => d.deviceId === remembered.id)) return remembered.id;
  const byLabel = remembered.label ? list.find((d) => d.label === remembered.label) : null;
  return byLabel ? byLabel.deviceId : null;
}

/** getUserMedia's `audio`: the device (exactly, or as an ideal) or any microphone. */
export function audioConstraints(deviceId, { exact = false } = {}) {
  return deviceId ? { deviceId: exact ? { exact: deviceId } : { ideal: deviceId } } : true;
}

/** getUserMedia's `video`: 720p ideally, the chosen camera if any, otherwise the facing mode. */
export function videoConstraints(deviceId, facing = "user", { exact = false } = {}) {
  if (deviceId) return { deviceId: exact ? { exact: deviceId } : { ideal: deviceId }, ...VIDEO_IDEAL };
  return { facingMode: facing, ...VIDEO_IDEAL };
}

/** The kinds whose device in use (`inUse`: {kind: deviceId}) is no longer in the browser's list. */
export function lostKinds(inUse, devices) {
  const lists = byKind(devices);
  return Object.entries(inUse ?? {})
    .filter(([kind, id]) => id && lists[kind] && lists[kind].some((d) => d.deviceId) && !lists[kind].some((d) => d.deviceId === id))
    .map(([kind]) => kind);
}

/** A microphone level from 0 to 1 out of one buffer of time-domain samples: RMS in dB, -60 dB..0 dB. */
export function levelFromSamples(samples) {
  if (!samples?.length) return 0;
  let sum = 0;
  for (const sample of samples) sum += sample * sample;
  const rms = Math.sqrt(sum / samples.length);
  if (rms <= 0) return 0;
  const db = 20 * Math.log10(rms);
  return Math.min(1, Math.max(0, (db + 60) / 60));
}

// --- the browser --------------------------------------------------------------------------------

/** This page's localStorage, or null where storage is blocked. */
export function localStore() {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

export async function listDevices() {
  try {
    return (await navigator.mediaDevices?.enumerateDevices?.()) ?? [];
  } catch {
    return [];
  }
}

/** What the browser offers, for `call.accept`'s `client` and the agent's own check. */
export async function clientCapabilities() {
  const webrtc = typeof RTCPeerConnection === "function" && !!navigator.mediaDevices?.getUserMedia;
  const lists = byKind(await listDevices());
  return {
    user_agent: navigator.userAgent,
    webrtc,
    camera: lists.videoinput.length > 0,
    microphone: lists.audioinput.length > 0,
  };
}

/** The remembered devices resolved against what the browser has now: {kind: deviceId | null}. */
export async function preferredDevices(storage = localStore()) {
  const remembered = readChoice(storage);
  if (!Object.keys(remembered).length) return { audioinput: null, videoinput: null, audiooutput: null };
  const devices = await listDevices();
  return Object.fromEntries(KINDS.map((kind) => [kind, resolveDevice(remembered[kind], devices, kind)]));
}

/**
 * getUserMedia for the chosen devices ({audioinput, videoinput} deviceIds): exactly those (Chrome does
 * not honour an ideal deviceId against its default), else, when one is gone or busy, the defaults.
 * Refusals (NotAllowedError) are the caller's to handle.
 */
export async function captureMedia(devices, { audio = true, video = false, facing = "user" } = {}) {
  const ask = (chosen) =>
    navigator.mediaDevices.getUserMedia({
      audio: audio ? audioConstraints(chosen?.audioinput, { exact: true }) : false,
      video: video ? videoConstraints(chosen?.videoinput, facing, { exact: true }) : false,
    });
  if (!((audio && devices?.audioinput) || (video && devices?.videoinput))) return ask(null);
  try {
    return await ask(devices);
  } catch (error) {
    if (!["OverconstrainedError", "NotFoundError", "NotReadableError"].includes(error?.name)) throw error;
    return ask(null);
  }
}

/** The devices a stream captures now: {audioinput, videoinput} deviceIds. */
export function devicesInUse(stream) {
  return {
    audioinput: stream?.getAudioTracks()[0]?.getSettings().deviceId ?? null,
    videoinput: stream?.getVideoTracks()[0]?.getSettings().deviceId ?? null,
  };
}

/** Whether this browser can choose where a media element plays (Chrome, Edge, Firefox; not Safari). */
export function sinkSupported() {
  return typeof HTMLMediaElement !== "undefined" && "setSinkId" in HTMLMediaElement.prototype;
}

/** Play the remote audio on `deviceId` ("" or null: the default output) where the browser can. */
export async function applySink(elements, deviceId) {
  if (!sinkSupported()) return false;
  for (const element of elements) {
    if (!element || element.sinkId === (deviceId ?? "")) continue;
    try {
      await element.setSinkId(deviceId ?? "");
    } catch {
      return false; // the device went away or the page may not use it: the default keeps playing
    }
  }
  return true;
}

/**
 * Switch a running CallSession's microphone or camera to `deviceId` (null: the default) with
 * RTCRtpSender.replaceTrack, so nothing is renegotiated; the old track is stopped. A camera that is
 * off captures nothing (issue 14): the choice is only recorded for when it is turned on. Returns
 * true when the new device is live.
 */
export async function switchDevice(session, kind, deviceId) {
  const video = kind === "videoinput";
  if (!video && kind !== "audioinput") return false;
  session.devices = { ...session.devices, [kind]: deviceId ?? null };
  const stream = session.localStream;
  if (!stream || session.closed || (video && !(session.captureVideo && session.cameraOn))) return false;
  const old = video ? stream.getVideoTracks()[0] : stream.getAudioTracks()[0];
  const open = (exact) =>
    navigator.mediaDevices.getUserMedia(
      video ? { video: videoConstraints(deviceId, session.facing, { exact }) } : { audio: audioConstraints(deviceId, { exact }) },
    );
  let fresh;
  try {
    fresh = await open(Boolean(deviceId));
  } catch (error) {
    // Some cameras cannot be open twice at once (phones): free the old one and try again; a device
    // that is gone gets the default.
    if (old && error?.name === "NotReadableError") old.stop();
    fresh = await open(false).catch(() => null);
    if (!fresh) throw error;
  }
  const track = fresh.getTracks()[0];
  if (session.closed || (video && !session.cameraOn)) {
    track.stop(); // hung up, or the camera was turned off while the browser was opening it
    return false;
  }
  if (!video) track.enabled = !session.muted;
  // The sender that carries the old track (a screen share on the video sender is left alone).
  const sender = session.pc?.getSenders().find((s) => s.track && s.track === old);
  if (sender) await sender.replaceTrack(track);
  if (old) {
    stream.removeTrack(old);
    old.stop();
  }
  stream.addTrack(track);
  session.dispatchEvent(new CustomEvent("local-stream", { detail: { stream } }));
  return true;
}

/**
 * Front <-> back camera of a running CallSession: facingMode first, then the next deviceId where
 * facingMode is ignored (iOS Safari); replaceTrack, no renegotiation. `announce` tells the other side.
 */
export async function switchFacing(session, announce) {
  if (!session.captureVideo || !session.localStream) return;
  if (!session.cameraOn) {
    // Nothing is captured: the other camera opens when the person turns the camera on.
    session.facing = session.facing === "user" ? "environment" : "user";
    announce();
    return;
  }
  const current = session.localStream.getVideoTracks()[0];
  const currentId = current?.getSettings().deviceId;
  const wanted = session.facing === "user" ? "environment" : "user";
  let stream = null;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: { exact: wanted } } });
    if (stream.getVideoTracks()[0]?.getSettings().deviceId === currentId) {
      stream.getTracks().forEach((t) => t.stop());
      stream = null;
    }
  } catch {
    stream = null;
  }
  if (!stream) {
    const cameras = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === "videoinput");
    if (cameras.length < 2) return;
    const index = cameras.findIndex((d) => d.deviceId === currentId);
    const next = cameras[(index + 1) % cameras.length];
    stream = await navigator.mediaDevices.getUserMedia({ video: { deviceId: { exact: next.deviceId } } });
  }
  const track = stream.getVideoTracks()[0];
  const sender = session.pc?.getSenders().find((s) => s.track?.kind === "video");
  if (sender && !session.screenTrack) await sender.replaceTrack(track);
  if (current) {
    session.localStream.removeTrack(current);
    current.stop();
  }
  session.localStream.addTrack(track);
  session.facing = wanted;
  session.devices = { ...session.devices, videoinput: track.getSettings().deviceId ?? null }; // turned off and on: this one
  session.dispatchEvent(new CustomEvent("local-stream", { detail: { stream: session.localStream } }));
  announce();
}

// --- capture ahead of the session (docs/protocol.md, "Setup while ringing") ------------------------

/**
 * The consumer's camera and microphone asked for at the click on Accept, while the accept goes to the
 * server and back, for the CallSession built when the call connects (its `prepared` option):
 * {video, devices, stream}, promises that never reject unhandled (the session that takes the stream
 * sees a refusal as if it had asked itself).
 */
export function prepareMedia({ video, facing = "user" }) {
  const devices = preferredDevices();
  const stream = devices.then((chosen) => captureMedia(chosen, { video, facing }));
  stream.catch(() => {});
  return { video: Boolean(video), devices, stream };
}

/**
 * The prepared stream when it captured what the session wants now (`video`); else null, the capture
 * released (the call's settings said otherwise once it connected: the session captures anew).
 */
export async function takePrepared(prepared, video) {
  if (!prepared) return null;
  if (prepared.video !== Boolean(video)) {
    dropPrepared(prepared);
    return null;
  }
  return prepared.stream;
}

/** Release a prepared capture nobody will use (the accept failed, the call ended first). */
export function dropPrepared(prepared) {
  prepared?.stream.then(
    (stream) => stream.getTracks().forEach((track) => track.stop()),
    () => {},
  );
}

/**
 * Fall back to the default device when the microphone or camera in use goes away mid-call (its track
 * ends, or `devicechange` no longer lists it), and tell the page with a "device-lost" event
 * ({kind, ok}). Stops watching when the session closes.
 */
export function watchDevices(session) {
  const mediaDevices = globalThis.navigator?.mediaDevices;
  const busy = new Set();
  const lose = async (kind) => {
    if (session.closed || busy.has(kind)) return;
    busy.add(kind);
    let ok = false;
    try {
      ok = await switchDevice(session, kind, null);
    } catch {
      ok = false;
    } finally {
      busy.delete(kind);
    }
    if (!session.closed) session.dispatchEvent(new CustomEvent("device-lost", { detail: { kind, ok } }));
  };
  const watched = new WeakSet();
  const onEnded = ({ target }) => {
    // stop() does not fire "ended": this one is the browser's (unplugged, revoked, taken away).
    if (session.localStream?.getTracks().includes(target)) lose(target.kind === "video" ? "videoinput" : "audioinput");
  };
  const watchTracks = () => {
    for (const track of session.localStream?.getTracks() ?? []) {
      if (watched.has(track)) continue;
      watched.add(track);
      track.addEventListener("ended", onEnded);
    }
  };
  const onChange = async () => {
    if (session.closed || !session.localStream) return;
    for (const kind of lostKinds(devicesInUse(session.localStream), await listDevices())) lose(kind);
  };
  session.addEventListener("local-stream", watchTracks);
  mediaDevices?.addEventListener?.("devicechange", onChange);
  session.addEventListener("closed", () => mediaDevices?.removeEventListener?.("devicechange", onChange), { once: true });
}

/** The microphone level of one audio track (Web Audio AnalyserNode), reported about ten times a second. */
export class LevelMeter {
  constructor(track, onLevel, { everyMs = 100 } = {}) {
    this.context = new AudioContext();
    this.context.resume?.().catch(() => {});
    const source = this.context.createMediaStreamSource(new MediaStream([track]));
    const analyser = this.context.createAnalyser();
    analyser.fftSize = 1024;
    source.connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    this.timer = setInterval(() => {
      analyser.getFloatTimeDomainData(samples);
      onLevel(track.enabled ? levelFromSamples(samples) : 0);
    }, everyMs);
  }

  stop() {
    clearInterval(this.timer);
    this.context.close().catch(() => {});
  }
}
