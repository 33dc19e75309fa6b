// Setup while ringing (docs/protocol.md): a CallSession built with `hold` (the agent's side while the
// invitation rings) sends its offer at once when it carries no address, and nothing else until
// release(), then the offer again before its candidates and its media state; a capture refused
// meanwhile is told only at release; a capture prepared at the click on Accept is used when it matches
// and released when it does not. The consumer's `ringing` session sets the offer while it rings and
// answers only after Accept, sending the answer at release() (the accept's `ok`). The browser's parts (getUserMedia,
// RTCPeerConnection) are stand-ins here; tests/e2e/test_call_setup_frames.py runs the real ones.
import { test } from "node:test";
import assert from "node:assert/strict";

import { CallSession, hasAddress } from "../calls/callclient.js";
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

const OFFER_SDP = "v=0\r\nc=IN IP4 0.0.0.0\r\n";

class StandInPeerConnection extends EventTarget {
  static offerSdp = OFFER_SDP;
  static last = null;

  constructor(configuration) {
    super();
    this.configuration = configuration;
    this.remoteSet = [];
    this.answered = []; // the offers answered, in order
    StandInPeerConnection.last = this;
    this.localDescription = null;
    this.remoteDescription = null;
    this.signalingState = "stable";
    this.senders = [];
  }

  addTrack(t) {
    this.senders.push({ track: t, getParameters: () => ({ encodings: [] }) });
    // As in the browsers: not while an offer waits for its answer (the answer covers the track).
    queueMicrotask(() => this.signalingState === "stable" && this.dispatchEvent(new Event("negotiationneeded")));
  }

  getSenders() {
    return this.senders;
  }

  getTransceivers() {
    return [];
  }

  async setRemoteDescription(description) {
    this.remoteSet.push(description.sdp);
    this.remoteDescription = description;
    this.signalingState = description.type === "offer" ? "have-remote-offer" : "stable";
  }

  setConfiguration(configuration) {
    this.configuration = configuration;
  }

  async setLocalDescription() {
    const answering = this.signalingState === "have-remote-offer";
    if (answering) this.answered.push(this.remoteDescription.sdp);
    const sdp = answering ? { type: "answer", sdp: "v=0 answer" } : { type: "offer", sdp: StandInPeerConnection.offerSdp };
    this.localDescription = { ...sdp, toJSON: () => sdp };
    this.signalingState = answering ? "stable" : "have-local-offer";
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

function socket({ refuse = false } = {}) {
  const sent = [];
  const requested = [];
  return {
    sent,
    requested,
    send: (frame) => sent.push(frame) > 0,
    sendCommand: (frame) => sent.push(frame),
    command: async (frame) => sent.push(frame) && {},
    request: async (frame) => {
      requested.push(frame);
      if (refuse && frame.type === "call.signal") throw { type: "error", code: "invalid_state" };
      return {};
    },
  };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
const voiceCall = { id: 7, media: "voice" };

const kindsOf = (sent) =>
  sent.map((f) => (f.type === "call.signal" ? (f.signal.sdp?.type ?? (f.signal.candidate ? "candidate" : "end")) : f.type));

test("a held session sends only its address-free offer while the call rings, then the offer again, its candidates and its media state", async () => {
  browser(async () => stream(track("audio")));
  StandInPeerConnection.offerSdp = OFFER_SDP;
  const ws = socket();
  const session = new CallSession({ socket: ws, party: "agent", call: voiceCall, ice: { iceServers: [] }, media: {}, hold: true });
  await session.start();
  await settle();
  assert.equal(session.pc.localDescription.type, "offer"); // prepared: offer made, candidates gathered
  assert.deepEqual(kindsOf(ws.sent), ["offer"]); // the consumer's window sets it while it rings
  assert.equal(ws.sent[0].signal.sdp.sdp, OFFER_SDP);

  await session.release();
  assert.deepEqual(kindsOf(ws.sent), ["offer", "offer", "candidate", "end", "call.media"]);
  assert.equal(ws.sent[1].signal.sdp.sdp, OFFER_SDP); // the same offer: a window that was set needs nothing more
  assert.ok(ws.sent.every((f) => f.call_id === 7));
  session.close();
});

test("an offer that already carries an address is held like the candidates until release", async () => {
  browser(async () => stream(track("audio")));
  StandInPeerConnection.offerSdp = "v=0\r\nc=IN IP4 192.0.2.1\r\na=candidate:1 1 udp 1 192.0.2.1 5000 typ host\r\n";
  const ws = socket();
  const session = new CallSession({ socket: ws, party: "agent", call: voiceCall, ice: { iceServers: [] }, media: {}, hold: true });
  await session.start();
  await settle();
  assert.deepEqual(ws.sent, []);
  await session.release();
  assert.deepEqual(kindsOf(ws.sent), ["offer", "candidate", "end", "call.media"]);
  session.close();
  StandInPeerConnection.offerSdp = OFFER_SDP;
});

test("hasAddress: candidate lines and real connection addresses, not the unspecified ones", () => {
  assert.equal(hasAddress("v=0\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n"), false);
  assert.equal(hasAddress("v=0\r\nc=IN IP6 ::\r\n"), false);
  assert.equal(hasAddress("v=0\r\nc=IN IP4 203.0.113.7\r\n"), true);
  assert.equal(hasAddress("v=0\r\nc=IN IP6 2001:db8::1\r\n"), true);
  assert.equal(hasAddress("v=0\r\na=candidate:1 1 udp 1 x.local 5000 typ host\r\n"), true);
  assert.equal(hasAddress(""), false);
});

/** The consumer's window while the invitation rings: a `ringing` session with its peer connection; `asked()` counts getUserMedia calls. */
async function ringingSession(ws) {
  let asked = 0;
  browser(async () => {
    asked += 1;
    return stream(track("audio"));
  });
  const session = new CallSession({ socket: ws, party: "consumer", call: voiceCall, ice: { iceServers: [] }, media: {}, ringing: true });
  await session.preparePeer();
  return { session, asked: () => asked };
}

test("the consumer's ringing session sets the offer, answers only after Accept, the answer behind the accept and the rest at release", async () => {
  const ws = socket();
  const { session, asked } = await ringingSession(ws);
  assert.equal(session.pc.configuration.iceCandidatePoolSize, 1); // candidates gathered while it rings
  const offer = { sdp: { type: "offer", sdp: OFFER_SDP } };
  const handled = session.handleSignal(offer);
  await settle();
  assert.deepEqual(session.pc.remoteSet, [OFFER_SDP]);
  assert.equal(session.pc.localDescription, null); // no answer, no capture before the click
  assert.equal(asked(), 0);
  assert.deepEqual(ws.sent, []);

  const audio = track("audio");
  await session.accept({ prepared: { video: false, devices: Promise.resolve({}), stream: Promise.resolve(stream(audio)) } });
  await handled;
  await settle();
  assert.equal(session.pc.localDescription.type, "answer");
  assert.equal(session.pc.senders[0].track, audio);
  // The answer goes at once, right behind the accept (a request: a refusal comes back); the rest waits for `ok`.
  assert.deepEqual(kindsOf(ws.requested), ["answer"]);
  assert.deepEqual(ws.sent, []);

  await session.release();
  assert.deepEqual(kindsOf(ws.sent), ["candidate", "end", "call.media"]);
  // The agent's resend of the same offer when the call connects changes nothing here.
  await session.handleSignal(offer);
  assert.deepEqual(session.pc.remoteSet, [OFFER_SDP]);
  assert.equal(asked(), 0);
  session.close();
});

test("a newer offer that came while ringing (the agent's page reloaded) is the one answered", async () => {
  const ws = socket();
  const { session } = await ringingSession(ws);
  const first = { sdp: { type: "offer", sdp: OFFER_SDP } };
  const second = { sdp: { type: "offer", sdp: `${OFFER_SDP}a=second\r\n` } };
  // As the window does: each frame is noted on arrival and handled in turn.
  session.noteSignal(first);
  const chain = session.handleSignal(first).then(() => session.handleSignal(second));
  session.noteSignal(second);
  await session.accept({ prepared: { video: false, devices: Promise.resolve({}), stream: Promise.resolve(stream(track("audio"))) } });
  await chain;
  await settle();
  assert.deepEqual(session.pc.remoteSet, [OFFER_SDP, second.sdp.sdp]);
  assert.deepEqual(session.pc.answered, [second.sdp.sdp]); // one answer, to the second offer
  assert.deepEqual(kindsOf(ws.requested), ["answer"]);
  await session.release();
  assert.ok(!kindsOf(ws.sent).includes("answer"));
  session.close();
});

test("an early answer the server refused (the accept was being sent again) goes again at release, first", async () => {
  browser(async () => stream(track("audio")));
  const ws = socket({ refuse: true });
  const session = new CallSession({ socket: ws, party: "consumer", call: voiceCall, ice: { iceServers: [] }, media: {}, ringing: true });
  await session.preparePeer();
  const handled = session.handleSignal({ sdp: { type: "offer", sdp: OFFER_SDP } });
  await session.accept({ prepared: { video: false, devices: Promise.resolve({}), stream: Promise.resolve(stream(track("audio"))) } });
  await handled;
  await settle();
  assert.deepEqual(kindsOf(ws.requested), ["answer"]);
  await session.release();
  assert.deepEqual(kindsOf(ws.sent), ["answer", "candidate", "end", "call.media"]);
  session.close();
});

test("a ringing session closed before Accept (declined, withdrawn, missed) never answers nor captures", async () => {
  const ws = socket();
  const { session, asked } = await ringingSession(ws);
  const handled = session.handleSignal({ sdp: { type: "offer", sdp: OFFER_SDP } });
  session.close();
  await handled;
  await session.release();
  assert.deepEqual([ws.sent, asked(), session.pc.localDescription], [[], 0, null]);
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

test("an invitation that ends unanswered sends no candidate nor media state and releases the devices", async () => {
  const audio = track("audio");
  browser(async () => stream(audio));
  const ws = socket();
  const session = new CallSession({ socket: ws, party: "agent", call: voiceCall, ice: { iceServers: [] }, media: {}, hold: true });
  await session.start();
  await settle();
  session.close();
  await session.release();
  assert.deepEqual(kindsOf(ws.sent), ["offer"]); // the address-free offer only
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
