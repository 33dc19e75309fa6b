// Setup while ringing (docs/protocol.md): a CallSession built with `hold` (the agent's side while the
// invitation rings) sends nothing until release(), then its offer before its candidates and its media
// state; a capture refused meanwhile is told only at release; a capture prepared at the click on
// Accept is used when it matches and released when it does not. The browser's parts (getUserMedia,
// RTCPeerConnection) are stand-ins here; tests/e2e/test_call_setup_frames.py runs the real ones.
import { test } from "node:test";
import assert from "node:assert/strict";

import { CallSession } from "../calls/callclient.js";
import { dropPrepared, takePrepared } from "../calls/devices.js";

function track(kind) {
  return { kind, enabled: true, stopped: false, stop() { this.stopped = true; }, addEventListener() {}, getSettings: () => ({}) };
}

function stream(...tracks) {
  return {
    getTracks: () => tracks,
    getAudioTracks: () => tracks.filter((t) => t.kind === "audio"),
    getVideoTracks: () => tracks.filter((t) => t.kind === "video"),
  };
}

class StandInPeerConnection extends EventTarget {
  constructor() {
    super();
    this.localDescription = null;
    this.remoteDescription = null;
    this.signalingState = "stable";
    this.senders = [];
  }

  addTrack(t) {
    this.senders.push({ track: t });
    queueMicrotask(() => this.dispatchEvent(new Event("negotiationneeded")));
  }

  getSenders() {
    return this.senders;
  }

  getTransceivers() {
    return [];
  }

  async setLocalDescription() {
    const sdp = { type: "offer", sdp: "v=0" };
    this.localDescription = { ...sdp, toJSON: () => sdp };
    this.signalingState = "have-local-offer";
    setTimeout(() => {
      for (const candidate of [{ candidate: "candidate:1 1 udp 1 192.0.2.1 5000 typ host" }, null]) {
        const event = new Event("icecandidate");
        event.candidate = candidate && { toJSON: () => candidate };
        this.dispatchEvent(event);
      }
    });
  }

  close() {}
}

function browser(getUserMedia) {
  globalThis.RTCPeerConnection = StandInPeerConnection;
  globalThis.MediaStream = class {
    addTrack() {}
  };
  Object.defineProperty(globalThis, "navigator", {
    value: { userAgent: "node", mediaDevices: { getUserMedia, enumerateDevices: async () => [] } },
    configurable: true,
  });
}

function socket() {
  const sent = [];
  return {
    sent,
    send: (frame) => sent.push(frame) > 0,
    sendCommand: (frame) => sent.push(frame),
    command: async (frame) => sent.push(frame) && {},
    request: async () => ({}),
  };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
const voiceCall = { id: 7, media: "voice" };

test("a held session sends nothing while the call rings, then the offer, its candidates and its media state", async () => {
  browser(async () => stream(track("audio")));
  const ws = socket();
  const session = new CallSession({ socket: ws, party: "agent", call: voiceCall, ice: { iceServers: [] }, media: {}, hold: true });
  await session.start();
  await settle();
  assert.equal(session.pc.localDescription.type, "offer"); // prepared: offer made, candidates gathered
  assert.deepEqual(ws.sent, []);

  await session.release();
  const kinds = ws.sent.map((f) => (f.type === "call.signal" ? (f.signal.sdp?.type ?? (f.signal.candidate ? "candidate" : "end")) : f.type));
  assert.deepEqual(kinds, ["offer", "candidate", "end", "call.media"]);
  assert.ok(ws.sent.every((f) => f.call_id === 7));
  session.close();
});

test("a session built at connecting (no hold) signals at once", async () => {
  browser(async () => stream(track("audio")));
  const ws = socket();
  const session = new CallSession({ socket: ws, party: "agent", call: voiceCall, ice: { iceServers: [] }, media: {} });
  await session.start();
  await settle();
  assert.equal(ws.sent.filter((f) => f.type === "call.signal").length, 3);
  session.close();
});

test("a capture refused while ringing is told at release, as a hang-up with the reason", async () => {
  browser(async () => {
    throw Object.assign(new Error("denied"), { name: "NotAllowedError" });
  });
  const ws = socket();
  const session = new CallSession({ socket: ws, party: "agent", call: voiceCall, ice: { iceServers: [] }, media: {}, hold: true });
  const errors = [];
  session.addEventListener("media-error", ({ detail }) => errors.push(detail.reason));
  await session.start();
  assert.deepEqual([ws.sent, errors], [[], []]);
  await session.release();
  assert.deepEqual(errors, ["permission_denied"]);
  assert.deepEqual(ws.sent.map((f) => [f.type, f.reason]), [["call.hangup", "permission_denied"]]);
  assert.equal(session.closed, true);
});

test("an invitation that ends unanswered sends nothing and releases the devices", async () => {
  const audio = track("audio");
  browser(async () => stream(audio));
  const ws = socket();
  const session = new CallSession({ socket: ws, party: "agent", call: voiceCall, ice: { iceServers: [] }, media: {}, hold: true });
  await session.start();
  await settle();
  session.close();
  await session.release();
  assert.deepEqual(ws.sent, []);
  assert.equal(audio.stopped, true);
});

test("a capture prepared at the click is used when it has what the call wants, else released", async () => {
  const audio = track("audio");
  const prepared = { video: false, devices: Promise.resolve({}), stream: Promise.resolve(stream(audio)) };
  assert.equal((await takePrepared(prepared, false)).getTracks()[0], audio);
  assert.equal(await takePrepared(null, true), null);

  const camera = track("video");
  const withCamera = { video: true, devices: Promise.resolve({}), stream: Promise.resolve(stream(track("audio"), camera)) };
  assert.equal(await takePrepared(withCamera, false), null); // the call starts with the camera off after all
  await settle();
  assert.equal(camera.stopped, true);

  const refused = Promise.reject(Object.assign(new Error("denied"), { name: "NotAllowedError" }));
  refused.catch(() => {});
  await assert.rejects(takePrepared({ video: false, stream: refused }, false), { name: "NotAllowedError" });
  dropPrepared({ stream: refused }); // nothing to stop, nothing thrown
  dropPrepared(null);
});

test("the consumer's session takes the prepared capture instead of asking again", async () => {
  let asked = 0;
  browser(async () => {
    asked += 1;
    return stream(track("audio"));
  });
  const audio = track("audio");
  const prepared = { video: false, devices: Promise.resolve({}), stream: Promise.resolve(stream(audio)) };
  const ws = socket();
  const session = new CallSession({ socket: ws, party: "consumer", call: voiceCall, ice: { iceServers: [] }, media: {}, prepared });
  await session.start();
  assert.equal(asked, 0);
  assert.equal(session.localStream.getTracks()[0], audio);
  session.close();
});
