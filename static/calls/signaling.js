// The signaling socket shared by the agent workspace and the consumer window (docs/protocol.md).
// Reconnects with backoff; a reconnect gets a fresh `hello` carrying the live call, if any.

const ALREADY_OVER = new Set(["invalid_state", "not_found"]);

export class SignalingSocket extends EventTarget {
  /** @param {string} url ws(s) URL of /ws/agent/ or /ws/consumer/?token=... */
  constructor(url) {
    super();
    this.url = url;
    this.nextId = 1;
    this.pending = new Map();
    this.closedByUs = false;
    this.retry = 0;
    this.ws = null;
  }

  connect() {
    this.closedByUs = false;
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.addEventListener("open", () => this.dispatchEvent(new CustomEvent("open")));
    ws.addEventListener("message", (event) => this.#onMessage(event));
    ws.addEventListener("close", (event) => this.#onClose(event));
  }

  close() {
    this.closedByUs = true;
    clearTimeout(this.reconnectTimer); // a reconnect already scheduled must not reopen a closed socket
    if (this.ws) this.ws.close(1000);
  }

  get isOpen() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  /** Fire and forget (used for the hot path: call.signal, call.stats). */
  send(frame) {
    if (!this.isOpen) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  /** Send with an id; resolves with the `ok` (or `call.ice`) answer, rejects with the `error` frame. */
  request(frame, timeoutMs = 10000) {
    const id = `c${this.nextId++}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject({ type: "error", code: "timeout", message: "The server did not answer in time." });
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer, type: frame.type });
      if (!this.send({ ...frame, id })) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject({ type: "error", code: "offline", message: "Not connected to the server." });
      }
    });
  }

  /**
   * A command that writes (docs/protocol.md, "Resending"): sent with a fresh idempotency `key`, and
   * when it gets no answer (the socket closed, the server timed out, `unavailable`) sent again with
   * the SAME key once the socket is back, for up to `retryForMs`: the server applies it at most
   * once and answers a resend as it answered the first. Resolves with the `ok` answer, rejects with
   * the `error` frame (or the last `offline`/`timeout`/`unavailable` when time ran out).
   */
  async command(frame, { timeoutMs = 10000, retryForMs = 30000 } = {}) {
    const keyed = { ...frame, key: newKey() };
    const giveUpAt = Date.now() + retryForMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.request(keyed, timeoutMs);
      } catch (error) {
        const retryable = ["offline", "timeout", "unavailable"].includes(error && error.code);
        if (!retryable || Date.now() >= giveUpAt) throw error;
        const backoff = Math.min(4000, 250 * 2 ** attempt);
        await this.#open(Math.min(giveUpAt - Date.now(), backoff / 2 + Math.random() * backoff));
      }
    }
  }

  /** A fire-and-forget frame that writes (call.stats, a hang-up on page close): keyed, never resent. */
  sendCommand(frame) {
    return this.send({ ...frame, key: newKey() });
  }

  /** Resolves after `delayMs`, then as soon as the socket is open again (at most `delayMs` more). */
  #open(delayMs) {
    return new Promise((resolve) => {
      setTimeout(() => {
        if (this.isOpen) return resolve();
        const done = () => {
          this.removeEventListener("hello", done);
          resolve();
        };
        this.addEventListener("hello", done);
        setTimeout(done, Math.max(0, delayMs));
      }, Math.max(0, delayMs));
    });
  }

  #onMessage(event) {
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return;
    }
    // Only a `hello` proves the server took us: a refusal is also accepted first, then closed.
    if (frame.type === "hello") this.retry = 0;
    if (frame.re !== undefined && this.pending.has(frame.re)) {
      const { resolve, reject, timer, type } = this.pending.get(frame.re);
      clearTimeout(timer);
      this.pending.delete(frame.re);
      (frame.type === "error" ? reject : resolve)(frame);
      if (frame.type === "ok") return;
      // A hang-up of a call that has already ended (the other side's `ice_failed` or a timer got
      // there first): what the hang-up wanted is done; its caller hears the answer, no page shows it.
      if (type === "call.hangup" && ALREADY_OVER.has(frame.code)) return;
    }
    this.dispatchEvent(new CustomEvent("frame", { detail: frame }));
    this.dispatchEvent(new CustomEvent(frame.type, { detail: frame }));
  }

  #onClose(event) {
    for (const { reject, timer } of this.pending.values()) {
      clearTimeout(timer);
      reject({ type: "error", code: "offline", message: "The connection closed." });
    }
    this.pending.clear();
    this.dispatchEvent(new CustomEvent("close", { detail: { code: event.code } }));
    // 4401/4403: the server refused us; retrying cannot help.
    if (this.closedByUs || event.code === 4401 || event.code === 4403) return;
    // Jitter, so a server that closed all its sockets at once (4503) is not hit by all of them at
    // once again; after a flood close (4008) the server refuses us for a while anyway.
    const delay = reconnectDelay(this.retry++, event.code, Math.random());
    this.reconnectTimer = setTimeout(() => {
      if (!this.closedByUs) this.connect();
    }, delay);
  }
}

/** An idempotency key unique to this command (docs/protocol.md: `key`). */
export function newKey() {
  if (globalThis.crypto && typeof globalThis.crypto.randomUUID === "function") return globalThis.crypto.randomUUID();
  const random = new Uint32Array(4);
  globalThis.crypto.getRandomValues(random);
  return Array.from(random, (n) => n.toString(36)).join("-");
}

/** Milliseconds before reconnect number `retry` (0, 1, ...) after a close with `code`; `random` in [0, 1).
 * Exponential from 250 ms, capped at 8 s, jittered to between half and one and a half of that; at
 * least 10 s after a flood close (4008). */
export function reconnectDelay(retry, code, random) {
  const base = Math.min(8000, 250 * 2 ** retry);
  return Math.max(code === 4008 ? 10000 : 0, base / 2 + random * base);
}

export function socketUrl(path) {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${location.host}${path}`;
}
