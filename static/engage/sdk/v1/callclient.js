// The public call client, version 1 (docs/engagement.md, "The call client API").
//
//   import * as vvc from "https://CALLS_HOST/engage/sdk/v1/callclient.js";
//
// Served with CORS from /engage/sdk/v1/ (ES modules, no build step). Within v1 nothing documented is
// removed or changes meaning; additions only. Our own messaging window and webview import this file.
//
// Exports: VERSION, Platform (config, conversations, the consumer socket), checkBrowser, CallSession,
// SignalingSocket, clientCapabilities, prepareMedia and dropPrepared (the camera and microphone asked
// for at the click on Accept), mediaErrorReason, BITRATE, CLOSE_CODES, ScreenShare, canShareScreen,
// and the readiness check before accept (ReadinessCheck, readinessCauses, readinessView).

export { BITRATE, CallSession, clientCapabilities, dropPrepared, mediaErrorReason, prepareMedia } from "./session.js";
export { ReadinessCheck, readinessCauses, readinessView } from "./readiness.js";
export { SignalingSocket } from "./signaling.js";
export { canShareScreen, ScreenShare } from "./share.js";
import { SignalingSocket } from "./signaling.js";

export const VERSION = "1.0.0";

/** Close codes of the signaling socket (docs/protocol.md). 4401 and 4403 are final: do not retry. */
export const CLOSE_CODES = Object.freeze({
  NOT_AUTHENTICATED: 4401,
  FORBIDDEN: 4403,
  FLOODING: 4008,
  TOO_MANY_SOCKETS: 4429,
  UNAVAILABLE: 4503,
});

/** An API refusal: `status` is the HTTP status, `fields` the field errors of a 400 ({field: [message]}). */
export class PlatformError extends Error {
  constructor(message, { status = 0, fields = {} } = {}) {
    super(message);
    this.name = "PlatformError";
    this.status = status;
    this.fields = fields;
  }
}

/**
 * The platform as seen from a brand's page: its SDK config, new conversations, the consumer socket.
 * @param {object} opts
 * @param {string} opts.origin   the calls platform, e.g. "https://calls.example.com" (default: where this module came from)
 * @param {string} opts.account  the account's slug
 * @param {string} [opts.locale] en, de, fr or es (default: the account's)
 */
export class Platform {
  constructor({ origin = new URL(import.meta.url).origin, account, locale } = {}) {
    if (!account) throw new PlatformError("Platform needs the account's slug.");
    this.origin = origin.replace(/\/$/, "");
    this.account = account;
    this.locale = locale;
  }

  /** GET /api/v1/sdk/config: texts, style, kill switches, supported browsers. */
  async config() {
    const query = new URLSearchParams({ account: this.account, ...(this.locale ? { locale: this.locale } : {}) });
    return this.#json(await this.#fetch(`/api/v1/sdk/config?${query}`, { credentials: "omit" }));
  }

  /** POST /api/v1/conversations/: {id, state, consumer_token, websocket_url}. Keep the token like a password. */
  async startConversation({ consumerName = "", consumerRef = "" } = {}) {
    const body = { account: this.account, consumer_name: consumerName, consumer_ref: consumerRef };
    if (this.locale) body.locale = this.locale;
    const response = await this.#fetch("/api/v1/conversations/", {
      method: "POST",
      credentials: "omit",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    return this.#json(response);
  }

  /** The consumer's signaling socket for a conversation's token (not yet connected: call connect()). */
  consumerSocket(token) {
    const url = new URL(`/ws/consumer/?token=${encodeURIComponent(token)}`, this.origin);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    return new SignalingSocket(url.href);
  }

  async #fetch(path, init) {
    try {
      return await fetch(this.origin + path, { mode: "cors", ...init });
    } catch (error) {
      // A CORS refusal looks like a network error from here: say what usually causes it.
      throw new PlatformError(
        `${path}: no answer readable from this page (${error.message}). Is ${location.origin} one of the account's allowed origins?`,
      );
    }
  }

  async #json(response) {
    let data = null;
    try {
      data = await response.json();
    } catch {
      /* no JSON body */
    }
    if (!response.ok) {
      const fields = data && typeof data === "object" && !data.detail ? data : {};
      throw new PlatformError(data?.detail ?? `HTTP ${response.status}`, { status: response.status, fields });
    }
    return data;
  }
}

// Browser families as ua-parser (the server's check) names them; the server stays the judge at call.accept.
const FAMILIES = [
  [/HeadlessChrome\/(\d+)/, () => "HeadlessChrome"],
  [/Edg(?:e|A|iOS)?\/(\d+)/, (ua) => (/Mobile/.test(ua) ? "Edge Mobile" : "Edge")],
  [/(?:OPR|Opera)\/(\d+)/, () => "Opera"],
  [/SamsungBrowser\/(\d+)/, () => "Samsung Internet"],
  [/CriOS\/(\d+)/, () => "Chrome Mobile iOS"],
  [/FxiOS\/(\d+)/, () => "Firefox iOS"],
  [/Firefox\/(\d+)/, (ua) => (/Mobile|Tablet/.test(ua) ? "Firefox Mobile" : "Firefox")],
  [/Chrome\/(\d+)/, (ua) => (/; wv\)/.test(ua) ? "Chrome Mobile WebView" : /Mobile/.test(ua) ? "Chrome Mobile" : "Chrome")],
  [/Version\/(\d+)[.\d]* (?:Mobile\/\S+ )?Safari\//, (ua) => (/iPhone|iPad|iPod|Mobile\//.test(ua) ? "Mobile Safari" : "Safari")],
  [/(?:iPhone|iPad|iPod).* OS (\d+)_/, () => "Mobile Safari UI/WKWebView"],
];

/** The browser family and major version of a User-Agent, as the server reads them. */
export function browserOf(userAgent = navigator.userAgent) {
  for (const [pattern, family] of FAMILIES) {
    const match = pattern.exec(userAgent);
    if (match) return { family: family(userAgent), version: Number(match[1]) };
  }
  return { family: "Other", version: 0 };
}

/**
 * Can this browser take a call? Run it before showing Accept; if not, show the account's
 * `error_unsupported_browser` text instead of the buttons.
 * @param {{family: string, min_version: number}[]} browsers  `browsers` of the SDK config
 * @returns {{supported: boolean, reason: ""|"unsupported_browser"|"no_webrtc", browser: string}}
 */
export function checkBrowser(browsers, userAgent = navigator.userAgent) {
  const { family, version } = browserOf(userAgent);
  const browser = version ? `${family} ${version}` : family;
  const floor = (browsers || []).find((b) => b.family === family);
  if (!floor || version < floor.min_version) return { supported: false, reason: "unsupported_browser", browser };
  const webrtc = typeof RTCPeerConnection === "function" && !!navigator.mediaDevices?.getUserMedia;
  if (!webrtc) return { supported: false, reason: "no_webrtc", browser };
  return { supported: true, reason: "", browser };
}
