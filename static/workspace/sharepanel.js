// The agent's screen sharing on the call stage (issue 16): "Share screen" / "Stop sharing", "Ask for
// screen" (the consumer's window shows a consent prompt), and what the agent sees of either share.
// The share itself runs in static/calls/share.js on the call's CallSession; words are the account's
// texts (state.texts, the account's locale). callpanel.js calls attachShare/detachShare/renderShare.

import { canShareScreen, ScreenShare, shareControls, withShareFrame } from "../calls/share.js";
import { socket, state } from "./context.js";
import { $, announce, el, icon, toast } from "./dom.js";
import { consumerName } from "./format.js";
import { showSelf } from "../calls/selfview.js";

const supported = canShareScreen();
let share = null;
let rerender = () => {};

/** Fill an account text's {placeholders} (texts are plain: the page sets them as textContent). */
function words(key, values = {}) {
  return String(state.texts[key] ?? "").replace(/\{(\w+)\}/g, (_, name) => values[name] ?? "");
}

function who() {
  const call = state.call;
  return consumerName(call ? state.conversations.get(call.conversation_id) : null, state.texts);
}

/** The live CallSession started: its share, and a correction if a reload left the server thinking we share. */
export function attachShare(session, call, onChange) {
  rerender = onChange;
  share = new ScreenShare({ session, socket });
  const mine = share;
  share.addEventListener("change", () => {
    if (share !== mine) return;
    showSelf($("ws-local-video"), mine.track ? new MediaStream([mine.track]) : session.localStream);
    if (state.call) state.call = { ...state.call, agent_sharing: mine.sharing };
    rerender();
  });
  share.addEventListener("error", ({ detail }) => {
    // A closed picker is the agent's own choice; a refusal is already on screen (the error frame).
    if (detail.reason === "failed") toast(words("share_failed"), { title: words("call_share_screen"), tone: "error" });
  });
  share.reconcile(call, "agent");
}

/** The session is going (the call ended, or a rejoin replaces it): closing it releases the share's
 * track; the server ended the share with the call, so nothing is sent. */
export function detachShare() {
  share = null;
}

/** The share frames of the consumer's side: `call.share` (from the consumer) and `call.share.decline`. */
export function applyShareFrame(frame) {
  if (!state.call || frame.call_id !== state.call.id) return;
  state.call = withShareFrame(state.call, frame);
  if (frame.type === "call.share") {
    announce(words(frame.sharing ? "share_peer_sharing" : "share_peer_stopped", { name: who() }));
  } else if (frame.type === "call.share.decline") {
    const key = frame.reason === "unsupported" ? "share_unsupported" : "share_declined";
    toast(words(key, { name: who() }), { title: words("call_ask_to_share") });
  }
  rerender();
}

/** The chips over the consumer's video: the consumer shares, or we wait for them to. */
export function shareChips() {
  const call = state.call;
  const chips = [];
  if (call?.consumer_sharing) chips.push(chip("screen", words("share_peer_sharing", { name: who() })));
  else if (call?.share_requested) chips.push(chip("screen", words("share_request_sent", { name: who() })));
  return chips;
}

function chip(iconName, text) {
  return el("li", { className: "ws-peer-chip ws-share-chip" }, [icon(iconName), el("span", { text })]);
}

/** Buttons and banner for the call as it is now (in renderStage). */
export function renderShare() {
  const call = state.call;
  const sharing = !!share?.sharing;
  const controls = shareControls({ party: "agent", call, allowed: !!state.permissions.share, supported, sharing });
  const button = $("ws-share");
  button.hidden = controls.share === "hidden";
  button.setAttribute("aria-pressed", String(sharing));
  button.querySelector(".ws-ctl-label").textContent = words(sharing ? "call_stop_sharing" : "call_share_screen");
  button.disabled = !share || share.busy || !share.session.pc || state.ending;
  const ask = $("ws-ask-share");
  ask.hidden = controls.ask === "hidden";
  ask.disabled = !share || state.ending;
  ask.querySelector(".ws-ctl-label").textContent = words("call_ask_to_share");
  const banner = $("ws-share-banner");
  banner.hidden = !sharing;
  $("ws-share-banner-text").textContent = words("share_own_sharing");
  $("ws-share-stop").textContent = words("call_stop_sharing");
  $("ws-stage").dataset.peerSharing = String(controls.peerSharing);
  $("ws-local").dataset.sharing = String(sharing);
  // Support switched sharing off (or took the grant away) while we share: stop, as the rule now says.
  if (sharing && !state.permissions.share) share.stop().catch(() => {});
}

export function wireShare() {
  $("ws-share").addEventListener("click", () => {
    if (!share) return;
    if (share.sharing) share.stop().catch(() => {});
    else share.start();
  });
  $("ws-share-stop").addEventListener("click", () => share?.stop().catch(() => {}));
  $("ws-ask-share").addEventListener("click", async () => {
    const call = state.call;
    if (!call) return;
    try {
      await socket.command({ type: "call.share.request", call_id: call.id });
    } catch {
      return; // the error frame is on screen
    }
    state.call = withShareFrame(state.call, { type: "call.share.request", call_id: call.id });
    announce(words("share_request_sent", { name: who() }));
    rerender();
  });
}
