// The account's invitation style (colours and pixels from the SDK config) on the invitation element,
// as CSS custom properties; every value is checked again here, whatever the server sent.

const STYLE_PROPERTIES = {
  invitation_background: "--inv-bg",
  invitation_text_color: "--inv-text",
  invitation_border_color: "--inv-border",
  accept_button_background: "--inv-accept-bg",
  accept_button_text_color: "--inv-accept-text",
  reject_button_background: "--inv-reject-bg",
  reject_button_text_color: "--inv-reject-text",
};
const COLOR = /^#(?:[0-9a-f]{3}|[0-9a-f]{6}|[0-9a-f]{8})$/i;

/** The account's invitation style as CSS custom properties (values re-checked: colours and pixels only). */
export function applyInvitationStyle(element, style) {
  if (!style) return;
  for (const [key, property] of Object.entries(STYLE_PROPERTIES)) {
    if (typeof style[key] === "string" && COLOR.test(style[key])) element.style.setProperty(property, style[key]);
  }
  for (const [key, property] of [
    ["invitation_border_width", "--inv-border-width"],
    ["invitation_border_radius", "--inv-radius"],
  ]) {
    if (Number.isInteger(style[key])) element.style.setProperty(property, `${style[key]}px`);
  }
}
