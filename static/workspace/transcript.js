// The selected conversation's transcript: drawn whole on selection, appended to as messages arrive.

import { config, state } from "./context.js";
import { $, el, icon } from "./dom.js";
import { consumerName, shortTime } from "./format.js";
import { mergeMessages, selected } from "./state.js";
import { renderList } from "./inbox.js";

function messageNode(message, conversation) {
  const time = el("time", { className: "ws-msg-time", text: shortTime(message.created_at), attrs: { datetime: message.created_at ?? "" } });
  if (message.kind === "system" || message.author === "system") {
    const kind = /video/i.test(message.text) ? "video" : "phone";
    return el("div", { className: "ws-msg ws-msg-system", attrs: { "data-message-id": String(message.id) } }, [
      el("span", { className: "ws-msg-system-pill" }, [icon(kind), el("span", { text: message.text }), time]),
    ]);
  }
  const fromAgent = message.author === "agent";
  const who = fromAgent ? "You" : consumerName(conversation, state.texts);
  return el(
    "div",
    {
      className: `ws-msg ${fromAgent ? "ws-msg-agent" : "ws-msg-consumer"}`,
      attrs: { "data-message-id": String(message.id) },
    },
    [
      el("span", { className: "ws-msg-author", text: who }),
      el("p", { className: "ws-msg-bubble", text: message.text }),
      time,
    ],
  );
}

function nearBottom(node) {
  return node.scrollHeight - node.scrollTop - node.clientHeight < 80;
}

export function renderTranscript() {
  const conversation = selected(state);
  const log = $("ws-transcript");
  if (!conversation) {
    log.replaceChildren();
    return;
  }
  log.dataset.conversationId = String(conversation.id);
  const nodes = conversation.messages.map((m) => messageNode(m, conversation));
  if (!nodes.length) {
    nodes.push(
      el("p", {
        className: "ws-transcript-empty",
        text: conversation.state === "queued" ? "No messages yet. Take the conversation to greet the consumer." : "No messages yet. Say hello!",
      }),
    );
  }
  log.replaceChildren(...nodes);
  log.scrollTop = log.scrollHeight;
}

export function appendMessage(message, conversation) {
  const log = $("ws-transcript");
  if (log.querySelector(`[data-message-id="${Number(message.id)}"]`)) return;
  log.querySelector(".ws-transcript-empty")?.remove();
  const stick = nearBottom(log) || message.author === "agent";
  log.append(messageNode(message, conversation));
  if (stick) log.scrollTop = log.scrollHeight;
}

export async function loadTranscript(conversationId) {
  const url = config.transcript_url.replace("{id}", String(conversationId));
  try {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const body = await response.json();
    const conversation = state.conversations.get(conversationId);
    if (!conversation) return;
    mergeMessages(conversation, body.messages ?? []);
    conversation.loaded = true;
    renderList();
    if (state.selectedId === conversationId) renderTranscript();
  } catch {
    /* the next hello carries the transcript */
  }
}
