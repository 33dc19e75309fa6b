// Continue on my phone: the pure decisions of the computer's panel (handoff.js) and the phone's
// claim (handoff_phone.js), without a browser, for `node --test static/tests/`.

/** Seconds as m:ss (never negative; a started second counts). */
export function countdown(seconds) {
  const s = Math.max(0, Math.ceil(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/** Is this call (a `call` object of a frame) held by another device of this consumer? `device` is
 * the `hello.device` of this page's socket; a call without `consumer_device` is the answering one's (0).
 * An invitation (not answered yet) belongs to no device: every device may answer it. */
export function heldElsewhere(call, device) {
  return Boolean(call?.answered_at) && (call.consumer_device ?? 0) !== (device ?? 0);
}

/** The code in a handoff link's path (/go/CODE), as typed or scanned; "" without one. */
export function codeFromPath(pathname) {
  const match = /\/go\/([^/?#]+)/.exec(pathname ?? "");
  if (!match) return "";
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return "";
  }
}

/** The words to show for a refused claim: the answer's own (the account's), else `fallback`. */
export function refusalWords(body, fallback) {
  const words = body && Array.isArray(body.code) ? body.code.find((w) => typeof w === "string" && w) : null;
  return words ?? fallback;
}

/** The account's text for a refused code request (`call.handoff`): not connected, the call already
 * over, or `handoff_failed`. The error frame's English `message` is for developers (the console). */
export function handoffErrorKey(error) {
  const code = error?.code;
  if (code === "offline" || code === "timeout") return "error_offline";
  if (code === "invalid_state" || code === "not_found") return "error_call_ended";
  return "handoff_failed";
}
