// Continue on my phone, on the phone: the page a handoff link opens (/go/CODE, served with the webview
// page's markup and config.handoff). It shows the account's words and the camera to show (the back
// camera first: the page's own use is showing a modem and its cables), and "Continue here" claims the
// code (POST /api/v1/handoffs/claim). The claim's answer is this phone's own consumer token, kept in
// memory only; webview.js then runs the call with it. A refused code says why in the account's words.

import { clientCapabilities } from "/engage/sdk/v1/callclient.js";
import { codeFromPath, refusalWords } from "./handoff_rules.js";

/**
 * Wait for the person to claim the call on this phone. Resolves with {token, facing} once the server
 * moved the call here; never resolves for a code that cannot be used (the page says why).
 * @param {object} config  the page's config (config.handoff from the server)
 */
export function claimOnThisPhone(config, $ = (id) => document.getElementById(id)) {
  const handoff = config.handoff;
  $("engage-root").dataset.state = "handoff";
  if (handoff.problem) return new Promise(() => {});
  let facing = handoff.media === "video" ? "environment" : "user";
  for (const button of document.querySelectorAll(".hc-camera")) {
    button.addEventListener("click", () => {
      facing = button.dataset.facing;
      for (const other of document.querySelectorAll(".hc-camera")) other.setAttribute("aria-checked", String(other === button));
    });
  }
  const join = $("engage-handoff-join");
  const error = $("engage-handoff-error");
  return new Promise((resolve) => {
    join.addEventListener("click", async () => {
      join.disabled = true;
      join.textContent = config.texts.handoff_moving;
      error.hidden = true;
      let response = null;
      let body = null;
      try {
        response = await fetch(handoff.claim_url, {
          method: "POST",
          credentials: "omit",
          headers: { "Content-Type": "application/json", Accept: "application/json" },
          body: JSON.stringify({
            code: codeFromPath(location.pathname),
            call_id: handoff.call_id,
            account: config.account,
            client: await clientCapabilities(),
          }),
        });
        body = await response.json();
      } catch {
        body = null;
      }
      if (response?.ok && body?.consumer_token) {
        $("engage-handoff").hidden = true;
        $("engage-root").dataset.state = "starting";
        resolve({ token: body.consumer_token, facing });
        return;
      }
      error.textContent = refusalWords(body, config.texts.error_connection_failed);
      error.dataset.reason = body?.reason ?? "network";
      error.hidden = false;
      join.textContent = config.texts.handoff_phone_join;
      // A network failure may be tried again; a refused code stays refused.
      join.disabled = Boolean(response);
      join.hidden = Boolean(response);
    });
  });
}
