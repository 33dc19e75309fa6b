// What the agent's buttons do: call, hang up, mute, camera, take, back, close the conversation.

import { state } from "./context.js";
import { say } from "../calls/callstates.js";
import { $, announce, toast } from "./dom.js";
import { consumerName } from "./format.js";
import { selected } from "./state.js";
import { currentSession, hangup, invite, renderCall } from "./callpanel.js";
import { renderAll, request, take } from "./conversation.js";
import { renderList, rows } from "./inbox.js";

export function wireActions() {
  $("ws-call-voice").addEventListener("click", () => invite("voice"));
  $("ws-call-video").addEventListener("click", () => invite("video"));
  $("ws-call-cancel").addEventListener("click", () => hangup());
  $("ws-hangup").addEventListener("click", () => hangup());
  $("ws-mute").addEventListener("click", () => {
    const session = currentSession();
    if (!session) return;
    session.setMuted(!session.muted);
    announce(say(state.texts, session.muted ? "agent_said_muted" : "agent_said_unmuted"));
    renderCall();
  });
  $("ws-camera").addEventListener("click", () => {
    const session = currentSession();
    if (!session) return;
    session.setCameraOn(!session.cameraOn);
    announce(say(state.texts, session.cameraOn ? "agent_said_camera_on" : "agent_said_camera_off"));
    renderCall();
  });
  $("ws-switch-camera").addEventListener("click", async () => {
    const session = currentSession();
    if (!session) return;
    $("ws-switch-camera").disabled = true;
    try {
      await session.switchCamera();
    } catch (error) {
      const text = say(state.texts, "agent_switch_camera_failed", { error: error?.name ?? "Error" });
      toast(text, { title: say(state.texts, "call_switch_camera"), tone: "error" });
    } finally {
      renderCall();
    }
  });
  $("ws-ended-dismiss").addEventListener("click", () => {
    state.ended = null;
    renderAll();
  });
  $("ws-take").addEventListener("click", () => state.selectedId !== null && take(state.selectedId));
  $("ws-back").addEventListener("click", () => {
    const id = state.selectedId;
    state.selectedId = null;
    $("ws").dataset.view = "list";
    renderAll();
    rows.get(id)?.querySelector(".ws-conv-item")?.focus();
  });

  $("ws-close").addEventListener("click", () => {
    const conversation = selected(state);
    if (!conversation) return;
    const live = state.call?.conversation_id === conversation.id;
    $("ws-close-text").textContent = live
      ? say(state.texts, "agent_close_call_ends", { name: consumerName(conversation, state.texts) })
      : `${consumerName(conversation, state.texts)} can no longer write in this conversation.`;
    $("ws-close-dialog").dataset.conversationId = String(conversation.id);
    $("ws-close-dialog").showModal();
  });
  $("ws-close-dialog").addEventListener("close", async () => {
    const dialog = $("ws-close-dialog");
    if (dialog.returnValue !== "close") return;
    const conversationId = Number(dialog.dataset.conversationId);
    try {
      await request({ type: "conversation.close", conversation_id: conversationId });
      toast(`The conversation with ${consumerName(state.conversations.get(conversationId), state.texts)} is closed.`, { tone: "success", timeoutMs: 4000 });
    } catch {
      /* shown by the error handler */
    }
  });

  document.addEventListener("visibilitychange", () => {
    const conversation = selected(state);
    if (!document.hidden && conversation?.unread) {
      conversation.unread = 0;
      renderList();
    }
  });
}
