// Tells the agent that the consumer answered a video call with audio only (issue 16): the call's
// `consumer_audio_only` from the socket's `hello` and `call.state` frames, shown on the call stage.
// A module of its own beside workspace.js; it only listens to the workspace's socket.

const note = document.getElementById("ws-consumer-audio-only");
const LIVE = new Set(["connecting", "active"]);

function show(call) {
  note.hidden = !(call && call.media === "video" && call.consumer_audio_only && LIVE.has(call.state));
}

function attach() {
  const socket = window.__workspace?.socket;
  if (!socket) return false;
  socket.addEventListener("hello", ({ detail }) => show(detail.call));
  socket.addEventListener("call.state", ({ detail }) => show(detail.call));
  return true;
}

// workspace.js sets the hook when its module runs; module scripts run in order, so it is there.
if (!attach()) addEventListener("DOMContentLoaded", attach, { once: true });
