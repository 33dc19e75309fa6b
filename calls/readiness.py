"""Readiness before accept: what the consumer's window found while the invitation rang, as causes.

The window checks what it can without asking for the camera or microphone (docs/engagement.md,
"Readiness"): the kinds of devices present, the browser, WebRTC, and whether the account's STUN and
TURN servers answer from the consumer's network (a throwaway peer connection that only gathers
candidates). It reports those facts in a `call.readiness` frame; this module turns them into causes,
the same way static/calls/readiness.js does for the words the consumer reads (both are held to the
shared table static/tests/readiness_cases.json).

Only facts and causes are kept: never a candidate, an address or the user agent string.
"""

from __future__ import annotations

from dataclasses import dataclass

# What a check of one kind of server found (the frame's `network.stun` / `network.turn`).
REACHABLE = "reachable"
UNREACHABLE = "unreachable"
REFUSED = "refused"  # TURN only: the server answered but refused the credentials
NOT_CONFIGURED = "not_configured"  # the call's ICE configuration has no server of this kind
NOT_CHECKED = "not_checked"  # the check could not run, or the consumer answered before it ended
STUN_RESULTS = (REACHABLE, UNREACHABLE, NOT_CONFIGURED, NOT_CHECKED)
TURN_RESULTS = (REACHABLE, UNREACHABLE, REFUSED, NOT_CONFIGURED, NOT_CHECKED)

# The causes, in the order the window lists them. Blocking ones mean the call cannot work from this
# device; the others say how it will work (audio only, relayed) or warn the brand (its relay failed).
CAUSES = (
    "unsupported_browser",  # not one of the supported browsers at a supported version
    "no_webrtc",  # RTCPeerConnection or getUserMedia missing
    "no_microphone",  # no audio input at all: the call cannot start
    "no_camera",  # a video invitation and no video input: the consumer can join with audio only
    "network_blocked",  # neither STUN nor TURN answered: only host candidates, calls cannot connect
    "direct_blocked",  # STUN did not answer but TURN did: the call will be relayed
    "relay_unavailable",  # STUN answered but the TURN server did not (or refused): no fallback path
)
BLOCKING = frozenset({"unsupported_browser", "no_webrtc", "no_microphone"})


@dataclass(frozen=True)
class Facts:
    """What the window found (a `call.readiness` frame), with the browser as the server judged it."""

    browser_supported: bool
    webrtc: bool
    camera: bool
    microphone: bool
    stun: str
    turn: str


def network_causes(stun: str, turn: str) -> list[str]:
    """The network's cause (at most one) from what each kind of server answered."""
    direct, relay = stun == REACHABLE, turn == REACHABLE
    if relay and stun == UNREACHABLE:
        return ["direct_blocked"]
    if direct and turn in (UNREACHABLE, REFUSED):
        return ["relay_unavailable"]
    # Nothing answered and something failed; a TURN check that did not finish could still have found
    # a relay, so that is no verdict (under the relay policy STUN is never checked: TURN decides).
    if not direct and not relay and turn != NOT_CHECKED and (stun == UNREACHABLE or turn in (UNREACHABLE, REFUSED)):
        return ["network_blocked"]
    return []


def readiness_causes(facts: Facts, *, media: str) -> list[str]:
    """Every cause the facts show for an invitation of `media` ("voice" or "video"), in CAUSES order."""
    found = set(network_causes(facts.stun, facts.turn))
    if not facts.browser_supported:
        found.add("unsupported_browser")
    if not facts.webrtc:
        found.add("no_webrtc")
    if not facts.microphone:
        found.add("no_microphone")
    if media == "video" and not facts.camera:
        found.add("no_camera")
    return [cause for cause in CAUSES if cause in found]


def parse_causes(stored: str) -> list[str]:
    """The causes kept on a call (`Call.consumer_readiness`, comma-separated), known ones only."""
    return [cause for cause in CAUSES if cause in stored.split(",")]
