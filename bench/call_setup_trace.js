// The call-setup bench's timeline recorder (bench/call_setup_frames.py), injected into every page and
// frame before any of the page's own scripts (Playwright's add_init_script): the product's pages and
// the baseline page get exactly the same instrumentation, and the product's code is not touched.
//
// It stamps, with performance.timeOrigin + performance.now() (one clock for every page of the
// browser, comparable with the server's wall clock): clicks on buttons, getUserMedia, the signaling
// socket's frames (their type, call state and SDP type only: never SDP, candidates or tokens), each
// RTCPeerConnection's descriptions, ICE, DTLS and connection states, and per video sender and
// receiver the first encoded, sent, received and decoded frame (their getStats polled every
// POLL_MS from the moment they can have one; the same way on every page).
(() => {
  if (window.__trace) return;
  const POLL_MS = 10;
  const POLL_FOR_MS = 30000;
  const now = () => performance.timeOrigin + performance.now();
  const events = [];
  const mark = (what, extra = {}) => events.push({ t: now(), what, ...extra });
  window.__trace = {
    events,
    mark,
    reset() {
      events.length = 0;
    },
  };

  addEventListener(
    "click",
    (event) => {
      const button = event.target?.closest?.("button");
      if (button?.id) mark("click", { id: button.id });
    },
    true,
  );

  const devices = navigator.mediaDevices;
  if (devices?.getUserMedia) {
    const original = devices.getUserMedia.bind(devices);
    devices.getUserMedia = async (constraints) => {
      const kinds = `${constraints?.audio ? "a" : ""}${constraints?.video ? "v" : ""}`;
      mark("gum.start", { kinds });
      try {
        const stream = await original(constraints);
        mark("gum.end", { kinds });
        return stream;
      } catch (error) {
        mark("gum.error", { kinds, name: error?.name });
        throw error;
      }
    };
  }

  function summary(raw) {
    let frame;
    try {
      frame = JSON.parse(raw);
    } catch {
      return null;
    }
    if (!frame || typeof frame !== "object") return null;
    const out = { type: frame.type };
    if (frame.call?.state) out.state = frame.call.state;
    const call = frame.call?.id ?? frame.call_id;
    if (call !== undefined) out.call = call;
    if (frame.id !== undefined) out.id = frame.id;
    if (frame.re !== undefined) out.re = frame.re;
    const signal = frame.signal;
    if (signal?.sdp) out.sdp = signal.sdp.type;
    else if (signal && "candidate" in signal) out.candidate = signal.candidate ? "one" : "end";
    return out;
  }

  const NativeSocket = window.WebSocket;
  if (NativeSocket) {
    window.WebSocket = class TracedSocket extends NativeSocket {
      constructor(...args) {
        super(...args);
        this.addEventListener("message", (event) => {
          const frame = summary(event.data);
          if (frame) mark("ws.in", frame);
        });
      }

      send(data) {
        const frame = summary(data);
        if (frame) mark("ws.out", frame);
        return super.send(data);
      }
    };
  }

  function poll(read, done) {
    const started = now();
    const timer = setInterval(async () => {
      if (now() - started > POLL_FOR_MS) return clearInterval(timer);
      try {
        if (done(await read())) clearInterval(timer);
      } catch {
        clearInterval(timer);
      }
    }, POLL_MS);
  }

  function rtpOf(report, type) {
    let found = null;
    report.forEach((s) => {
      if (s.type === type && s.kind === "video") found = s;
    });
    return found;
  }

  function watchReceiver(receiver, m) {
    let received = false;
    poll(
      () => receiver.getStats(),
      (report) => {
        const rtp = rtpOf(report, "inbound-rtp");
        if (!rtp) return false;
        if (!received && rtp.packetsReceived > 0) {
          received = true;
          m("video.received");
        }
        if (rtp.framesDecoded > 0) {
          m("video.decoded", { keyframes: rtp.keyFramesDecoded, plis: rtp.pliCount ?? 0, firs: rtp.firCount ?? 0 });
          return true;
        }
        return false;
      },
    );
  }

  function watchSender(sender, m) {
    let encoded = false;
    poll(
      () => sender.getStats(),
      (report) => {
        const rtp = rtpOf(report, "outbound-rtp");
        if (!rtp) return false;
        if (!encoded && rtp.framesEncoded > 0) {
          encoded = true;
          m("video.encoded", { width: rtp.frameWidth, height: rtp.frameHeight });
        }
        if (rtp.packetsSent > 0) {
          m("video.sent", { plis: rtp.pliCount ?? 0, firs: rtp.firCount ?? 0 });
          return true;
        }
        return false;
      },
    );
  }

  const NativePeer = window.RTCPeerConnection;
  if (!NativePeer) return;
  let count = 0;
  window.RTCPeerConnection = class TracedPeerConnection extends NativePeer {
    constructor(config, ...rest) {
      super(config, ...rest);
      const pc = ++count;
      const m = (what, extra = {}) => mark(what, { pc, ...extra });
      this.__traceId = pc;
      this.__mark = m;
      this.__watched = new Set();
      m("pc.new", { relay: config?.iceTransportPolicy === "relay" });
      this.addEventListener("negotiationneeded", () => m("negotiationneeded"));
      this.addEventListener("signalingstatechange", () => m(`signaling.${this.signalingState}`));
      this.addEventListener("icegatheringstatechange", () => m(`gathering.${this.iceGatheringState}`));
      this.addEventListener("icecandidate", ({ candidate }) => m(candidate ? `candidate.${candidate.type}` : "candidate.end"));
      this.addEventListener("iceconnectionstatechange", () => {
        m(`ice.${this.iceConnectionState}`);
        if (this.iceConnectionState === "checking") this.#watchSenders();
      });
      this.addEventListener("connectionstatechange", () => m(`connection.${this.connectionState}`));
      this.addEventListener("track", ({ track, receiver }) => {
        m(`track.${track.kind}`);
        if (track.kind === "video" && !this.__watched.has(receiver)) {
          this.__watched.add(receiver);
          watchReceiver(receiver, m);
        }
      });
    }

    #watchSenders() {
      for (const sender of this.getSenders()) {
        if (sender.track?.kind !== "video" || this.__watched.has(sender)) continue;
        this.__watched.add(sender);
        watchSender(sender, this.__mark);
      }
    }

    #watchDtls() {
      for (const transceiver of this.getTransceivers()) {
        const dtls = transceiver.sender.transport;
        if (!dtls || this.__watched.has(dtls)) continue;
        this.__watched.add(dtls);
        dtls.addEventListener("statechange", () => this.__mark(`dtls.${dtls.state}`));
      }
    }

    async setLocalDescription(...args) {
      this.__mark("sld.start");
      const result = await super.setLocalDescription(...args);
      this.__mark(`sld.${this.localDescription?.type}`);
      this.#watchDtls();
      return result;
    }

    async setRemoteDescription(...args) {
      this.__mark(`srd.start.${args[0]?.type}`);
      const result = await super.setRemoteDescription(...args);
      this.__mark(`srd.${this.remoteDescription?.type}`);
      this.#watchDtls();
      return result;
    }

    addTrack(track, ...streams) {
      this.__mark(`addtrack.${track.kind}`);
      return super.addTrack(track, ...streams);
    }
  };
})();
