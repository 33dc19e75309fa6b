// What the agent should do when a call cannot start or was lost, by the protocol's end reason and by
// whose side it happened on ("self": this agent's browser; "consumer": the other side). The words are
// the account's texts (settings_profiles/texts_endings.py, `agent_remedy_*`); the consumer's own words
// are the `error_*` texts, in the consumer's language.

import { say } from "./callstates.js";

const REMEDIES = {
  permission_denied: "permission",
  no_devices: "devices",
  no_camera: "devices",
  no_microphone: "devices",
  ice_failed: "network",
};

/** The text key of the sentence that says what to do next, or "" when there is nothing to do. */
export function remedyKey(reason, side) {
  const kind = REMEDIES[reason];
  return kind ? `agent_remedy_${kind}_${side === "self" ? "self" : "consumer"}` : "";
}

/** That sentence in the account's texts, or "". */
export function remedyFor(reason, side, texts) {
  const key = remedyKey(reason, side);
  return key ? say(texts, key) : "";
}
