"""The call-setup bench's baseline page and its reading of the recorded timelines (no Django, no browser:
tests/e2e/test_call_setup_frames.py records, bench/call_setup_frames.py summarises).

A call's record has, for each side ("agent": the side that offers; "consumer": the side that clicks
Accept and answers), the milestones of MILESTONES in milliseconds after the click, read from the
events bench/call_setup_trace.js stamped in that side's page. The consumer's first decoded frame is
the agent's video arriving; the agent's is the consumer's.
"""

from __future__ import annotations

import statistics

# The baseline: Chromium by itself. Two peer connections in one page, each with its own
# getUserMedia of the product's constraints (static/calls/devices.js), the ICE configuration the
# product would use, descriptions and candidates handed over directly, remote video playing.
BASELINE_JS = """
async (ice) => {
  const { videoConstraints } = await import("/static/calls/devices.js");
  const trace = window.__trace;
  trace.reset();
  trace.mark("click", { id: "baseline" });
  const constraints = { audio: true, video: videoConstraints(null, "user") };
  const capture = () => navigator.mediaDevices.getUserMedia(constraints);
  const [agentStream, consumerStream] = await Promise.all([capture(), capture()]);
  const agent = new RTCPeerConnection(ice.agent);
  const consumer = new RTCPeerConnection(ice.consumer);
  const videos = [];
  window.__baseline = { agent, consumer, streams: [agentStream, consumerStream], videos };
  const waiting = new Map([[agent, []], [consumer, []]]);
  const deliver = (to, candidate) =>
    to.remoteDescription ? to.addIceCandidate(candidate).catch(() => {}) : waiting.get(to).push(candidate);
  const flush = (to) => waiting.get(to).splice(0).forEach((c) => to.addIceCandidate(c).catch(() => {}));
  agent.addEventListener("icecandidate", ({ candidate }) => candidate && deliver(consumer, candidate));
  consumer.addEventListener("icecandidate", ({ candidate }) => candidate && deliver(agent, candidate));
  for (const [pc, stream] of [[agent, agentStream], [consumer, consumerStream]]) {
    const video = document.createElement("video");
    video.muted = true;
    video.autoplay = true;
    video.playsInline = true;
    document.body.append(video);
    videos.push(video);
    pc.addEventListener("track", ({ streams, track }) => {
      if (track.kind !== "video") return;
      video.srcObject = streams[0] ?? new MediaStream([track]);
      video.play().catch(() => {});
    });
    for (const track of stream.getTracks()) pc.addTrack(track, stream);
  }
  await agent.setLocalDescription();
  await consumer.setRemoteDescription(agent.localDescription);
  flush(consumer);
  await consumer.setLocalDescription();
  await agent.setRemoteDescription(consumer.localDescription);
  flush(agent);
}
"""

# Each baseline side's selected candidate pair (local and remote types), then everything released.
BASELINE_STOP_JS = """
async () => {
  const b = window.__baseline;
  const pairOf = async (pc) => {
    const stats = await pc.getStats();
    let id = null;
    stats.forEach((s) => { if (s.type === "transport" && s.selectedCandidatePairId) id = s.selectedCandidatePairId; });
    const pair = id ? stats.get(id) : null;
    return pair ? [stats.get(pair.localCandidateId)?.candidateType, stats.get(pair.remoteCandidateId)?.candidateType] : null;
  };
  const pairs = { agent: await pairOf(b.agent), consumer: await pairOf(b.consumer) };
  b.agent.close();
  b.consumer.close();
  b.streams.forEach((s) => s.getTracks().forEach((t) => t.stop()));
  b.videos.forEach((v) => v.remove());
  window.__baseline = null;
  return pairs;
}
"""

# milestone -> (event name, what the event's fields must be). The first such event counts.
MILESTONES: dict[str, tuple[str, dict]] = {
    "accept_sent": ("ws.out", {"type": "call.accept"}),
    "connecting_in": ("ws.in", {"type": "call.state", "state": "connecting"}),
    "media_asked": ("gum.start", {}),
    "media_granted": ("gum.end", {}),
    "peer_created": ("pc.new", {}),
    "offer_made": ("sld.offer", {}),
    "offer_sent": ("ws.out", {"type": "call.signal", "sdp": "offer"}),
    "offer_in": ("ws.in", {"type": "call.signal", "sdp": "offer"}),
    "offer_set": ("srd.offer", {}),
    "answer_made": ("sld.answer", {}),
    "answer_sent": ("ws.out", {"type": "call.signal", "sdp": "answer"}),
    "answer_in": ("ws.in", {"type": "call.signal", "sdp": "answer"}),
    "answer_set": ("srd.answer", {}),
    "ice_checking": ("ice.checking", {}),
    "ice_connected": ("ice.connected", {}),
    "dtls_connected": ("dtls.connected", {}),
    "connected": ("connection.connected", {}),
    "video_decoded": ("video.decoded", {}),
    "active_in": ("ws.in", {"type": "call.state", "state": "active"}),
}


def call_peer(events: list[dict]) -> int | None:
    """The call's peer connection among a page's: the last one a track was added to (the readiness
    check's probes carry none)."""
    ids = [e["pc"] for e in events if e["what"].startswith(("addtrack.", "track.")) and "pc" in e]
    return ids[-1] if ids else None


def own_events(events: list[dict]) -> list[dict]:
    """The page's events that are not about another peer connection than the call's."""
    pc = call_peer(events)
    return [e for e in events if e.get("pc", pc) == pc]


def milestones(events: list[dict], t0: float) -> dict[str, float]:
    """The side's MILESTONES in ms after t0 (negative: before the click, e.g. prepared while ringing)."""
    mine = own_events(events)
    found: dict[str, float] = {}
    for name, (what, fields) in MILESTONES.items():
        for event in mine:
            if event["what"] == what and all(event.get(k) == v for k, v in fields.items()):
                found[name] = round(event["t"] - t0, 1)
                break
    stats = next((e for e in mine if e["what"] == "video.stats"), None)
    if stats is not None:
        found["plis_before_first_frame"] = stats.get("plis", 0)
    found["descriptions"] = sum(1 for e in mine if e["what"] in ("sld.offer", "sld.answer"))  # > 1: renegotiated
    return found


def _fields(event: dict) -> list[str]:
    extra = ",".join(f"{k}={v}" for k, v in event.items() if k not in ("t", "what", "pc"))
    return [extra] if extra else []


def call_record(*, kind: str, path: str, agent: list[dict], consumer: list[dict], server: dict | None = None) -> dict:
    clicks = [e["t"] for e in consumer if e["what"] == "click" and e.get("id") in ("engage-accept", "baseline")]
    assert clicks, "no click on Accept was recorded"
    t0 = clicks[0]
    record = {
        "kind": kind,
        "path": path,
        "agent": milestones(agent, t0),
        "consumer": milestones(consumer, t0),
        # Every step of each side, for reading one call closely (the bench's results keep only the milestones).
        "events": {
            side: [[round(e["t"] - t0, 1), e["what"], *_fields(e)] for e in own_events(trace)]
            for side, trace in (("agent", agent), ("consumer", consumer))
        },
    }
    if server:
        record["server"] = {name: round(at - t0, 1) for name, at in server.items()}
    return record


def check_order(record: dict) -> None:
    """Each side's steps in their causal order, within the side's own page (one clock)."""
    agent, consumer = record["agent"], record["consumer"]
    for side, steps in (("agent", agent), ("consumer", consumer)):
        assert "video_decoded" in steps, (side, steps)
        chain = ["ice_connected", "video_decoded"]
        if record["kind"] == "product":
            # Not `connecting_in`: the window answers from the accept's `ok`, so ICE may connect before
            # its own `connecting` frame arrives (docs/protocol.md, "Setup while ringing"); and its checks
            # may succeed (the agent answers them) before its answer has left, once it is made.
            chain = ["answer_in", *chain] if side == "agent" else ["accept_sent", "answer_made", *chain]
        at = [steps[name] for name in chain if name in steps]
        assert at == sorted(at), (side, {name: steps.get(name) for name in chain})
        assert steps["media_granted"] < steps["video_decoded"], (side, steps)
    # The consumer's camera and microphone are asked for only once Accept was clicked.
    assert consumer["media_asked"] >= 0, consumer
    if record["kind"] == "product":
        assert consumer["offer_in"] <= consumer["answer_sent"], consumer
        assert agent["offer_sent"] <= agent["answer_in"], agent


COUNTS = ("descriptions", "plis_before_first_frame")  # per call, not times: the most any call had

HEADLINES = {
    "consumer_decoded": lambda r: r["consumer"]["video_decoded"],
    "agent_decoded": lambda r: r["agent"]["video_decoded"],
    "both_decoded": lambda r: max(r["consumer"]["video_decoded"], r["agent"]["video_decoded"]),
}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def figures(values: list[float]) -> dict:
    return {
        "calls": len(values),
        "median_ms": round(statistics.median(values), 1),
        "p90_ms": round(percentile(values, 0.9), 1),
        "min_ms": round(min(values), 1),
        "max_ms": round(max(values), 1),
    }


def summarise(records: list[dict]) -> dict:
    """Per kind and path: the headline figures, and each side's median milestone (where the time goes)."""
    out: dict[str, dict] = {}
    for record in records:
        out.setdefault(f"{record['kind']} {record['path']}", {"records": []})["records"].append(record)
    for group in out.values():
        calls = group.pop("records")
        group["headline"] = {name: figures([read(r) for r in calls]) for name, read in HEADLINES.items()}
        timeline: dict[str, dict[str, float]] = {}
        counts: dict[str, dict[str, float]] = {}
        for side in ("server", "agent", "consumer"):
            names = {name for r in calls for name in r.get(side, {})}
            steps = {n: statistics.median([r[side][n] for r in calls if n in r.get(side, {})]) for n in names}
            if steps:
                timeline[side] = {
                    n: round(v, 1) for n, v in sorted(steps.items(), key=lambda item: item[1]) if n not in COUNTS
                }
                counts[side] = {n: max(r[side].get(n, 0) for r in calls) for n in COUNTS if n in steps}
        group["timeline_median_ms"] = timeline
        group["counts_max"] = {side: found for side, found in counts.items() if found}
    return out
