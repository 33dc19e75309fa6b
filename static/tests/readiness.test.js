// Readiness before accept (static/calls/readiness.js): facts -> causes (the table the server is held
// to as well), causes -> the invitation's words and answers, what a probe saw -> its result, and the
// agent's words.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import {
  agentReadinessLines,
  iceOutcome,
  readinessCauses,
  readinessView,
  serversOfKind,
} from "../calls/readiness.js";

const { cases } = JSON.parse(readFileSync(new URL("./readiness_cases.json", import.meta.url), "utf8"));
// The built-in texts (settings_profiles/texts.py), checked against the catalogue by tests/test_texts_fixture.py.
const EN = JSON.parse(readFileSync(new URL("./fixtures/texts_en.json", import.meta.url), "utf8"));
const DE = JSON.parse(readFileSync(new URL("./fixtures/texts_de.json", import.meta.url), "utf8"));

const TEXTS = {
  error_unsupported_browser: "This browser cannot take part in calls.",
  readiness_checking: "Checking…",
  readiness_ready: "Ready.",
  readiness_no_camera: "No camera found: you can join with audio only.",
  readiness_no_microphone: "No microphone found.",
  readiness_no_devices: "No microphone or camera found.",
  readiness_direct_blocked: "Your network blocks direct calls: the call will be relayed.",
  readiness_network_blocked: "Calls can't connect from this network.",
};

for (const { name, media, facts, causes } of cases) {
  test(`causes: ${name}`, () => {
    const { browser_supported: browserSupported, ...rest } = facts;
    assert.deepEqual(readinessCauses({ browserSupported, ...rest }, media), causes);
  });
}

test("a check still running counts as not checked", () => {
  const facts = { browserSupported: true, webrtc: true, camera: true, microphone: true, stun: "pending", turn: "pending" };
  assert.deepEqual(readinessCauses(facts, "video"), []);
  assert.deepEqual(readinessCauses({ ...facts, stun: "unreachable" }, "video"), []);
  assert.deepEqual(readinessCauses({ ...facts, stun: "unreachable", turn: "unreachable" }, "video"), ["network_blocked"]);
});

test("ready: one green line, the usual answers", () => {
  const view = readinessView([], { media: "video", pending: false, texts: TEXTS });
  assert.deepEqual(view, { tone: "ready", lines: [{ key: "readiness_ready", tone: "ok", text: "Ready." }], offer: "accept" });
});

test("while the network check runs, device problems show already and a checking line follows", () => {
  const view = readinessView(["no_camera"], { media: "video", pending: true, texts: TEXTS });
  assert.equal(view.tone, "limited");
  assert.deepEqual(view.lines.map((l) => l.key), ["readiness_no_camera", "readiness_checking"]);
  assert.equal(view.offer, "audio_only");
  assert.equal(readinessView([], { media: "voice", pending: true, texts: TEXTS }).tone, "checking");
});

test("no camera on a video invitation offers audio only, in the account's words", () => {
  const view = readinessView(["no_camera"], { media: "video", pending: false, texts: TEXTS });
  assert.deepEqual(view.lines, [{ key: "readiness_no_camera", tone: "warn", text: "No camera found: you can join with audio only." }]);
  assert.equal(view.offer, "audio_only");
});

test("nothing at all: one line for both devices, and only Decline", () => {
  const view = readinessView(["no_microphone", "no_camera"], { media: "video", pending: false, texts: TEXTS });
  assert.deepEqual(view.lines.map((l) => l.key), ["readiness_no_devices"]);
  assert.equal(view.tone, "blocked");
  assert.equal(view.offer, "decline_only");
  const voice = readinessView(["no_microphone"], { media: "voice", pending: false, texts: TEXTS });
  assert.deepEqual(voice.lines.map((l) => l.key), ["readiness_no_microphone"]);
  assert.equal(voice.offer, "decline_only");
});

test("an unsupported browser reads the account's unsupported-browser text once, and only Decline", () => {
  const view = readinessView(["unsupported_browser", "no_webrtc"], { media: "voice", pending: false, texts: TEXTS });
  assert.deepEqual(view.lines, [{ key: "error_unsupported_browser", tone: "error", text: "This browser cannot take part in calls." }]);
  assert.equal(view.offer, "decline_only");
});

test("the network's words: relayed is a warning, blocked an error that still lets the consumer try", () => {
  const relayed = readinessView(["direct_blocked"], { media: "video", pending: false, texts: TEXTS });
  assert.equal(relayed.tone, "limited");
  assert.equal(relayed.lines[0].text, "Your network blocks direct calls: the call will be relayed.");
  assert.equal(relayed.offer, "accept");
  const blocked = readinessView(["network_blocked"], { media: "video", pending: false, texts: TEXTS });
  assert.equal(blocked.tone, "warning");
  assert.deepEqual(blocked.lines, [{ key: "readiness_network_blocked", tone: "error", text: "Calls can't connect from this network." }]);
  assert.equal(blocked.offer, "accept");
});

test("a relay the brand must fix is not the consumer's problem: they read ready", () => {
  const view = readinessView(["relay_unavailable"], { media: "voice", pending: false, texts: TEXTS });
  assert.deepEqual(view.lines.map((l) => l.key), ["readiness_ready"]);
  assert.equal(view.offer, "accept");
});

test("probe results: the wanted candidate type answers for its kind", () => {
  const base = { errors: [], urls: 1, complete: false, aborted: false };
  assert.equal(iceOutcome({ ...base, kind: "stun", types: new Set(["host", "srflx"]) }), "reachable");
  assert.equal(iceOutcome({ ...base, kind: "turn", types: new Set(["relay"]) }), "reachable");
  assert.equal(iceOutcome({ ...base, kind: "turn", types: new Set(["host"]), complete: true }), "unreachable");
});

test("probe results: a STUN answer equal to the host address yields no srflx but completes without error", () => {
  const seen = { kind: "stun", types: new Set(["host"]), errors: [], urls: 1, complete: true, aborted: false };
  assert.equal(iceOutcome(seen), "reachable");
  assert.equal(iceOutcome({ ...seen, errors: [{ code: 701, url: "stun:192.0.2.1:3478" }] }), "unreachable");
  const two = { ...seen, urls: 2, errors: [{ code: 701, url: "stun:a:3478" }] };
  assert.equal(iceOutcome(two), "reachable", "one of two STUN servers answered");
  assert.equal(iceOutcome({ ...seen, complete: false }), "unreachable", "the time ran out");
});

test("probe results: TURN refusing the credentials is told apart from silence", () => {
  const seen = { kind: "turn", types: new Set(), urls: 1, complete: false, aborted: false };
  assert.equal(iceOutcome({ ...seen, errors: [{ code: 401, url: "turn:x:3478" }] }), "refused");
  assert.equal(iceOutcome({ ...seen, errors: [{ code: 701, url: "turn:x:3478" }] }), "unreachable");
  assert.equal(iceOutcome({ ...seen, errors: [] }), "unreachable");
  assert.equal(iceOutcome({ ...seen, errors: [], aborted: true }), "not_checked");
});

test("servers are split by kind, TURN keeping its credentials and STUN none", () => {
  const ice = {
    iceServers: [
      { urls: ["stun:s.example:3478", "turn:t.example:3478?transport=udp"], username: "u", credential: "c" },
      { urls: "turns:t.example:5349" , username: "u2", credential: "c2" },
      { urls: "stun:s2.example:3478" },
    ],
    iceTransportPolicy: "all",
  };
  assert.deepEqual(serversOfKind(ice, "stun"), [{ urls: ["stun:s.example:3478"] }, { urls: ["stun:s2.example:3478"] }]);
  assert.deepEqual(serversOfKind(ice, "turn"), [
    { urls: ["turn:t.example:3478?transport=udp"], username: "u", credential: "c" },
    { urls: ["turns:t.example:5349"], username: "u2", credential: "c2" },
  ]);
  assert.deepEqual(serversOfKind({ iceServers: [] }, "turn"), []);
  assert.deepEqual(serversOfKind(undefined, "stun"), []);
});

test("the agent's words: ready, or each problem once, worst first, in the account's texts", () => {
  assert.deepEqual(agentReadinessLines([], EN), [{ tone: "ok", text: "The consumer's device and network are ready for the call." }]);
  const lines = agentReadinessLines(["unsupported_browser", "no_webrtc", "no_camera", "direct_blocked"], EN);
  assert.deepEqual(lines.map((l) => l.tone), ["error", "warn", "warn"]);
  assert.equal(lines[1].text, "The consumer has no camera: they can join with audio only.");
  assert.equal(agentReadinessLines(["no_camera"], DE)[0].text, "Der Kunde hat keine Kamera: Er kann nur mit Audio teilnehmen.");
  const custom = { ...EN, agent_readiness_relay_unavailable: "Our relay is down for them." };
  assert.equal(agentReadinessLines(["relay_unavailable"], custom)[0].text, "Our relay is down for them.");
});
