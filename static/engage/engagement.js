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
 * It also reports the window's call events to the account's tracker (Google Analytics, Piwik/Matomo,
 * Webtrekk/Mapp or Tealium), when the account set one: the page's own copy of that tracker when it has
 * one, else the library loaded from its vendor's standard location with the account's ids. Public API: window.vvcEngagement.open() / .close().
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
    frame.allow = "camera; microphone; autoplay; display-capture"; // display-capture: screen sharing when the agent asks
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

  // --- analytics: the account's tracker, the page's own copy or loaded from its standard location -------
  //
  // The account's tracker and its ids come with the SDK config. A tracker the page already has is reused;
  // otherwise its library is loaded from where its vendor serves it (docs/engagement.md, "Analytics"):
  //   Google Analytics  https://www.googletagmanager.com/gtag/js?id=MEASUREMENT_ID
  //   Matomo / Piwik    TRACKER_URL + "matomo.js" (tracking requests to TRACKER_URL + "matomo.php", SITE_ID)
  //   Webtrekk / Mapp   https://responder.wt-safetag.com/resp/api/get/TRACK_ID (Tag Integration; TRACK_DOMAIN)
  //   Tealium iQ        https://tags.tiqcdn.com/utag/ACCOUNT/PROFILE/ENVIRONMENT/utag.js
  // The brand page's Content-Security-Policy must allow that origin in script-src (and the tracker's
  // collection host in connect-src/img-src); the page's CSP is the brand's, we cannot widen it.

  var LIBRARY_WAIT_MS = 30000;
  var analytics = null; // {tracker, config} once the SDK config arrived
  var early = []; // events that came before the config
  var queue = []; // events waiting for a library that is still loading
  var adapter = null;
  var waitTimer = null;

  function loadScript(src) {
    var tag = document.createElement("script");
    tag.async = true;
    tag.src = src;
    tag.setAttribute("data-vvc-tracker", "");
    tag.addEventListener("load", flush);
    (document.head || document.body).appendChild(tag);
  }

  function pageLoads(pattern) {
    var scripts = document.getElementsByTagName("script");
    for (var i = 0; i < scripts.length; i++) if (pattern.test(scripts[i].src || "")) return true;
    return false;
  }

  /** "https://m.example/", ".../matomo.php", ".../piwik.js" -> "https://m.example/" */
  function matomoBase(url) {
    if (!url) return "";
    return url.replace(/(matomo|piwik)\.(php|js)(\?.*)?$/, "").replace(/\/?$/, "/");
  }

  function eventParams(m) {
    var p = { event_category: CATEGORY, call_media: m.media, call_id: m.call_id };
    if (m.duration_s !== undefined) p.call_duration_s = m.duration_s;
    return p;
  }

  var ADAPTERS = {
    google_analytics: function (config) {
      var id = config.measurement_id;
      if (typeof window.gtag !== "function") {
        // gtag.js's own snippet: the queue first, then the library with the measurement id.
        window.dataLayer = window.dataLayer || [];
        window.gtag = function () {
          window.dataLayer.push(arguments);
        };
        window.gtag("js", new Date());
        window.gtag("config", id, { send_page_view: false });
        loadScript("https://www.googletagmanager.com/gtag/js?id=" + encodeURIComponent(id));
      }
      return {
        ready: function () {
          return typeof window.gtag === "function";
        },
        send: function (m) {
          var p = eventParams(m);
          p.send_to = id;
          window.gtag("event", m.event, p);
        },
      };
    },
    piwik: function (config) {
      var base = matomoBase(config.tracker_url);
      var endpoint = base + "matomo.php";
      var siteId = config.site_id;
      var lib = function () {
        var m = window.Matomo || window.Piwik;
        return m && typeof m.getTracker === "function" ? m : null;
      };
      if (!lib() && !pageLoads(/(matomo|piwik)\.js/)) {
        if (base) {
          window._paq = window._paq || [];
          window._paq.push(["setTrackerUrl", endpoint]);
          window._paq.push(["setSiteId", siteId]);
          loadScript(base + "matomo.js");
        } else {
          console.warn(TAG + " Matomo/Piwik is the account's tracker, but it has no tracker_url and this page loads no matomo.js.");
        }
      }
      return {
        ready: function () {
          return true; // Matomo's queue runs pushed functions once the library is there
        },
        send: function (m) {
          // A tracker of our own (the account's site id and URL), so the page's own tracking is untouched.
          var track = function () {
            var url = base ? endpoint : lib().getAsyncTracker().getTrackerUrl(); // no URL set: the page's server
            var tracker = lib().getTracker(url, siteId);
            tracker.trackEvent(CATEGORY, m.event, m.media + " " + m.call_id, m.duration_s);
          };
          if (lib()) track();
          else (window._paq = window._paq || []).push([track]);
        },
      };
    },
    webtrekk: function (config) {
      var instance = null;
      var make = function () {
        if (instance) return instance;
        if (typeof window.webtrekkV3 === "function") {
          var options = { trackId: config.track_id, domain: location.hostname };
          if (config.track_domain) options.trackDomain = config.track_domain;
          instance = new window.webtrekkV3(options);
        } else if (window.wt && typeof window.wt.sendinfo === "function") {
          instance = window.wt; // the page's own pixel (its track id)
        }
        return instance;
      };
      if (!make() && !pageLoads(/webtrekk|wt-safetag|mapp/i)) {
        // Mapp (Webtrekk) Tag Integration: the loader for this track id, which brings the pixel.
        window._tiConfig = window._tiConfig || {
          tiDomain: "responder.wt-safetag.com",
          tiId: config.track_id,
          trackId: config.track_id,
          trackDomain: config.track_domain || "",
          option: {},
        };
        loadScript(
          "https://responder.wt-safetag.com/resp/api/get/" + encodeURIComponent(config.track_id) +
            "?url=" + encodeURIComponent(location.href) + "&v=5"
        );
      }
      return {
        ready: function () {
          return !!make();
        },
        send: function (m) {
          var click = { 1: m.media, 2: String(m.call_id) };
          if (m.duration_s !== undefined) click[3] = String(m.duration_s);
          make().sendinfo({ linkId: m.event, customClickParameter: click });
        },
      };
    },
    tealium: function (config) {
      var ready = function () {
        return !!(window.utag && typeof window.utag.link === "function");
      };
      if (!ready() && !pageLoads(/\/utag\.js/)) {
        window.utag_data = window.utag_data || {};
        loadScript(
          "https://tags.tiqcdn.com/utag/" + encodeURIComponent(config.account) + "/" +
            encodeURIComponent(config.profile) + "/" + encodeURIComponent(config.environment || "prod") + "/utag.js"
        );
      }
      return {
        ready: ready,
        send: function (m) {
          var data = { event_name: m.event, event_category: CATEGORY, call_media: m.media, call_id: String(m.call_id) };
          if (m.duration_s !== undefined) data.call_duration_s = String(m.duration_s);
          window.utag.link(data);
        },
      };
    },
  };

  function flush() {
    if (!adapter) return;
    while (queue.length && adapter.ready()) {
      var m = queue.shift();
      try {
        adapter.send(m);
      } catch (error) {
        console.warn(TAG + " The tracker failed:", error);
      }
    }
    if (queue.length && !waitTimer) {
      // Libraries announce nothing when they are ready: look again until they are, for a while.
      var since = Date.now();
      waitTimer = setInterval(function () {
        flush();
        if (!queue.length || Date.now() - since > LIBRARY_WAIT_MS) {
          if (queue.length) console.warn(TAG + " The " + analytics.tracker + " library did not load; " + queue.length + " event(s) dropped.");
          queue.length = 0;
          clearInterval(waitTimer);
          waitTimer = null;
        }
      }, 250);
    }
  }

  function useAnalytics(tracker, config) {
    analytics = { tracker: tracker || "none", config: config || {} };
    var make = ADAPTERS[analytics.tracker];
    if (make) {
      try {
        adapter = make(analytics.config);
      } catch (error) {
        console.warn(TAG + " The " + analytics.tracker + " tracker could not be set up:", error);
      }
    }
    var waiting = early.splice(0);
    for (var i = 0; i < waiting.length; i++) track(waiting[i]);
  }

  function track(m) {
    // Only the five known events with their fields are ever passed on: nothing else from the frame.
    if (EVENTS.indexOf(m.event) === -1 || (m.media !== "voice" && m.media !== "video")) return;
    if (typeof m.call_id !== "number" || !Number.isInteger(m.call_id)) return;
    if (!analytics) {
      early.push(m);
      return;
    }
    if (!adapter || m.tracker !== analytics.tracker) return; // "none", or a tracker this version does not know
    var event = { event: m.event, media: m.media, call_id: m.call_id };
    if (m.event === "vvc_call_ended" && typeof m.duration_s === "number" && m.duration_s >= 0) {
      event.duration_s = Math.round(m.duration_s);
    }
    queue.push(event);
    flush();
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
        useAnalytics(config.analytics_tracker, config.analytics_config);
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
