// The workspace's state and its transitions on the server's frames. Pure: no DOM, no socket, so the
// transitions are unit-tested with `node --test` (static/tests/); the page's modules render from it.

import { say } from "../calls/callstates.js";

/** The one state object of the page (conversations, selection, permissions, the call). */
export function createState(config) {
  return {
    agent: config.agent,
    connection: "connecting", // connecting | online | reconnecting | refused
    helloSeen: false,
    refusedCode: null,
    permissions: { voice: false, video: false },
    reasons: {},
    texts: config.texts ?? {}, // the account's texts: in the page from the start, then hello's and settings'.
    conversations: new Map(), // id -> conversation + {messages, unread, loaded}
    selectedId: null,
    call: null, // the agent's live call (media always "voice"|"video")
    ending: false, // the agent hung up; waiting for the server's terminal call.state
    inviting: false,
    ended: null, // {callId, conversationId, state, media, title, detail, tone}
    consumerMedia: null, // {audio, video, camera} from the consumer's call.media frames
    consumerReconnecting: false, // the consumer's socket went during the call (call.peer), until it is back
    peerState: "", // RTCPeerConnection.connectionState
    quality: null,
    cameraCount: 0,
    devices: null, // clientCapabilities()
    browser: config.browser,
  };
}

export function selected(state) {
  return state.selectedId === null ? null : (state.conversations.get(state.selectedId) ?? null);
}

export function isMine(state, conversation) {
  return conversation?.agent_id === state.agent.id;
}

export function lastActivity(conversation) {
  const last = conversation.messages.at(-1);
  return last?.created_at ?? conversation.created_at;
}

/** Add `messages` to the conversation's transcript: each id once, in id order. */
export function mergeMessages(conversation, messages) {
  const byId = new Map(conversation.messages.map((m) => [m.id, m]));
  for (const message of messages) byId.set(message.id, message);
  conversation.messages = [...byId.values()].sort((a, b) => a.id - b.id);
}

/** The inbox: the queue oldest first, the agent's own conversations most recent first. */
export function inboxLists(state) {
  const queue = [];
  const mine = [];
  for (const conversation of state.conversations.values()) {
    if (conversation.state === "queued") queue.push(conversation);
    else mine.push(conversation);
  }
  queue.sort((a, b) => String(a.created_at).localeCompare(String(b.created_at)));
  mine.sort((a, b) => String(lastActivity(b)).localeCompare(String(lastActivity(a))));
  return { queue, mine };
}

export function unreadTotal(state) {
  return [...state.conversations.values()].reduce((sum, c) => sum + (c.unread || 0), 0);
}

/** `hello` (every connect and reconnect): permissions and conversations as the server has them now.
 * Unread counts survive a reconnect; a selected conversation that was closed meanwhile stays open
 * on screen. The live call (hello.call) is the call panel's to apply. */
export function applyHello(state, hello) {
  state.connection = "online";
  state.helloSeen = true;
  state.refusedCode = null;
  state.permissions = hello.permissions ?? { voice: false, video: false };
  state.reasons = hello.permission_reason_codes ?? {}; // the English `permission_reasons` are for developers
  state.texts = hello.texts ?? state.texts;
  const previous = state.conversations;
  state.conversations = new Map();
  for (const conversation of hello.conversations ?? []) {
    const before = previous.get(conversation.id);
    state.conversations.set(conversation.id, {
      ...conversation,
      messages: conversation.messages ?? [],
      unread: before?.unread ?? 0,
      loaded: true,
    });
  }
  if (state.selectedId !== null && !state.conversations.has(state.selectedId)) {
    const gone = previous.get(state.selectedId);
    if (gone && gone.state === "closed") state.conversations.set(gone.id, gone);
    else state.selectedId = null;
  }
}

/** The panel of a call that ended while the page was not connected (its last frame was not replayed). */
export function endedWhileAway(call, texts) {
  return {
    callId: call.id,
    conversationId: call.conversation_id,
    state: "completed",
    media: call.media,
    title: say(texts, "agent_end_completed_title"),
    detail: say(texts, "agent_end_while_away"),
    tone: "neutral",
  };
}

/** A `conversation` frame. Returns what happened, for the page to say:
 * {change: "ignored"|"removed"|"added"|"updated", conversation, wasSelected, queued, mine, taken}. */
export function applyConversation(state, incoming) {
  const existing = state.conversations.get(incoming.id);
  const mine = incoming.agent_id === state.agent.id;
  const visible = incoming.state === "queued" || (mine && (incoming.state === "open" || existing));
  if (!visible) {
    if (!existing) return { change: "ignored", conversation: null };
    state.conversations.delete(incoming.id);
    const wasSelected = state.selectedId === incoming.id;
    if (wasSelected) state.selectedId = null;
    return { change: "removed", conversation: existing, wasSelected };
  }
  const conversation = { ...(existing ?? { messages: [], unread: 0, loaded: false }), ...incoming };
  state.conversations.set(incoming.id, conversation);
  return {
    change: existing ? "updated" : "added",
    conversation,
    mine,
    queued: incoming.state === "queued",
    taken: existing?.state === "queued" && mine, // ours now: its transcript is to be loaded
  };
}

/** A `message` frame: added to its conversation (once); unread unless the agent is looking at it.
 * Returns the conversation, or null when the message is not for this page or already there. */
export function applyMessage(state, message, { pageVisible = true } = {}) {
  const conversation = state.conversations.get(message.conversation_id);
  if (!conversation) return null;
  if (conversation.messages.some((m) => m.id === message.id)) return null;
  mergeMessages(conversation, [message]);
  const onScreen = state.selectedId === conversation.id && pageVisible;
  if (message.author === "consumer" && !onScreen) conversation.unread = (conversation.unread || 0) + 1;
  return conversation;
}

/** The socket closed: refused for good (4401 logged out, 4403 not allowed) or reconnecting. */
export function applyClose(state, code) {
  if (code === 4401 || code === 4403) {
    state.connection = "refused";
    state.refusedCode = code;
  } else {
    state.connection = "reconnecting";
  }
}

/** A `call.media` frame from the consumer: returns the announcements to make (may be none), in the account's texts. */
export function applyConsumerMedia(state, frame) {
  if (frame.from !== "consumer" || state.call?.id !== frame.call_id) return null;
  const before = state.consumerMedia;
  state.consumerMedia = { audio: frame.audio, video: frame.video, camera: frame.camera };
  const said = [];
  if (before && before.audio !== frame.audio) said.push(frame.audio ? "agent_said_peer_unmuted" : "agent_said_peer_muted");
  if (before && before.video !== frame.video && state.call.media === "video") {
    said.push(frame.video ? "agent_said_peer_camera_on" : "agent_said_peer_camera_off");
  }
  return said.map((key) => say(state.texts, key));
}

/** A `call.peer` frame: the consumer's connection went during the call (`reconnecting`: its page
 * reloads, its network changed), came back (`back`), or the call moved to their phone (`moved`). Returns the announcement, or null if nothing changed. */
export function applyPeerConnection(state, frame) {
  if (frame.party !== "consumer" || state.call?.id !== frame.call_id) return null;
  if (frame.connection === "moved") {
    // Continue on my phone: the same call, the consumer's side now on their phone (frame.call says so).
    if (frame.call) state.call = { ...state.call, ...frame.call };
    state.consumerReconnecting = false;
    return say(state.texts, "agent_said_peer_moved");
  }
  const reconnecting = frame.connection === "reconnecting";
  if (reconnecting === state.consumerReconnecting) return null;
  state.consumerReconnecting = reconnecting;
  return say(state.texts, reconnecting ? "agent_said_peer_reconnecting" : "agent_said_peer_back");
}
