// Continue on my phone: the pure decisions of the window's panel and the phone's claim
// (static/engage/handoff_rules.js).
import { test } from "node:test";
import assert from "node:assert/strict";

import { codeFromPath, countdown, handoffErrorKey, heldElsewhere, refusalWords } from "../engage/handoff_rules.js";

test("the code's time left reads m:ss and stops at 0:00", () => {
  assert.equal(countdown(300), "5:00");
  assert.equal(countdown(299.2), "5:00"); // a started second still counts
  assert.equal(countdown(61), "1:01");
  assert.equal(countdown(9), "0:09");
  assert.equal(countdown(-4), "0:00");
});

test("an answered call is held elsewhere when its device is not this socket's", () => {
  const answered = "2026-12-02T08:00:00Z";
  assert.equal(heldElsewhere({ id: 1, answered_at: answered, consumer_device: 0 }, 0), false);
  assert.equal(heldElsewhere({ id: 1, answered_at: answered }, 0), false); // older servers: the answering device
  assert.equal(heldElsewhere({ id: 1, answered_at: answered, consumer_device: 7 }, 0), true); // moved to the phone
  assert.equal(heldElsewhere({ id: 1, answered_at: answered, consumer_device: 7 }, 7), false); // the phone itself
  assert.equal(heldElsewhere({ id: 1, answered_at: answered, consumer_device: 8 }, 7), true); // moved on again
  assert.equal(heldElsewhere({ id: 2, answered_at: null, consumer_device: 0 }, 7), false); // an invitation: anyone's
  assert.equal(heldElsewhere(null, 0), false);
});

test("the code comes from the link's path, as typed", () => {
  assert.equal(codeFromPath("/go/7KQ4M2XP9HTA"), "7KQ4M2XP9HTA");
  assert.equal(codeFromPath("/go/7kq4-m2xp-9hta"), "7kq4-m2xp-9hta");
  assert.equal(codeFromPath("/go/%37KQ4"), "7KQ4");
  assert.equal(codeFromPath("/go/%E0%A4%A"), ""); // broken escapes: no code, the server says so
  assert.equal(codeFromPath("/engage/call/"), "");
});

test("a refusal shows the server's words, else the page's own", () => {
  assert.equal(refusalWords({ code: ["This code was already used."], error: "invalid_state" }, "x"), "This code was already used.");
  assert.equal(refusalWords({ code: [""] }, "Try again"), "Try again");
  assert.equal(refusalWords(null, "Try again"), "Try again");
  assert.equal(refusalWords({ detail: "Request was throttled." }, "Try again"), "Try again");
});

test("a refused code request reads as the account's text for its case, never the server's message", () => {
  assert.equal(handoffErrorKey({ code: "invalid_state", message: "The call is ended; only a call in progress can move." }), "error_call_ended");
  assert.equal(handoffErrorKey({ code: "not_found", message: "No such call." }), "error_call_ended");
  assert.equal(handoffErrorKey({ code: "offline", message: "Not connected to the server." }), "error_offline");
  assert.equal(handoffErrorKey({ code: "rate_limited", message: "Too many frames; slow down." }), "handoff_failed");
  assert.equal(handoffErrorKey(new Error("boom")), "handoff_failed");
});
