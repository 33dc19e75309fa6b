// Call states and durations as every page shows them: the consumer's window (engage/callview.js) and
// the agent workspace share these. Pure: no DOM, so `node --test` imports it too.

/** States of a live call (the server's Call.LIVE_STATES). */
export const LIVE = new Set(["ringing", "connecting", "active"]);
/** States in which media flows or is being set up (the server's Call.MEDIA_STATES). */
export const MEDIA_STATES = new Set(["connecting", "active"]);

/** 0:45, 12:03, 1:02:09 (as the server's transcript lines). */
export function formatDuration(seconds) {
  const total = Math.max(0, Math.floor(seconds || 0));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/** Fill a validated account text's {placeholders} ({{ and }} are literal braces, as in Python). */
export function fill(template, values = {}) {
  return String(template ?? "").replace(/\{\{|\}\}|\{(\w+)\}/g, (match, name) => {
    if (match === "{{") return "{";
    if (match === "}}") return "}";
    return values[name] ?? "";
  });
}

/** An account text (settings_profiles/texts.py) filled, its first letter in capitals (a text may
 * start with a placeholder such as {media}). A key the texts lack reads as the key: visible, not hidden. */
export function say(texts, key, values = {}) {
  if (typeof texts?.[key] !== "string") return key;
  const text = fill(texts[key], values);
  return text ? text[0].toUpperCase() + text.slice(1) : text;
}
