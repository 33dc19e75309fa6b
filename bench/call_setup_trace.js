// The call-setup bench's timeline recorder (bench/call_setup_frames.py), injected into every page and
// frame before any of the page's own scripts (Playwright's add_init_script): the product's pages and
// the baseline page get exactly the same instrumentation, and the product's code is not touched.
//
// It stamps, with performance.timeOrigin + performance.now() (one clock for every page of the
// browser, comparable with the server's wall clock): clicks on buttons, getUserMedia, the signaling
// socket's frames (their type, call state and SDP type only: never SDP, candidates or tokens), each
// RTCPeerConnection's descriptions, ICE, DTLS and connection states, and per remote video track
// its first decoded frame (the same way on every page).
(() => {
  if (window.__trace) return;
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

  // Main-thread tasks of 50 ms and more (the page busy: frames and promise callbacks wait).
  if (typeof PerformanceObserver === "function" && PerformanceObserver.supportedEntryTypes?.includes("longtask")) {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        events.push({ t: performance.timeOrigin + entry.startTime, what: "longtask", ms: Math.round(entry.duration) });
      }
    }).observe({ type: "longtask" });
  }

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

  // The first decoded frame of a remote video track, as a sink gets it: a MediaStreamTrackProcessor
  // read once (no polling, no rendering: nothing adds work to the peer connection on the way), then
  // one getStats for whether a PLI was needed.
  function watchReceiver(receiver, track, m) {
    if (typeof MediaStreamTrackProcessor !== "function") return;
    const reader = new MediaStreamTrackProcessor({ track }).readable.getReader();
    reader.read().then(({ value }) => {
      if (!value) return;
      m("video.decoded", { width: value.displayWidth, height: value.displayHeight });
      value.close();
      reader.cancel().catch(() => {});
      receiver.getStats().then((report) => {
        report.forEach((s) => {
          if (s.type === "inbound-rtp" && s.kind === "video") m("video.stats", { plis: s.pliCount ?? 0, keyframes: s.keyFramesDecoded });
        });
      });
    }, () => {});
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
      this.addEventListener("iceconnectionstatechange", () => m(`ice.${this.iceConnectionState}`));
      this.addEventListener("connectionstatechange", () => m(`connection.${this.connectionState}`));
      this.addEventListener("track", ({ track, receiver }) => {
        m(`track.${track.kind}`);
        if (track.kind === "video" && !this.__watched.has(receiver)) {
          this.__watched.add(receiver);
          watchReceiver(receiver, track, m);
        }
      });
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
