// The workspace's state transitions on the server's frames (static/workspace/state.js).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import {
  applyClose,
  applyConsumerMedia,
  applyConversation,
  applyHello,
  applyMessage,
  applyPeerConnection,
  createState,
  inboxLists,
  unreadTotal,
} from "../workspace/state.js";

const AGENT = { id: 7, name: "Andy" };
// The built-in texts (settings_profiles/texts.py), checked against the catalogue by tests/test_texts_fixture.py.
const EN = JSON.parse(readFileSync(new URL("./fixtures/texts_en.json", import.meta.url)));
const DE = JSON.parse(readFileSync(new URL("./fixtures/texts_de.json", import.meta.url)));
const fresh = (texts = EN) => createState({ agent: AGENT, browser: { supported: true }, texts });
const conv = (id, extra = {}) => ({ id, state: "open", agent_id: AGENT.id, channel: "web_messaging", created_at: `2026-01-0${id}T10:00:00Z`, messages: [], ...extra });

test("hello sets permissions and conversations, keeps unread counts across a reconnect", () => {
  const state = fresh();
  applyHello(state, { permissions: { voice: true, video: false }, permission_reason_codes: { video: "switched_off" }, conversations: [conv(1)] });
  assert.equal(state.connection, "online");
  assert.deepEqual(state.permissions, { voice: true, video: false });
  assert.deepEqual(state.reasons, { video: "switched_off" }); // codes; the English `permission_reasons` are not read
  state.conversations.get(1).unread = 3;
  applyHello(state, { conversations: [conv(1), conv(2)] });
  assert.equal(state.conversations.get(1).unread, 3);
  assert.equal(state.conversations.get(2).unread, 0);
  assert.deepEqual(state.permissions, { voice: false, video: false }); // absent means none
});

test("hello keeps a selected conversation that was closed meanwhile, drops one that went elsewhere", () => {
  const state = fresh();
  applyHello(state, { conversations: [conv(1), conv(2)] });
  state.selectedId = 1;
  state.conversations.get(1).state = "closed";
  applyHello(state, { conversations: [conv(2)] });
  assert.equal(state.selectedId, 1);
  assert.ok(state.conversations.has(1));
  state.selectedId = 2;
  applyHello(state, { conversations: [] });
  assert.equal(state.selectedId, null);
});

test("a conversation taken by another agent leaves the inbox and the selection", () => {
  const state = fresh();
  applyHello(state, { conversations: [conv(1, { state: "queued", agent_id: null })] });
  state.selectedId = 1;
  const outcome = applyConversation(state, { id: 1, state: "open", agent_id: 99 });
  assert.equal(outcome.change, "removed");
  assert.equal(outcome.wasSelected, true);
  assert.equal(state.selectedId, null);
  assert.equal(state.conversations.size, 0);
  assert.equal(applyConversation(state, { id: 5, state: "open", agent_id: 99 }).change, "ignored");
});

test("a queued conversation the agent takes is marked for its transcript to load", () => {
  const state = fresh();
  assert.equal(applyConversation(state, { id: 3, state: "queued", agent_id: null }).queued, true);
  const outcome = applyConversation(state, { id: 3, state: "open", agent_id: AGENT.id });
  assert.equal(outcome.change, "updated");
  assert.equal(outcome.taken, true);
});

test("messages are added once, in id order, and count as unread unless on screen", () => {
  const state = fresh();
  applyHello(state, { conversations: [conv(1), conv(2)] });
  state.selectedId = 1;
  applyMessage(state, { id: 11, conversation_id: 1, author: "consumer", text: "b" });
  applyMessage(state, { id: 10, conversation_id: 1, author: "consumer", text: "a" });
  assert.equal(applyMessage(state, { id: 10, conversation_id: 1, author: "consumer", text: "a" }), null);
  assert.deepEqual(state.conversations.get(1).messages.map((m) => m.id), [10, 11]);
  assert.equal(state.conversations.get(1).unread, 0);
  applyMessage(state, { id: 12, conversation_id: 2, author: "consumer", text: "c" });
  applyMessage(state, { id: 13, conversation_id: 1, author: "consumer", text: "d" }, { pageVisible: false });
  applyMessage(state, { id: 14, conversation_id: 2, author: "agent", text: "e" });
  assert.equal(unreadTotal(state), 2);
  assert.equal(applyMessage(state, { id: 15, conversation_id: 9, author: "consumer", text: "?" }), null);
});

test("the inbox lists the queue oldest first and the agent's conversations by last activity", () => {
  const state = fresh();
  applyHello(state, {
    conversations: [
      conv(1, { state: "queued", agent_id: null, created_at: "2026-01-02T00:00:00Z" }),
      conv(2, { state: "queued", agent_id: null, created_at: "2026-01-01T00:00:00Z" }),
      conv(3, { messages: [{ id: 1, created_at: "2026-01-05T00:00:00Z" }] }),
      conv(4, { created_at: "2026-01-06T00:00:00Z" }),
    ],
  });
  const { queue, mine } = inboxLists(state);
  assert.deepEqual(queue.map((c) => c.id), [2, 1]);
  assert.deepEqual(mine.map((c) => c.id), [4, 3]);
});

test("a close is refused for good on 4401/4403, else the page reconnects", () => {
  const state = fresh();
  applyClose(state, 4401);
  assert.deepEqual([state.connection, state.refusedCode], ["refused", 4401]);
  applyClose(state, 4503);
  assert.equal(state.connection, "reconnecting");
});

test("the consumer's media changes are announced only when they change", () => {
  const state = fresh();
  state.call = { id: 4, media: "video" };
  assert.equal(applyConsumerMedia(state, { from: "agent", call_id: 4 }), null);
  assert.deepEqual(applyConsumerMedia(state, { from: "consumer", call_id: 4, audio: true, video: true }), []);
  assert.deepEqual(applyConsumerMedia(state, { from: "consumer", call_id: 4, audio: false, video: false }), [
    "The consumer muted.",
    "The consumer turned the camera off.",
  ]);
  assert.equal(applyConsumerMedia(state, { from: "consumer", call_id: 5, audio: true, video: true }), null);
  const german = fresh(DE);
  german.call = { id: 4, media: "video" };
  applyConsumerMedia(german, { from: "consumer", call_id: 4, audio: true, video: true });
  assert.deepEqual(applyConsumerMedia(german, { from: "consumer", call_id: 4, audio: false, video: true }), [
    "Der Kunde hat sein Mikrofon stumm geschaltet.",
  ]);
});

test("the page's texts are there from the start, and a hello without texts keeps them", () => {
  const state = fresh(DE);
  assert.equal(state.texts.call_share_screen, "Bildschirm teilen");
  applyHello(state, { conversations: [] });
  assert.equal(state.texts.call_share_screen, "Bildschirm teilen");
  applyHello(state, { conversations: [], texts: { ...DE, call_share_screen: "Zeigen" } });
  assert.equal(state.texts.call_share_screen, "Zeigen");
});

test("the consumer reconnecting is announced once, and its return once, for the agent's call only", () => {
  const state = fresh();
  state.call = { id: 4, media: "video" };
  assert.equal(applyPeerConnection(state, { party: "consumer", call_id: 5, connection: "reconnecting" }), null);
  assert.equal(applyPeerConnection(state, { party: "consumer", call_id: 4, connection: "reconnecting" }), "The consumer is reconnecting.");
  assert.equal(state.consumerReconnecting, true);
  assert.equal(applyPeerConnection(state, { party: "consumer", call_id: 4, connection: "reconnecting" }), null);
  assert.equal(applyPeerConnection(state, { party: "consumer", call_id: 4, connection: "back" }), "The consumer is back.");
  assert.equal(state.consumerReconnecting, false);
});

test("call.peer moved: the same call, now on the consumer's phone (Continue on my phone)", () => {
  const state = fresh();
  state.call = { id: 4, state: "active", consumer_device: 0, consumer_audio_only: true };
  state.consumerReconnecting = true;
  const said = applyPeerConnection(state, {
    party: "consumer",
    call_id: 4,
    connection: "moved",
    call: { id: 4, state: "active", consumer_device: 12, consumer_audio_only: false },
  });
  assert.equal(said, "The consumer moved the call to their phone.");
  assert.equal(state.call.consumer_device, 12);
  assert.equal(state.call.consumer_audio_only, false);
  assert.equal(state.consumerReconnecting, false);
  assert.equal(applyPeerConnection(state, { party: "consumer", call_id: 9, connection: "moved" }), null); // another call
});
