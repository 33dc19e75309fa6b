// Screen sharing's browser-free decisions (static/calls/share.js): who may get a share button, which
// controls each side sees, how a picker's failure reads, and how share frames change the call.
import { test } from "node:test";
import assert from "node:assert/strict";

import { canShareScreen, shareControls, shareErrorReason, shareSurface, withShareFrame } from "../calls/share.js";

const DESKTOP_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";
const ANDROID_UA = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Mobile Safari/537.36";
const IPHONE_UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";
const withDisplay = { getDisplayMedia() {} };

test("a desktop browser with getDisplayMedia can share", () => {
  assert.equal(canShareScreen({ mediaDevices: withDisplay, userAgent: DESKTOP_UA }), true);
});

test("phones, tablets and browsers without getDisplayMedia get no share button", () => {
  assert.equal(canShareScreen({ mediaDevices: withDisplay, userAgent: ANDROID_UA }), false);
  assert.equal(canShareScreen({ mediaDevices: withDisplay, userAgent: IPHONE_UA }), false);
  assert.equal(canShareScreen({ mediaDevices: withDisplay, userAgent: DESKTOP_UA, userAgentData: { mobile: true } }), false);
  assert.equal(canShareScreen({ mediaDevices: {}, userAgent: DESKTOP_UA }), false);
  assert.equal(canShareScreen({ userAgent: DESKTOP_UA }), false);
  assert.equal(canShareScreen(undefined), false);
});

test("the shared surface is reported only with the protocol's names", () => {
  assert.equal(shareSurface({ displaySurface: "monitor" }), "monitor");
  assert.equal(shareSurface({ displaySurface: "browser" }), "browser");
  assert.equal(shareSurface({ displaySurface: "application" }), null);
  assert.equal(shareSurface({}), null);
  assert.equal(shareSurface(undefined), null);
});

test("closing the picker is a refusal; anything else failed", () => {
  assert.equal(shareErrorReason({ name: "NotAllowedError" }), "declined");
  assert.equal(shareErrorReason({ name: "AbortError" }), "declined");
  assert.equal(shareErrorReason({ name: "NotReadableError" }), "failed");
  assert.equal(shareErrorReason(null), "failed");
});

const call = (extra = {}) => ({
  id: 7,
  media: "video",
  state: "active",
  agent_sharing: false,
  consumer_sharing: false,
  share_requested: false,
  ...extra,
});

test("an allowed agent on a desktop may share and ask; the consumer has no button until asked", () => {
  assert.deepEqual(shareControls({ party: "agent", call: call(), allowed: true, supported: true, sharing: false }), {
    share: "start",
    ask: "ready",
    prompt: false,
    peerSharing: false,
  });
  assert.deepEqual(shareControls({ party: "consumer", call: call(), allowed: true, supported: true, sharing: false }), {
    share: "hidden",
    ask: "hidden",
    prompt: false,
    peerSharing: false,
  });
});

test("asked, a desktop consumer sees the prompt; a phone does not, and the agent waits", () => {
  const asked = call({ share_requested: true });
  assert.equal(shareControls({ party: "consumer", call: asked, allowed: true, supported: true, sharing: false }).prompt, true);
  assert.equal(shareControls({ party: "consumer", call: asked, allowed: true, supported: false, sharing: false }).prompt, false);
  assert.equal(shareControls({ party: "agent", call: asked, allowed: true, supported: true, sharing: false }).ask, "waiting");
});

test("without the permission (kill switch or profile) nothing starts, but a running share can stop", () => {
  const none = shareControls({ party: "agent", call: call(), allowed: false, supported: true, sharing: false });
  assert.equal(none.share, "hidden");
  assert.equal(none.ask, "hidden");
  assert.equal(shareControls({ party: "agent", call: call(), allowed: false, supported: true, sharing: true }).share, "stop");
  assert.equal(shareControls({ party: "consumer", call: call({ share_requested: true }), allowed: false, supported: true, sharing: false }).prompt, false);
});

test("voice calls, ringing and ended calls have no share controls", () => {
  for (const c of [call({ media: "voice" }), call({ state: "ringing" }), call({ state: "completed" }), null]) {
    const controls = shareControls({ party: "agent", call: c, allowed: true, supported: true, sharing: false });
    assert.equal(controls.share, "hidden");
    assert.equal(controls.ask, "hidden");
  }
});

test("each side sees when the other is sharing; the agent does not ask a consumer who already shares", () => {
  const consumerShares = call({ consumer_sharing: true });
  const agentView = shareControls({ party: "agent", call: consumerShares, allowed: true, supported: true, sharing: false });
  assert.equal(agentView.peerSharing, true);
  assert.equal(agentView.ask, "hidden");
  assert.equal(shareControls({ party: "consumer", call: call({ agent_sharing: true }), allowed: true, supported: true, sharing: false }).peerSharing, true);
});

test("share frames change the call as the server did", () => {
  const base = call();
  const asked = withShareFrame(base, { type: "call.share.request", call_id: 7, from: "agent" });
  assert.equal(asked.share_requested, true);
  const sharing = withShareFrame(asked, { type: "call.share", call_id: 7, from: "consumer", sharing: true });
  assert.equal(sharing.consumer_sharing, true);
  assert.equal(sharing.share_requested, false, "the consumer's share answers the request");
  assert.equal(withShareFrame(sharing, { type: "call.share", call_id: 7, from: "consumer", sharing: false }).consumer_sharing, false);
  assert.equal(withShareFrame(asked, { type: "call.share.decline", call_id: 7, from: "consumer" }).share_requested, false);
  assert.equal(withShareFrame(base, { type: "call.share", call_id: 7, from: "agent", sharing: true }).agent_sharing, true);
  assert.equal(withShareFrame(base, { type: "call.share", call_id: 8, from: "agent", sharing: true }), base, "another call's frame");
});
