// Readiness before accept (docs/engagement.md, "Readiness"): while an invitation rings, the window
// checks what it can WITHOUT asking for the camera or microphone, says whether the call will work
// and how, and reports the facts to the server (`call.readiness`, docs/protocol.md).
//
//   * devices: the kinds `enumerateDevices()` lists (present even before any permission, without labels);
//   * the browser: the supported browsers of the SDK config (`checkBrowser`), and WebRTC;
//   * the network: a throwaway RTCPeerConnection per kind of server of the call's ICE configuration
//     (`ice_check` of the ringing `call.state`), gathering candidates for a bounded time and never
//     connecting: srflx => STUN answered, relay => TURN answered, only host => neither.
//
// The pure part (facts -> causes -> words, what a probe saw -> its result) is unit-tested with
// `node --test` against the table static/tests/readiness_cases.json, which the server's
// calls/readiness.py is held to as well. Nothing about candidates or addresses leaves this module.

export const ICE_CHECK_TIMEOUT_MS = 6000;

export const CAUSES = [
  "unsupported_browser",
  "no_webrtc",
  "no_microphone",
  "no_camera",
  "network_blocked",
  "direct_blocked",
  "relay_unavailable",
];
/** The call cannot work from this device: the invitation offers only Decline. */
export const BLOCKING = new Set(["unsupported_browser", "no_webrtc", "no_microphone"]);

const REACHABLE = "reachable";
const FAILED = new Set(["unreachable", "refused"]);

/** The network's cause (at most one) from what each kind of server answered (calls/readiness.py). */
export function networkCauses(stun, turn) {
  const direct = stun === REACHABLE;
  const relay = turn === REACHABLE;
  if (relay && stun === "unreachable") return ["direct_blocked"];
  if (direct && FAILED.has(turn)) return ["relay_unavailable"];
  // Nothing answered and something failed; an unfinished TURN check could still have found a relay.
  if (!direct && !relay && turn !== "not_checked" && (stun === "unreachable" || FAILED.has(turn))) return ["network_blocked"];
  return [];
}

/** Every cause the facts show for an invitation of `media`, in CAUSES order. A check still running
 * ("pending") counts as not checked. */
export function readinessCauses(facts, media) {
  const settled = (value) => (value === "pending" ? "not_checked" : value);
  const found = new Set(networkCauses(settled(facts.stun), settled(facts.turn)));
  if (!facts.browserSupported) found.add("unsupported_browser");
  if (!facts.webrtc) found.add("no_webrtc");
  if (!facts.microphone) found.add("no_microphone");
  if (media === "video" && !facts.camera) found.add("no_camera");
  return CAUSES.filter((cause) => found.has(cause));
}

/**
 * What the invitation shows: its tone, one line per thing to say (the account's texts), and which
 * answers it offers.
 * @param {string[]} causes
 * @param {{media: string, pending: boolean, texts: object}} opts  pending: the network check still runs
 * @returns {{tone: "checking"|"ready"|"limited"|"warning"|"blocked", lines: {key: string, tone: string, text: string}[],
 *            offer: "accept"|"audio_only"|"decline_only"}}
 */
export function readinessView(causes, { media, pending, texts }) {
  const has = (cause) => causes.includes(cause);
  const lines = [];
  const say = (key, tone) => lines.push({ key, tone, text: texts[key] ?? "" });
  if (has("unsupported_browser") || has("no_webrtc")) say("error_unsupported_browser", "error");
  if (has("no_microphone")) say(media === "video" && has("no_camera") ? "readiness_no_devices" : "readiness_no_microphone", "error");
  else if (has("no_camera")) say("readiness_no_camera", "warn");
  if (has("network_blocked")) say("readiness_network_blocked", "error");
  if (has("direct_blocked")) say("readiness_direct_blocked", "warn");
  if (pending) say("readiness_checking", "checking");
  else if (lines.length === 0) say("readiness_ready", "ok"); // relay_unavailable is the brand's to fix, not the consumer's
  const blocked = causes.some((cause) => BLOCKING.has(cause));
  let tone = "ready";
  if (blocked) tone = "blocked";
  else if (has("network_blocked")) tone = "warning";
  else if (has("no_camera") || has("direct_blocked")) tone = "limited";
  else if (pending) tone = "checking";
  const offer = blocked ? "decline_only" : media === "video" && has("no_camera") ? "audio_only" : "accept";
  return { tone, lines, offer };
}

/** What the agent reads about the consumer's check: the account's texts (settings_profiles/texts_agent.py). */
const AGENT_KEYS = {
  unsupported_browser: "agent_readiness_browser",
  no_webrtc: "agent_readiness_browser",
  no_microphone: "agent_readiness_no_microphone",
  no_camera: "agent_readiness_no_camera",
  network_blocked: "agent_readiness_network_blocked",
  direct_blocked: "agent_readiness_direct_blocked",
  relay_unavailable: "agent_readiness_relay_unavailable",
};

/** The agent's lines for the consumer's readiness causes, in the account's `texts`: [{tone, text}]. */
export function agentReadinessLines(causes, texts) {
  const words = (key) => (typeof texts?.[key] === "string" ? texts[key] : key);
  if (!causes.length) return [{ tone: "ok", text: words("agent_readiness_ready") }];
  const lines = [];
  for (const cause of CAUSES) {
    const text = words(AGENT_KEYS[cause]);
    if (!causes.includes(cause) || lines.some((line) => line.text === text)) continue;
    lines.push({ tone: BLOCKING.has(cause) || cause === "network_blocked" ? "error" : "warn", text });
  }
  return lines;
}

/** The servers of one kind ("stun" or "turn") of an RTCConfiguration, with only their URLs of that kind. */
export function serversOfKind(ice, kind) {
  const servers = [];
  for (const server of ice?.iceServers ?? []) {
    const urls = (Array.isArray(server.urls) ? server.urls : [server.urls]).filter(
      (url) => typeof url === "string" && url.toLowerCase().startsWith(kind),
    );
    if (!urls.length) continue;
    servers.push(kind === "turn" ? { urls, username: server.username, credential: server.credential } : { urls });
  }
  return servers;
}

/**
 * A probe's result from what it saw: `types` the candidate types gathered, `errors` the
 * icecandidateerror events ({code, url}), `urls` how many server URLs it asked, `complete` whether
 * gathering ended by itself (not by the timeout), `aborted` whether the consumer answered first.
 */
export function iceOutcome({ kind, types, errors, urls, complete, aborted }) {
  if (types.has(kind === "stun" ? "srflx" : "relay")) return REACHABLE;
  // 4xx: the TURN server answered and refused (401 Unauthorized: wrong or expired credentials).
  if (kind === "turn" && errors.some((e) => e.code >= 400 && e.code < 500)) return "refused";
  if (aborted) return "not_checked";
  // A STUN server that answers with the host's own address yields no srflx candidate (browsers drop
  // it as redundant): gathering that completed with a URL that never failed means it answered.
  const failedUrls = new Set(errors.map((e) => e.url));
  if (kind === "stun" && complete && failedUrls.size < urls) return REACHABLE;
  return "unreachable";
}

// --- in the browser -------------------------------------------------------------------------------

function candidateType(candidate) {
  return candidate.type ?? / typ (\w+)/.exec(candidate.candidate ?? "")?.[1] ?? "";
}

/** Gather candidates from the servers of one kind, without connecting; resolves with iceOutcome(). */
function probe(kind, servers, { timeoutMs, signal }) {
  if (signal?.aborted) return Promise.resolve("not_checked");
  return new Promise((resolve) => {
    const urls = servers.reduce((n, s) => n + s.urls.length, 0);
    const seen = { kind, types: new Set(), errors: [], urls, complete: false, aborted: false };
    let pc;
    let timer = null;
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      try {
        pc?.close();
      } catch {
        /* already closed */
      }
      resolve(iceOutcome(seen));
    };
    const onAbort = () => {
      seen.aborted = true;
      finish();
    };
    try {
      // TURN alone under relay policy: only an allocation can yield a candidate.
      pc = new RTCPeerConnection({ iceServers: servers, iceTransportPolicy: kind === "turn" ? "relay" : "all" });
    } catch {
      resolve("not_checked");
      return;
    }
    pc.addEventListener("icecandidate", ({ candidate }) => {
      if (candidate === null) {
        seen.complete = true;
        finish();
        return;
      }
      seen.types.add(candidateType(candidate));
      if (seen.types.has(kind === "stun" ? "srflx" : "relay")) finish(); // the answer we wanted
    });
    pc.addEventListener("icecandidateerror", (event) => {
      seen.errors.push({ code: event.errorCode, url: event.url });
      if (kind === "turn" && event.errorCode >= 400 && event.errorCode < 500) finish();
    });
    pc.addEventListener("icegatheringstatechange", () => {
      if (pc.iceGatheringState !== "complete") return;
      seen.complete = true;
      finish();
    });
    signal?.addEventListener("abort", onAbort);
    timer = setTimeout(finish, timeoutMs);
    pc.createDataChannel("readiness"); // something to gather for; no media, so no permission prompt
    pc.createOffer()
      .then((offer) => pc.setLocalDescription(offer))
      .catch(finish);
  });
}

/** What the servers of one kind ("stun" or "turn") of `ice` answered from this network. */
export function checkServers(ice, kind, { timeoutMs = ICE_CHECK_TIMEOUT_MS, signal } = {}) {
  if (typeof RTCPeerConnection !== "function") return Promise.resolve("not_checked");
  const servers = serversOfKind(ice, kind);
  if (!servers.length) return Promise.resolve("not_configured");
  // Under the relay policy the call never goes direct: STUN does not matter.
  if (kind === "stun" && ice?.iceTransportPolicy === "relay") return Promise.resolve("not_checked");
  return probe(kind, servers, { timeoutMs, signal });
}

/** {webrtc, camera, microphone}: kinds of devices only (no permission asked, no labels read). */
export async function checkDevices() {
  const webrtc = typeof RTCPeerConnection === "function" && !!globalThis.navigator?.mediaDevices?.getUserMedia;
  let camera = false;
  let microphone = false;
  try {
    const devices = (await navigator.mediaDevices?.enumerateDevices?.()) ?? [];
    camera = devices.some((d) => d.kind === "videoinput");
    microphone = devices.some((d) => d.kind === "audioinput");
  } catch {
    /* no device list: reported as missing */
  }
  return { webrtc, camera, microphone };
}

/**
 * One invitation's check. Events: `change` (facts or causes changed). `facts.stun`/`facts.turn` are
 * "pending" while the network check runs; `stop()` ends it (what is still pending becomes "not_checked").
 */
export class ReadinessCheck extends EventTarget {
  constructor({ ice, media, browserSupported, timeoutMs = ICE_CHECK_TIMEOUT_MS }) {
    super();
    this.ice = ice;
    this.media = media;
    this.timeoutMs = timeoutMs;
    this.facts = { browserSupported, webrtc: false, camera: false, microphone: false, stun: "pending", turn: "pending" };
    this.devicesKnown = false;
    this.aborter = new AbortController();
    this.done = false;
  }

  get pending() {
    return this.facts.stun === "pending" || this.facts.turn === "pending";
  }

  get causes() {
    return readinessCauses(this.facts, this.media);
  }

  async start() {
    await this.refreshDevices();
    const options = { timeoutMs: this.timeoutMs, signal: this.aborter.signal };
    await Promise.all(
      ["stun", "turn"].map(async (kind) => {
        const result = this.facts.webrtc ? await checkServers(this.ice, kind, options) : "not_checked";
        if (this.facts[kind] === "pending") this.facts[kind] = result; // stop() may have settled it
      }),
    );
    this.done = true;
    this.#changed();
  }

  async refreshDevices() {
    Object.assign(this.facts, await checkDevices());
    this.devicesKnown = true;
    this.#changed();
  }

  stop() {
    if (this.facts.stun === "pending") this.facts.stun = "not_checked";
    if (this.facts.turn === "pending") this.facts.turn = "not_checked";
    this.aborter.abort();
  }

  /** The body of the `call.readiness` frame (docs/protocol.md). */
  report(callId) {
    const { webrtc, camera, microphone } = this.facts;
    const settled = (value) => (value === "pending" ? "not_checked" : value);
    return {
      type: "call.readiness",
      call_id: callId,
      client: { user_agent: navigator.userAgent, webrtc, camera, microphone },
      network: { stun: settled(this.facts.stun), turn: settled(this.facts.turn) },
    };
  }

  #changed() {
    this.dispatchEvent(new CustomEvent("change", { detail: { facts: { ...this.facts }, causes: this.causes } }));
  }
}
