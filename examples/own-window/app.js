// An own messaging window with voice and video calls, on the public API only:
//   - the call client module  PLATFORM/engage/sdk/v1/callclient.js  (Platform, checkBrowser, CallSession)
//   - POST /api/v1/conversations/ and GET /api/v1/sdk/config (CORS: this page's origin must be one of
//     the account's allowed_origins)
//   - the consumer socket /ws/consumer/?token=... (the same Origin rule)
// No build step, no framework. Every text goes in with textContent, never as HTML.

const tag = document.querySelector("script[data-platform]");
const params = new URLSearchParams(location.search);
const PLATFORM = (params.get("platform") || tag.dataset.platform).replace(/\/$/, "");
const ACCOUNT = params.get("account") || tag.dataset.account;
const TOKEN_KEY = `own-window-token:${ACCOUNT}`; // sessionStorage: a reload rejoins, a new tab starts over

const $ = (id) => document.getElementById(id);
const state = { sdk: null, config: null, browser: null, platform: null, socket: null, session: null, call: null, early: [] };
window.__ownWindow = state; // for the repository's browser test

function setStatus(name, text) {
  $("status").dataset.state = name;
  $("status").textContent = text;
}

/** {agent_name}-style placeholders; {{ and }} are literal braces. */
function fill(template, values = {}) {
  return String(template ?? "").replace(/\{\{|\}\}|\{(\w+)\}/g, (m, name) => (m === "{{" ? "{" : m === "}}" ? "}" : values[name] ?? ""));
}

function addMessage(message) {
  if (document.querySelector(`#transcript li[data-id="${message.id}"]`)) return;
  const item = document.createElement("li");
  item.className = message.author; // agent | consumer | system
  item.dataset.id = message.id;
  item.textContent = message.text;
  $("transcript").append(item);
  item.scrollIntoView({ block: "end" });
}

// --- The conversation and its socket ------------------------------------------------------------------

async function ensureConversation() {
  let token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) {
    const created = await state.platform.startConversation({ consumerName: "Website visitor" });
    token = created.consumer_token;
    sessionStorage.setItem(TOKEN_KEY, token);
  }
  if (!state.socket) connect(token);
  await new Promise((resolve) => (state.socket.isOpen ? resolve() : state.socket.addEventListener("hello", resolve, { once: true })));
}

function connect(token) {
  const socket = state.platform.consumerSocket(token);
  state.socket = socket;
  socket.addEventListener("hello", ({ detail }) => {
    setStatus("ready", detail.conversation.state === "queued" ? "An agent will be with you shortly" : "Our support team is here");
    for (const message of detail.messages) addMessage(message);
    applyCall(detail.call ? { call: detail.call, ...(detail.call_extras || {}) } : null);
  });
  socket.addEventListener("conversation", ({ detail }) => {
    if (detail.conversation.state === "open") setStatus("ready", "Our support team is here");
    if (detail.conversation.state === "closed") setStatus("closed", "This conversation has ended");
  });
  socket.addEventListener("message", ({ detail }) => addMessage(detail.message));
  socket.addEventListener("call.state", ({ detail }) => applyCall(detail));
  socket.addEventListener("call.signal", ({ detail }) => handleSignal(detail));
  socket.addEventListener("close", ({ detail }) => {
    if (detail.code === state.sdk.CLOSE_CODES.NOT_AUTHENTICATED || detail.code === state.sdk.CLOSE_CODES.FORBIDDEN) {
      // The token expired or the account is paused: start a new conversation on the next message.
      sessionStorage.removeItem(TOKEN_KEY);
      state.socket = null;
      setStatus("ended", "This conversation has ended. Write again to start a new one.");
    } else {
      setStatus("offline", "Reconnecting…"); // the socket retries by itself; the next hello rejoins the call
    }
  });
  socket.connect();
}

// --- Calls ----------------------------------------------------------------------------------------

function applyCall(frame) {
  if (!frame) {
    stopSession();
    $("invitation").hidden = $("call").hidden = true;
    state.call = null;
    return;
  }
  const { call } = frame;
  state.call = call;
  if (call.state === "ringing") {
    showInvitation(frame.invitation || {}, call);
  } else if (call.state === "connecting" || call.state === "active") {
    $("invitation").hidden = true;
    $("call").hidden = false;
    $("call").dataset.state = call.state;
    $("call-status").textContent = call.state === "active" ? "" : "Connecting…";
    ensureSession(frame);
  } else {
    stopSession();
    $("invitation").hidden = $("call").hidden = true;
    const texts = state.config.texts;
    const ended = { completed: texts.system_call_completed, rejected: texts.system_call_rejected, expired: texts.system_call_missed };
    setStatus("ready", frame.error?.text || fill(ended[call.state] ?? texts.system_call_completed, { duration: "" }));
    $("call").dataset.state = call.state;
  }
}

function showInvitation(invitation, call) {
  const texts = state.config.texts;
  const style = invitation.style || state.config.style;
  const box = $("invitation");
  box.style.setProperty("--bg", style.invitation_background);
  box.style.setProperty("--fg", style.invitation_text_color);
  box.style.setProperty("--border", `${style.invitation_border_width}px solid ${style.invitation_border_color}`);
  box.style.setProperty("--radius", `${style.invitation_border_radius}px`);
  box.style.setProperty("--accept-bg", style.accept_button_background);
  box.style.setProperty("--accept-fg", style.accept_button_text_color);
  box.style.setProperty("--reject-bg", style.reject_button_background);
  box.style.setProperty("--reject-fg", style.reject_button_text_color);
  $("invitation-title").textContent = invitation.title ?? texts[`invitation_title_${call.media}`];
  $("invitation-body").textContent = invitation.body ?? "";
  $("accept").textContent = invitation.accept ?? texts.invitation_accept;
  $("reject").textContent = invitation.reject ?? texts.invitation_reject;
  // Checked before Accept is offered: an unsupported browser sees the account's words, not a failed call.
  $("accept").hidden = !state.browser.supported;
  $("unsupported").hidden = state.browser.supported;
  $("unsupported").textContent = state.browser.supported ? "" : texts.error_unsupported_browser;
  box.hidden = false;
  box.dataset.callId = call.id;
}

function ensureSession(frame) {
  const { call } = frame;
  if (state.session && state.session.callId === call.id && !state.session.closed) return;
  stopSession();
  const video = call.media === "video";
  const session = new state.sdk.CallSession({
    socket: state.socket,
    party: "consumer",
    call,
    ice: frame.ice ?? { iceServers: [] },
    media: frame.media ?? { agent_camera_on: video, consumer_camera_on: video },
  });
  state.session = session;
  session.addEventListener("local-stream", ({ detail }) => ($("local-video").srcObject = detail.stream));
  session.addEventListener("remote-stream", ({ detail }) => {
    (video ? $("remote-video") : $("remote-audio")).srcObject = detail.stream;
  });
  session.addEventListener("connection-state", ({ detail }) => {
    $("call-status").textContent = detail.state === "connected" ? "" : detail.state === "disconnected" ? "Reconnecting…" : "";
  });
  session.addEventListener("media-error", ({ detail }) => setStatus("error", `Camera or microphone: ${detail.reason}`));
  state.chain = session.start().catch((error) => console.warn("call:", error));
  const early = state.early.filter((f) => f.call_id === call.id);
  state.early = [];
  for (const f of early) handleSignal(f);
}

function handleSignal(frame) {
  const session = state.session;
  if (session && session.callId === frame.call_id && !session.closed) {
    state.chain = state.chain.then(() => session.handleSignal(frame.signal)).catch(() => {});
  } else {
    state.early.push(frame); // a signal may overtake our own call.state connecting
  }
}

function stopSession() {
  if (state.session) state.session.close();
  state.session = null;
  for (const id of ["remote-video", "local-video", "remote-audio"]) $(id).srcObject = null;
}

// --- Wiring --------------------------------------------------------------------------------------

$("composer").addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = $("input").value.trim();
  if (!text) return;
  $("send").disabled = true;
  try {
    await ensureConversation();
    await state.socket.request({ type: "message.send", text });
    $("input").value = "";
  } catch (error) {
    setStatus("error", `Your message could not be sent: ${error.message ?? error.code ?? error}`);
  } finally {
    $("send").disabled = false;
  }
});

$("accept").addEventListener("click", async () => {
  const call = state.call;
  if (!call || call.state !== "ringing") return;
  $("accept").disabled = true;
  try {
    await state.socket.request({ type: "call.accept", call_id: call.id, client: await state.sdk.clientCapabilities() });
  } catch (error) {
    setStatus("error", error.message ?? String(error));
  } finally {
    $("accept").disabled = false;
  }
});

$("reject").addEventListener("click", () => state.call && state.socket.request({ type: "call.reject", call_id: state.call.id }).catch(() => {}));

$("hangup").addEventListener("click", () => {
  if (state.session && !state.session.closed) state.session.hangup("");
  else if (state.call) state.socket.request({ type: "call.hangup", call_id: state.call.id }).catch(() => {});
});

// --- Start ---------------------------------------------------------------------------------------

try {
  state.sdk = await import(`${PLATFORM}/engage/sdk/v1/callclient.js`);
  state.platform = new state.sdk.Platform({ origin: PLATFORM, account: ACCOUNT });
  state.config = await state.platform.config();
  state.browser = state.sdk.checkBrowser(state.config.browsers);
  if (sessionStorage.getItem(TOKEN_KEY)) await ensureConversation();
  else setStatus("ready", "Write us a message");
} catch (error) {
  setStatus("error", `Messaging is not available here: ${error.message}`);
  console.error(error);
}
