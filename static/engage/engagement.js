/*
 * Voice & Video engagement tag. A brand puts it on every page of its site:
 *
 *   <script src="https://OUR_HOST/static/engage/engagement.js" data-account="SLUG" async></script>
 *
 * Optional attributes: data-locale="de" (default: the page's lang, then the browser's language),
 * data-open="true" (open the window at once).
 *
 * It adds a launcher button and, in the embedded state, our messaging window in an <iframe> served
 * from our origin (the origin this script was loaded from), so the brand page's scripts and styles
 * cannot reach into it. It refuses to run, with a console error naming the reason, when it is not in
 * the topmost frame or the page is not served over HTTPS (http://localhost and http://127.0.0.1 are
 * allowed for development).
 *
 * It also forwards the window's analytics events to the page's tracker (Google Analytics, Piwik/Matomo,
 * Webtrekk or Tealium), when the account set one. Public API: window.vvcEngagement.open() / .close().
 */
(function () {
  "use strict";

  var TAG = "[vvc engagement]";
  var LOCAL_HOSTS = ["localhost", "127.0.0.1", "[::1]"];
  var CATEGORY = "Voice and video call";
  var EVENTS = [
    "vvc_invitation_shown",
    "vvc_invitation_accepted",
    "vvc_invitation_rejected",
    "vvc_call_started",
    "vvc_call_ended",
  ];

  var script = document.currentScript;
  if (!script || !script.src) {
    console.error(TAG + " Not started: load this file with a <script src=...> tag, not inline or as a module.");
    return;
  }
  if (window.top !== window.self) {
    console.error(
      TAG + " Not started: the tag must be in the topmost frame of the page, not inside an iframe."
    );
    return;
  }
  var secure = location.protocol === "https:" || (location.protocol === "http:" && LOCAL_HOSTS.indexOf(location.hostname) !== -1);
  if (!secure) {
    console.error(
      TAG + " Not started: this page is served over " + location.protocol.replace(":", "") +
        "; voice and video calls need HTTPS (plain http is allowed only on localhost)."
    );
    return;
  }
  var account = (script.getAttribute("data-account") || "").trim();
  if (!account) {
    console.error(TAG + ' Not started: the script tag needs data-account="YOUR-ACCOUNT".');
    return;
  }
  if (window.vvcEngagement) {
    console.warn(TAG + " The tag is on this page twice; the second copy does nothing.");
    return;
  }

  var origin = new URL(script.src, location.href).origin;
  var locale = (
    script.getAttribute("data-locale") || document.documentElement.lang || navigator.language || "en"
  ).slice(0, 2).toLowerCase();
  var engagedKey = "vvc." + account + ".engaged";
  var openKey = "vvc." + account + ".open";
  var frame = null;
  var isOpen = false;
  var unread = 0;
  var tracker = null; // from the SDK config; the window names it in each analytics message too

  // --- the launcher and the window's frame, in a shadow root the page's CSS cannot reach -------------

  var host = document.createElement("div");
  host.id = "vvc-engagement";
  host.setAttribute("data-account", account);
  host.style.cssText = "all: initial; position: fixed; z-index: 2147483000; right: 0; bottom: 0; width: 0; height: 0;";
  var shadow = host.attachShadow({ mode: "open" });
  shadow.innerHTML =
    "<style>" +
    ":host { --vvc-brand: #111827; --vvc-brand-text: #ffffff; }" +
    ".launcher { position: fixed; right: 20px; bottom: 20px; width: 60px; height: 60px; border-radius: 50%;" +
    " border: 0; padding: 0; cursor: pointer; background: var(--vvc-brand); color: var(--vvc-brand-text);" +
    " box-shadow: 0 10px 30px -6px rgba(16,24,40,.35), 0 4px 10px -4px rgba(16,24,40,.2);" +
    " display: grid; place-items: center; transition: transform .18s ease, box-shadow .18s ease; }" +
    ".launcher:hover { transform: scale(1.05); }" +
    ".launcher:focus-visible { outline: 3px solid #818cf8; outline-offset: 3px; }" +
    ".launcher svg { width: 28px; height: 28px; fill: none; stroke: currentColor; stroke-width: 2;" +
    " stroke-linecap: round; stroke-linejoin: round; position: absolute; transition: opacity .18s, transform .18s; }" +
    ".launcher .close { opacity: 0; transform: rotate(-45deg); }" +
    ".launcher[aria-expanded=true] .chat { opacity: 0; transform: rotate(45deg); }" +
    ".launcher[aria-expanded=true] .close { opacity: 1; transform: none; }" +
    ".badge { position: absolute; top: -2px; right: -2px; min-width: 20px; height: 20px; padding: 0 6px;" +
    " border-radius: 10px; background: #ef4444; color: #fff; font: 700 12px/20px system-ui, sans-serif;" +
    " box-shadow: 0 0 0 2px #fff; }" +
    ".panel { position: fixed; right: 20px; bottom: 92px; width: 384px; height: min(680px, calc(100vh - 120px));" +
    " border-radius: 18px; overflow: hidden; background: #fff;" +
    " box-shadow: 0 24px 60px -12px rgba(16,24,40,.35), 0 8px 20px -8px rgba(16,24,40,.2);" +
    " transform-origin: bottom right; transition: opacity .2s ease, transform .2s ease, visibility 0s linear .2s;" +
    " opacity: 0; transform: translateY(12px) scale(.98); visibility: hidden; pointer-events: none; }" +
    ".panel.open { opacity: 1; transform: none; visibility: visible; pointer-events: auto;" +
    " transition: opacity .2s ease, transform .2s ease, visibility 0s; }" +
    ".panel.in-call { width: 420px; height: min(720px, calc(100vh - 120px)); }" +
    "iframe { border: 0; width: 100%; height: 100%; display: block; color-scheme: light; }" +
    "@media (max-width: 480px) { .panel { inset: 0; width: 100%; height: 100%; border-radius: 0; }" +
    " .panel.in-call { width: 100%; height: 100%; } .launcher[aria-expanded=true] { display: none; } }" +
    "@media (prefers-reduced-motion: reduce) { .panel, .launcher, .launcher svg { transition: none; } }" +
    "</style>" +
    '<div class="panel" id="vvc-panel" role="dialog" aria-label="Messages"></div>' +
    '<button class="launcher" id="vvc-launcher" type="button" aria-expanded="false" aria-controls="vvc-panel"' +
    ' aria-label="Open messages">' +
    '<svg class="chat" viewBox="0 0 24 24" aria-hidden="true"><path d="M21 12a8 8 0 0 1-11.6 7.1L4 20.5l1.4-4.9A8 8 0 1 1 21 12z"/>' +
    '<path d="M8.5 12h.01M12 12h.01M15.5 12h.01" stroke-width="2.6"/></svg>' +
    '<svg class="close" viewBox="0 0 24 24" aria-hidden="true"><path d="M6 9l6 6 6-6"/></svg>' +
    '<span class="badge" id="vvc-badge" hidden></span>' +
    "</button>";
  var launcher = shadow.getElementById("vvc-launcher");
  var panel = shadow.getElementById("vvc-panel");
  var badge = shadow.getElementById("vvc-badge");

  // The brand's own sessionStorage (this tab, this site): whether the visitor talked to us, and
  // whether the window was open, so that the next page of the site brings it back as it was.
  function remember(key, value) {
    try {
      if (value) sessionStorage.setItem(key, "1");
      else sessionStorage.removeItem(key);
    } catch (e) {
      /* storage blocked: the window is simply not restored on the next page */
    }
  }

  function recalled(key) {
    try {
      return sessionStorage.getItem(key) === "1";
    } catch (e) {
      return false;
    }
  }

  function ensureFrame() {
    if (frame) return frame;
    frame = document.createElement("iframe");
    frame.id = "vvc-frame";
    frame.title = "Messages";
    frame.allow = "camera; microphone; autoplay";
    frame.src =
      origin + "/engage/window/?account=" + encodeURIComponent(account) + "&locale=" + encodeURIComponent(locale);
    panel.appendChild(frame);
    return frame;
  }

  function tellFrame() {
    if (frame && frame.contentWindow) frame.contentWindow.postMessage({ source: "vvc-host", visible: isOpen }, origin);
  }

  function open() {
    ensureFrame();
    isOpen = true;
    unread = 0;
    renderBadge();
    panel.classList.add("open");
    launcher.setAttribute("aria-expanded", "true");
    launcher.setAttribute("aria-label", "Close messages");
    remember(openKey, true);
    tellFrame();
  }

  function close() {
    isOpen = false;
    panel.classList.remove("open");
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-label", "Open messages");
    remember(openKey, false);
    tellFrame();
  }

  function renderBadge() {
    badge.hidden = unread === 0;
    badge.textContent = unread > 9 ? "9+" : String(unread);
  }

  launcher.addEventListener("click", function () {
    if (isOpen) close();
    else open();
  });

  // --- analytics: the page's own tracker objects ------------------------------------------------------

  function params(m) {
    return { event_category: CATEGORY, call_media: m.media, call_id: m.call_id };
  }

  var TRACKERS = {
    google_analytics: function (m) {
      // gtag.js when the page has it, else Google Tag Manager's data layer.
      if (typeof window.gtag === "function") {
        var p = params(m);
        if (m.send_to) p.send_to = m.send_to;
        window.gtag("event", m.event, p);
      } else {
        window.dataLayer = window.dataLayer || [];
        var entry = params(m);
        entry.event = m.event;
        window.dataLayer.push(entry);
      }
    },
    piwik: function (m) {
      // Matomo/Piwik's async queue: trackEvent(category, action, name).
      window._paq = window._paq || [];
      window._paq.push(["trackEvent", CATEGORY, m.event, m.media]);
    },
    webtrekk: function (m) {
      // Webtrekk Pixel v4/v5 (`var wt = new webtrekkV3(...)`): an action (click) request named by linkId.
      if (window.wt && typeof window.wt.sendinfo === "function") {
        window.wt.sendinfo({ linkId: m.event });
      } else {
        console.warn(TAG + " Webtrekk is the account's tracker, but this page has no window.wt pixel object.");
      }
    },
    tealium: function (m) {
      if (window.utag && typeof window.utag.link === "function") {
        window.utag.link({ event_name: m.event, event_category: CATEGORY, call_media: m.media, call_id: String(m.call_id) });
      } else {
        console.warn(TAG + " Tealium is the account's tracker, but this page has no utag object (utag.js).");
      }
    },
  };

  function track(m) {
    // Only the five known events with their two fields are ever passed on: nothing else from the frame.
    if (EVENTS.indexOf(m.event) === -1 || (m.media !== "voice" && m.media !== "video")) return;
    if (typeof m.call_id !== "number" || !Number.isInteger(m.call_id)) return;
    var name = tracker || m.tracker;
    if (tracker && m.tracker !== tracker) return;
    var send = TRACKERS[name];
    if (!send) return; // "none", or a tracker this version does not know
    try {
      send({ event: m.event, media: m.media, call_id: m.call_id, send_to: typeof m.send_to === "string" ? m.send_to : undefined });
    } catch (error) {
      console.warn(TAG + " The page's tracker failed:", error);
    }
  }

  // --- messages from our window -----------------------------------------------------------------------

  window.addEventListener("message", function (event) {
    if (event.origin !== origin || !frame || event.source !== frame.contentWindow) return;
    var data = event.data;
    if (!data || data.source !== "vvc") return;
    if (data.kind === "analytics") {
      track(data);
    } else if (data.kind === "ui") {
      if (data.ui === "minimize") close();
      else if (data.ui === "engaged") remember(engagedKey, true);
      else if (data.ui === "attention") open();
      else if (data.ui === "in-call") panel.classList.toggle("in-call", data.value === true);
      else if (data.ui === "message" && !isOpen) {
        unread += 1;
        renderBadge();
      }
    }
  });

  // --- start ------------------------------------------------------------------------------------------

  function start() {
    document.body.appendChild(host);
    // The account's colours for the launcher and, from the same public config, its tracker. An unknown
    // account is said in the console and shows nothing.
    fetch(origin + "/api/v1/sdk/config?account=" + encodeURIComponent(account) + "&locale=" + encodeURIComponent(locale), {
      credentials: "omit",
    })
      .then(function (response) {
        if (response.status === 400) {
          console.error(TAG + ' Not started: the account "' + account + '" does not exist or is not active.');
          host.remove();
          return null;
        }
        return response.ok ? response.json() : null;
      })
      .then(function (config) {
        if (!config) return;
        tracker = config.analytics_tracker || null;
        var colour = /^#(?:[0-9a-f]{3}|[0-9a-f]{6}|[0-9a-f]{8})$/i;
        var style = config.style || {};
        if (colour.test(style.webview_bar_background)) host.style.setProperty("--vvc-brand", style.webview_bar_background);
        if (colour.test(style.webview_bar_text_color)) host.style.setProperty("--vvc-brand-text", style.webview_bar_text_color);
      })
      .catch(function () {
        if (location.origin !== origin) {
          // From another origin, an unreadable answer is almost always CORS: this page's origin is not
          // one of the account's allowed origins, so our window may not be framed here either.
          console.error(
            TAG + " Not started: " + location.origin + ' is not one of the allowed origins of the account "' + account +
              '" (ask support to add it; exact scheme, host and port), or ' + origin + " is unreachable.",
          );
          host.remove();
        }
        /* same origin and offline: the launcher keeps its default colours; the window reports its own trouble */
      });
    // A visitor who already talked to us in this tab gets the window back on every page (minimised),
    // so an invitation reaches them wherever they are on the site.
    if (recalled(engagedKey)) ensureFrame();
    if (script.getAttribute("data-open") === "true" || (recalled(engagedKey) && recalled(openKey))) open();
  }

  window.vvcEngagement = { open: open, close: close, origin: origin, account: account };
  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
