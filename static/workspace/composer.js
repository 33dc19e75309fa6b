// The composer: a textarea that grows, Enter sends (Shift+Enter is a new line), text kept on failure.

import { state } from "./context.js";
import { $ } from "./dom.js";
import { selected } from "./state.js";
import { request } from "./conversation.js";

const composer = $("ws-composer");
const input = $("ws-composer-input");

function fitComposer() {
  input.style.height = "auto";
  input.style.height = `${Math.min(input.scrollHeight, 160)}px`;
}

export function wireComposer() {
  input.addEventListener("input", fitComposer);
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      composer.requestSubmit();
    }
  });
  composer.addEventListener("submit", async (event) => {
    event.preventDefault();
    const conversation = selected(state);
    const text = input.value.trim();
    if (!conversation || !text || input.disabled) return;
    input.value = "";
    fitComposer();
    try {
      await request({ type: "message.send", conversation_id: conversation.id, text });
    } catch {
      if (!input.value) input.value = text; // keep what the agent wrote
      fitComposer();
    }
  });
}
