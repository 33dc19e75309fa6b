// What the agent should do when a call cannot start or was lost, by the protocol's end reason and by
// whose side it happened on ("self": this agent's browser; "consumer": the other side). The consumer's
// own words come from the account's texts (settings_profiles/texts.py), in the consumer's language.

const REMEDIES = {
  permission_denied: {
    self: "Allow the microphone and camera for this site (the camera icon in the address bar), then call again.",
    consumer: "Ask the consumer to allow the microphone and camera for the page (the camera icon in their address bar), then invite them again.",
  },
  no_devices: {
    self: "Connect a microphone (and a camera for video calls) and make sure no other app is using it, then call again.",
    consumer: "The consumer has no usable microphone or camera: suggest they join from a phone, or continue in messages.",
  },
  ice_failed: {
    self: "Check your network connection (a VPN or firewall can block calls), then call again.",
    consumer: "Invite again; if calls keep dropping, a network on either side (a VPN, a firewall) may block them: continue in messages.",
  },
};
REMEDIES.no_camera = REMEDIES.no_devices;
REMEDIES.no_microphone = REMEDIES.no_devices;

/** The sentence that says what to do next, or "" when there is nothing to do. */
export function remedyFor(reason, side) {
  return REMEDIES[reason]?.[side === "self" ? "self" : "consumer"] ?? "";
}
