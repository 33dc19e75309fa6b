// The transfer of a conversation (issue 16): to the queue or to an online colleague of the account.
//
// A module of its own beside the workspace: it reads the page's state and socket from the
// workspace's hook (window.__workspace) and shows its button exactly when "Close" shows (the
// agent's own open conversation). The dialog asks the server for the online colleagues when it
// opens (GET config.colleagues_url), sends `conversation.transfer` with an idempotency key
// (socket.command), and says a refusal in the account's words (format.js errorText), e.g.
// `agent_error_detail_call_live` while a call is live (the server refuses it too, detail "call_live").

import { errorText } from "./format.js";

const config = JSON.parse(document.getElementById("workspace-config").textContent);
const $ = (id) => document.getElementById(id);
const button = $("ws-transfer");
const dialog = $("ws-transfer-dialog");
const targets = $("ws-transfer-targets");

function workspace() {
  return window.__workspace ?? null;
}

function selectedConversation() {
  const ws = workspace();
  const id = ws?.state?.selectedId;
  return id === null || id === undefined ? null : ws.state.conversations.get(id) ?? null;
}

function liveCallIn(conversation) {
  const call = workspace()?.state?.call;
  return Boolean(call && conversation && call.conversation_id === conversation.id && ["ringing", "connecting", "active"].includes(call.state));
}

// Shown exactly when "Close" is: the agent's own open conversation.
const close = $("ws-close");
const mirror = () => {
  button.hidden = close.hidden;
};
new MutationObserver(mirror).observe(close, { attributes: true, attributeFilter: ["hidden"] });
mirror();

function option({ value, name, note, inCall = false }) {
  const label = document.createElement("label");
  label.className = "ws-transfer-target";
  label.dataset.inCall = String(inCall);
  const input = document.createElement("input");
  input.type = "radio";
  input.name = "target";
  input.value = value;
  const title = document.createElement("span");
  title.className = "ws-transfer-name";
  title.textContent = name;
  const small = document.createElement("span");
  small.className = "ws-transfer-note";
  small.textContent = note;
  label.append(input, title, small);
  return label;
}

function showError(text) {
  $("ws-transfer-error").textContent = text;
  $("ws-transfer-error").hidden = !text;
}

async function openDialog() {
  const conversation = selectedConversation();
  if (!conversation) return;
  dialog.dataset.conversationId = String(conversation.id);
  const blocked = liveCallIn(conversation);
  dialog.dataset.blocked = String(blocked);
  $("ws-transfer-blocked").hidden = !blocked;
  $("ws-transfer-confirm").disabled = blocked;
  showError("");
  targets.querySelectorAll(".ws-transfer-target:not(:first-of-type)").forEach((node) => node.remove());
  targets.querySelector("input[value='queue']").checked = true;
  $("ws-transfer-empty").hidden = true;
  dialog.showModal();
  try {
    const response = await fetch(config.colleagues_url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const { colleagues } = await response.json();
    for (const colleague of colleagues) {
      targets.append(
        option({
          value: String(colleague.id),
          name: colleague.name,
          note: colleague.in_call ? "Online · in a call now" : "Online",
          inCall: colleague.in_call,
        })
      );
    }
    $("ws-transfer-empty").hidden = colleagues.length > 0;
  } catch (error) {
    console.warn("transfer: colleagues not loaded:", error?.message ?? error);
    showError("The list of colleagues could not be loaded. You can still transfer to the queue.");
  }
}

button.addEventListener("click", openDialog);

$("ws-transfer-form").addEventListener("submit", async (event) => {
  if (event.submitter?.value !== "transfer") return; // Cancel closes the dialog as usual
  event.preventDefault();
  const ws = workspace();
  const conversationId = Number(dialog.dataset.conversationId);
  const choice = targets.querySelector("input[name='target']:checked")?.value ?? "queue";
  const frame = { type: "conversation.transfer", conversation_id: conversationId };
  if (choice !== "queue") frame.to_agent_id = Number(choice);
  $("ws-transfer-confirm").disabled = true;
  showError("");
  try {
    await ws.socket.command(frame);
    dialog.close("transferred");
  } catch (error) {
    showError(errorText(error, ws.state.texts)); // the frame's English `message` is for developers
  } finally {
    $("ws-transfer-confirm").disabled = dialog.dataset.blocked === "true";
  }
});
