// Tells the agent what the consumer's window found before answering (readiness before accept,
// issue 18): the causes of `call.readiness` frames, and of `hello.call_extras.readiness` /
// `call.state` extras after a reload, in words (static/calls/readiness.js), on the call panel while
// the call rings and once it runs. A module of its own beside workspace.js; it only listens.

import { agentReadinessLines } from "../calls/readiness.js";
import { LIVE } from "../calls/callstates.js";

const list = document.getElementById("ws-consumer-readiness");
let shown = { callId: null, causes: null };

function render(call) {
  const live = call && LIVE.has(call.state);
  if (!live || call.id !== shown.callId || shown.causes === null) {
    list.hidden = true;
    if (!live) shown = { callId: null, causes: null };
    return;
  }
  const items = agentReadinessLines(shown.causes, window.__workspace.state.texts).map(({ tone, text }) => {
    const item = document.createElement("li");
    item.className = "ws-readiness-item";
    item.dataset.tone = tone;
    item.textContent = text;
    return item;
  });
  list.replaceChildren(...items);
  list.dataset.causes = shown.causes.join(" ");
  list.hidden = false;
}

function remember(call, readiness) {
  if (call && Array.isArray(readiness?.causes)) shown = { callId: call.id, causes: readiness.causes };
}

function attach() {
  const socket = window.__workspace?.socket;
  if (!socket) return false;
  let call = null;
  socket.addEventListener("hello", ({ detail }) => {
    call = detail.call;
    remember(call, detail.call_extras?.readiness);
    render(call);
  });
  socket.addEventListener("call.state", ({ detail }) => {
    call = detail.call;
    remember(call, detail.readiness);
    render(call);
  });
  socket.addEventListener("call.readiness", ({ detail }) => {
    if (!call || call.id !== detail.call_id) return;
    remember(call, detail.readiness);
    render(call);
  });
  return true;
}

// workspace.js sets the hook when its module runs; module scripts run in order, so it is there.
if (!attach()) addEventListener("DOMContentLoaded", attach, { once: true });
