// Building the page: elements, icons, avatars, announcements and toasts. Data reaches the page only
// through textContent; icons are SVG elements built from constant paths.

import { say } from "../calls/callstates.js";
import { state } from "./context.js";
import { avatarHue, consumerName, errorText, errorTitle, initial } from "./format.js";

export const $ = (id) => document.getElementById(id);

export function el(tag, { className, text, attrs } = {}, children = []) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  for (const [key, value] of Object.entries(attrs ?? {})) node.setAttribute(key, value);
  for (const child of children) if (child) node.append(child);
  return node;
}

const ICONS = {
  mobile: ["M6.5 2.5h7a1 1 0 0 1 1 1v13a1 1 0 0 1-1 1h-7a1 1 0 0 1-1-1v-13a1 1 0 0 1 1-1z", "M9 15h2"],
  phone: ["M6.5 3.5l2 3.5-1.8 1.6a9 9 0 0 0 4.7 4.7L13 11.5l3.5 2-.8 2.6c-.2.6-.8 1-1.5.9C8.7 16.4 3.6 11.3 3 5.8c-.1-.7.3-1.3.9-1.5z"],
  video: ["M2.5 7.5a2 2 0 0 1 2-2h6a2 2 0 0 1 2 2v5a2 2 0 0 1-2 2h-6a2 2 0 0 1-2-2z", "M12.5 9l5-2.8v7.6l-5-2.8"],
  micOff: ["M7.5 5a2.5 2.5 0 0 1 5 0v4a2.5 2.5 0 0 1-5 0z", "M4.5 9.5a5.5 5.5 0 0 0 11 0M10 15v2.5", "M3 3l14 14"],
  videoOff: ["M2.5 7.5a2 2 0 0 1 2-2h6a2 2 0 0 1 2 2v5a2 2 0 0 1-2 2h-6a2 2 0 0 1-2-2z", "M12.5 9l5-2.8v7.6l-5-2.8", "M2 3l15 15"],
  info: ["M10 2.5a7.5 7.5 0 1 1 0 15 7.5 7.5 0 0 1 0-15z", "M10 9v4.5M10 6.5v.2"],
  alert: ["M10 2.5a7.5 7.5 0 1 1 0 15 7.5 7.5 0 0 1 0-15z", "M10 6v5M10 13.5v.5"],
  check: ["M5 10.5l3 3 7-7"],
  screen: ["M2.5 4.5a1 1 0 0 1 1-1h13a1 1 0 0 1 1 1v8.5a1 1 0 0 1-1 1h-13a1 1 0 0 1-1-1z", "M7 17h6M10 14v3"],
  close: ["M5.5 5.5l9 9M14.5 5.5l-9 9"],
  hangup: ["M2.5 11.5c4-4 11-4 15 0l-1.8 2.2-3-1.3v-2a9 9 0 0 0-5.4 0v2l-3 1.3z"],
  missed: ["M6.5 3.5l2 3.5-1.8 1.6a9 9 0 0 0 4.7 4.7L13 11.5l3.5 2-.8 2.6c-.2.6-.8 1-1.5.9C8.7 16.4 3.6 11.3 3 5.8c-.1-.7.3-1.3.9-1.5z", "M12 3l5 5M17 3l-5 5"],
};

export function icon(name, className = "icon") {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 20 20");
  svg.setAttribute("class", className);
  svg.setAttribute("aria-hidden", "true");
  for (const d of ICONS[name]) {
    const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
    path.setAttribute("d", d);
    svg.append(path);
  }
  return svg;
}

export function paintAvatar(node, conversation) {
  node.textContent = initial(consumerName(conversation, state.texts));
  node.style.setProperty("--hue", String(avatarHue(conversation)));
}

export function announce(text) {
  const node = $("ws-announcer");
  node.textContent = "";
  // A fresh text node after a tick, so screen readers announce a repeated message too.
  setTimeout(() => (node.textContent = text), 50);
}

/** The page's fixed words in the account's texts (a `settings` frame may have changed them): elements
 * marked data-text (textContent), data-text-label (aria-label) and data-text-title (title). */
export function applyTexts(texts, root = document) {
  const set = (attribute, apply) => {
    for (const node of root.querySelectorAll(`[${attribute}]`)) {
      const text = texts?.[node.getAttribute(attribute)];
      if (typeof text === "string" && text) apply(node, text);
    }
  };
  set("data-text", (node, text) => node.textContent !== text && (node.textContent = text));
  set("data-text-label", (node, text) => node.setAttribute("aria-label", text));
  set("data-text-title", (node, text) => (node.title = text));
}

export function toast(message, { title = "", tone = "info", timeoutMs = 7000 } = {}) {
  const node = el("div", {
    className: `ws-toast ws-toast-${tone}`,
    attrs: { role: tone === "error" ? "alert" : "status" },
  });
  node.append(icon(tone === "error" ? "alert" : tone === "success" ? "check" : "info"));
  const body = el("div", { className: "ws-toast-body" });
  if (title) body.append(el("p", { className: "ws-toast-title", text: title }));
  body.append(el("p", { className: "ws-toast-text", text: message }));
  node.append(body);
  const dismiss = say(state.texts, "agent_dismiss");
  const close = el("button", { className: "ws-toast-close", attrs: { type: "button", title: dismiss } });
  close.append(icon("close"), el("span", { className: "visually-hidden", text: dismiss }));
  close.addEventListener("click", () => node.remove());
  node.append(close);
  $("ws-toasts").append(node);
  if (timeoutMs) setTimeout(() => node.remove(), timeoutMs);
  return node;
}

/** A refused request: its title and explanation in the account's texts (format.js errorText; the
 * protocol's English `message` goes to the console only). */
export function toastError(frame) {
  if (frame.message) console.info("workspace: refused:", frame.code, frame.detail ?? "", frame.message);
  toast(errorText(frame, state.texts), { title: errorTitle(frame.code, state.texts), tone: "error" });
}
