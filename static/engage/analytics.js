// Consumer-side analytics, the window's half: tell the brand page (engagement.js) what happened to an
// invitation or a call, so that it reports it to the page's own tracker (Google Analytics, Piwik/Matomo,
// Webtrekk or Tealium). Nothing is posted when the account set no tracker.
//
// A message carries the event, the media and the call id, nothing about the person:
//   {source: "vvc", kind: "analytics", event, media, call_id, tracker[, send_to]}
// It is posted with targetOrigin "*" because the window cannot know the brand page's origin; the
// receiving engagement.js checks that the message comes from our origin and our iframe.

export const EVENTS = ["invitation_shown", "invitation_accepted", "invitation_rejected", "call_started", "call_ended"];
export const EVENT_PREFIX = "vvc_";

function storage() {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

/**
 * @param {{tracker: string, config: object}} analytics  the account's public analytics settings
 * @param {Window} [target]  where to post (the brand page: window.parent)
 * @returns {(event: string, call: {id: number, media: string}) => void}
 */
export function createReporter(analytics, target = window.parent) {
  const tracker = analytics?.tracker ?? "none";
  if (tracker === "none" || !target || target === window) return () => {};
  const sent = new Set();
  return function report(event, call) {
    if (!EVENTS.includes(event) || !call) return;
    // Once per call and event, also across a reload of the window (the same tab).
    const key = `vvc.reported.${call.id}.${event}`;
    if (sent.has(key) || storage()?.getItem(key)) return;
    sent.add(key);
    try {
      storage()?.setItem(key, "1");
    } catch {
      /* kept in memory only */
    }
    const message = { source: "vvc", kind: "analytics", event: EVENT_PREFIX + event, media: call.media, call_id: call.id, tracker };
    if (tracker === "google_analytics" && analytics.config?.measurement_id) message.send_to = analytics.config.measurement_id;
    target.postMessage(message, "*");
  };
}
