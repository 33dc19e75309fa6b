// The inbox: the queue and the agent's conversations, one row per conversation, kept in place.

import { say } from "../calls/callstates.js";
import { config, state } from "./context.js";
import { $, el, icon, paintAvatar } from "./dom.js";
import { consumerName, preview, shortTime, waited } from "./format.js";
import { inboxLists, lastActivity, unreadTotal } from "./state.js";
import { select, take } from "./conversation.js";

export const rows = new Map(); // conversation id -> <li>

function buildRow(id) {
  const li = el("li", { className: "ws-conv-row", attrs: { "data-conversation-id": String(id) } });
  const button = el("button", { className: "ws-conv-item", attrs: { type: "button" } });
  const avatar = el("span", { className: "avatar ws-avatar", attrs: { "aria-hidden": "true" } });
  const text = el("span", { className: "ws-conv-text" }, [
    el("span", { className: "ws-conv-line" }, [
      el("span", { className: "ws-conv-name" }),
      el("span", { className: "ws-conv-flags" }),
      el("time", { className: "ws-conv-time" }),
    ]),
    el("span", { className: "ws-conv-preview" }),
  ]);
  const unread = el("span", { className: "ws-unread" });
  button.append(avatar, text, unread);
  button.addEventListener("click", () => select(id, { focusComposer: true }));
  button.addEventListener("keydown", onListKey);
  const takeButton = el("button", { className: "btn btn-primary btn-sm ws-row-take", text: "Take", attrs: { type: "button" } });
  takeButton.addEventListener("click", () => take(id));
  li.append(button, takeButton);
  return li;
}

function updateRow(li, conversation) {
  const name = consumerName(conversation, state.texts);
  const text = preview(conversation);
  const hasCall = state.call && state.call.conversation_id === conversation.id;
  li.dataset.state = conversation.state;
  li.classList.toggle("is-selected", conversation.id === state.selectedId);
  li.classList.toggle("is-unread", conversation.unread > 0);
  const button = li.querySelector(".ws-conv-item");
  if (conversation.id === state.selectedId) button.setAttribute("aria-current", "true");
  else button.removeAttribute("aria-current");
  paintAvatar(li.querySelector(".ws-avatar"), conversation);
  li.querySelector(".ws-conv-name").textContent = name;
  const time = li.querySelector(".ws-conv-time");
  if (conversation.state === "queued") {
    time.textContent = waited(conversation.created_at);
    time.dateTime = conversation.created_at ?? "";
    time.title = "Waiting for an agent";
  } else {
    time.textContent = shortTime(lastActivity(conversation));
    time.dateTime = lastActivity(conversation) ?? "";
    time.removeAttribute("title");
  }
  li.querySelector(".ws-conv-preview").textContent = text;
  const flags = li.querySelector(".ws-conv-flags");
  flags.replaceChildren();
  if (hasCall) flags.append(el("span", { className: "ws-flag ws-flag-call", attrs: { title: say(state.texts, "agent_inbox_live_call") } }, [icon(state.call.media === "video" ? "video" : "phone")]));
  if (conversation.state === "closed") flags.append(el("span", { className: "badge badge-off", text: "Closed" }));
  if (conversation.channel === "chat") flags.append(el("span", { className: "badge badge-neutral", text: "Chat" }));
  const unread = li.querySelector(".ws-unread");
  unread.textContent = conversation.unread > 0 ? String(conversation.unread) : "";
  const label = [
    name,
    conversation.state === "queued" ? "waiting in queue" : conversation.state === "closed" ? "closed" : "",
    conversation.unread > 0 ? `${conversation.unread} unread` : "",
    hasCall ? say(state.texts, "agent_inbox_live_call") : "",
    text,
  ].filter(Boolean);
  button.setAttribute("aria-label", label.join(", "));
  li.querySelector(".ws-row-take").hidden = conversation.state !== "queued";
  li.querySelector(".ws-row-take").setAttribute("aria-label", `Take the conversation with ${name}`);
}

export function renderList() {
  const { queue, mine } = inboxLists(state);
  for (const [id, li] of rows) {
    if (!state.conversations.has(id)) {
      li.remove();
      rows.delete(id);
    }
  }
  for (const [list, items] of [
    [$("ws-queue"), queue],
    [$("ws-mine"), mine],
  ]) {
    items.forEach((conversation, index) => {
      let li = rows.get(conversation.id);
      if (!li) {
        li = buildRow(conversation.id);
        rows.set(conversation.id, li);
      }
      updateRow(li, conversation);
      if (list.children[index] !== li) list.insertBefore(li, list.children[index] ?? null);
    });
  }
  $("ws-queue-count").textContent = String(queue.length);
  $("ws-mine-count").textContent = String(mine.length);
  $("ws-queue-empty").hidden = queue.length > 0;
  $("ws-mine-empty").hidden = mine.length > 0;
  const unread = unreadTotal(state);
  document.title = `${unread ? `(${unread}) ` : ""}Workspace · ${config.account.name} · Voice & Video`;
}

function onListKey(event) {
  if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
  const items = [...document.querySelectorAll(".ws-conv-item")];
  const index = items.indexOf(event.currentTarget);
  const next = items[index + (event.key === "ArrowDown" ? 1 : -1)];
  if (next) {
    event.preventDefault();
    next.focus();
  }
}
