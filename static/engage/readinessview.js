// Readiness inside the invitation (the embedded window and the webview page): when an invitation
// shows, check this device and network without asking for the camera or microphone
// (static/calls/readiness.js), say in the account's words whether the call will work and how, offer
// the answers that can work (Audio only without a camera; only Decline when the call cannot start),
// and report the facts to the server, which keeps the causes and tells the agent.
//
// It follows the CallController (callview.js): its `change` events say which call rings (with the
// `ice_check` configuration to probe); `beforeAnswer` runs just before Accept or Decline is sent, so
// a check still running is cut short and its report goes first on the socket.

import { checkBrowser } from "/engage/sdk/v1/callclient.js";
import { ReadinessCheck, readinessView } from "../calls/readiness.js";

const ICONS = { ok: "i-check", warn: "i-alert", error: "i-alert", checking: "i-wifi" };

/**
 * @param {import("./callview.js").CallController} controller
 * @param {object} opts
 * @param {object} opts.texts       the account's texts (the controller's, kept current by settings frames)
 * @param {object[]} opts.browsers  the SDK config's supported browsers
 */
export function attachReadiness(controller, { texts, browsers }) {
  const $ = (id) => document.getElementById(id);
  const panel = $("engage-readiness");
  let current = null; // {callId, media, check, reported: string|null, serverCauses: string[]|null}

  function socket() {
    return controller.socket;
  }

  function send(entry) {
    const frame = entry.check.report(entry.callId);
    const said = JSON.stringify([frame.client, frame.network]);
    if (entry.reported === said || !socket()) return;
    entry.reported = said;
    socket()
      .command(frame)
      .then((answer) => {
        // The server is the judge (its browser floors): show what it found.
        if (current === entry && Array.isArray(answer?.causes)) {
          entry.serverCauses = answer.causes;
          render();
        }
      })
      .catch(() => {
        /* the invitation ended meanwhile: nothing to report any more */
      });
  }

  function stop() {
    if (!current) return;
    current.check.stop();
    current = null;
    panel.hidden = true;
    $("engage-accept").hidden = false; // the next invitation starts from the usual answers
    $("engage-accept-audio").classList.remove("invitation-audio-main");
    delete $("engage-invitation").dataset.offer;
  }

  function start(call, iceCheck) {
    stop();
    const check = new ReadinessCheck({
      ice: iceCheck ?? { iceServers: [] },
      media: call.media,
      browserSupported: checkBrowser(browsers ?? []).supported,
    });
    const entry = { callId: call.id, media: call.media, check, reported: null, serverCauses: null };
    current = entry;
    check.addEventListener("change", () => {
      if (current !== entry) return;
      entry.serverCauses = null;
      render();
      if (check.done) send(entry);
    });
    check.start().catch((error) => console.warn("readiness check:", error));
  }

  function render() {
    const entry = current;
    if (!entry || !entry.check.devicesKnown) {
      panel.hidden = true;
      return;
    }
    const causes = entry.serverCauses ?? entry.check.causes;
    const view = readinessView(causes, { media: entry.media, pending: entry.check.pending, texts });
    panel.dataset.tone = view.tone;
    panel.dataset.causes = causes.join(" ");
    $("engage-readiness-list").replaceChildren(...view.lines.map(line));
    panel.hidden = false;
    // The answers that can work: Audio only (as the main answer) without a camera; none without a
    // microphone or a supported browser (the call would fail at once), so only Decline is left.
    const video = entry.media === "video";
    $("engage-accept").hidden = view.offer !== "accept";
    $("engage-accept-audio").hidden = !video || view.offer === "decline_only";
    $("engage-accept-audio").classList.toggle("invitation-audio-main", view.offer === "audio_only");
    $("engage-invitation").dataset.offer = view.offer;
    $("engage-invitation-note").textContent =
      view.offer === "decline_only" ? "" : texts[`invitation_devices_note_${video && view.offer === "accept" ? "video" : "voice"}`];
  }

  function line({ key, tone, text }) {
    const item = document.createElement("li");
    item.className = "readiness-item";
    item.dataset.tone = tone;
    item.dataset.key = key;
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("class", "ic");
    svg.setAttribute("aria-hidden", "true");
    const use = document.createElementNS("http://www.w3.org/2000/svg", "use");
    use.setAttribute("href", `#${ICONS[tone] ?? "i-alert"}`);
    svg.append(use);
    const words_ = document.createElement("span");
    words_.textContent = text; // the account's text: never HTML
    item.append(svg, words_);
    return item;
  }

  controller.addEventListener("change", ({ detail }) => {
    const call = detail?.call;
    if (!call) {
      if (current) render(); // support changed the texts (a settings frame): the same words, updated
      return;
    }
    if (call.state !== "ringing") {
      stop(); // answered, declined, withdrawn or missed: nothing more to check
      return;
    }
    if (current?.callId !== call.id) start(call, detail.iceCheck);
    else render(); // the invitation was drawn again (a reload's hello): keep the check, redraw the answers
  });

  // Accept or Decline is about to go: a check still running stops here, and its report (what it
  // knows so far) goes first on the socket. Not awaited: the answer is not delayed by it.
  controller.beforeAnswer = (call) => {
    if (!current || current.callId !== call.id) return;
    if (!current.check.done) current.check.stop();
    send(current);
  };

  // A microphone or camera plugged in (or out) while the invitation rings: check the devices again.
  navigator.mediaDevices?.addEventListener?.("devicechange", () => {
    const entry = current;
    if (!entry) return;
    entry.check.refreshDevices().then(() => entry.check.done && current === entry && send(entry));
  });

  return { get check() { return current?.check ?? null; } };
}
