// Consumer-side analytics, the window's half: tell the brand page (engagement.js) what happened to an
// invitation or a call, so that it reports it to the page's own tracker (Google Analytics, Piwik/Matomo,
// Webtrekk or Tealium). Nothing is posted when the account set no tracker.
//
// A message carries the event, the media and the call id (and a call's duration), nothing about the person:
//   {source: "vvc", kind: "analytics", event, media, call_id, tracker[, duration_s][, send_to]}
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

/** Seconds from start to end of a call that started, else undefined. */
export function callDuration(call) {
  if (Number.isFinite(call?.duration_s)) return Math.max(0, Math.round(call.duration_s));
  const started = Date.parse(call?.started_at ?? "");
  const ended = Date.parse(call?.ended_at ?? "");
  return Number.isFinite(started) && Number.isFinite(ended) ? Math.max(0, Math.round((ended - started) / 1000)) : undefined;
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
    const duration = callDuration(call);
    if (event === "call_ended" && duration !== undefined) message.duration_s = duration;
    if (tracker === "google_analytics" && analytics.config?.measurement_id) message.send_to = analytics.config.measurement_id;
    target.postMessage(message, "*");
  };
}

/**
 * The webview's reporter: a mobile app has no brand page around our page, so the events go to the app,
 * which reports them with its own tracker SDK. The bridges, first found wins (docs/engagement.md):
 *   Android  @JavascriptInterface named "VvcAnalytics": VvcAnalytics.postMessage(jsonString)
 *   iOS      WKScriptMessageHandler named "vvcAnalytics": webkit.messageHandlers.vvcAnalytics.postMessage(object)
 *   React Native WebView: ReactNativeWebView.postMessage(jsonString)
 * The message is the window's one plus the account's tracker config (its public ids), so the app
 * can report with the same ids. With tracker "none", or no bridge, nothing is sent.
 */
export function createAppBridgeReporter(analytics, scope = window) {
  const tracker = analytics?.tracker ?? "none";
  if (tracker === "none") return () => {};
  const bridges = [
    () => scope.VvcAnalytics?.postMessage && ((m) => scope.VvcAnalytics.postMessage(JSON.stringify(m))),
    () => scope.webkit?.messageHandlers?.vvcAnalytics && ((m) => scope.webkit.messageHandlers.vvcAnalytics.postMessage(m)),
    () => scope.ReactNativeWebView?.postMessage && ((m) => scope.ReactNativeWebView.postMessage(JSON.stringify(m))),
  ];
  const target = {
    postMessage(message) {
      for (const find of bridges) {
        const send = find();
        if (send) {
          send({ ...message, config: { ...(analytics.config ?? {}) } });
          return;
        }
      }
    },
  };
  return createReporter(analytics, target);
}
