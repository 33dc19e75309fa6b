"""The facts of a call's diagnosis that are read, not judged: the media path each side reported,
the ICE restarts, who ended the call and why, in words. Pure, like reporting.diagnosis (which uses it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

LIVE_STATES = ("ringing", "connecting", "active")
SIDES = ("agent", "consumer")


def number(value: object) -> float | None:
    """A JSON number as a float; None for anything else (booleans included)."""
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def value(event: Mapping, key: str) -> float | None:
    return number((event.get("data") or {}).get(key))


def text(event: Mapping, key: str) -> str:
    found = (event.get("data") or {}).get(key)
    return found if isinstance(found, str) else ""


@dataclass(frozen=True)
class CallFacts:
    """What the diagnosis needs of the call row."""

    media: str
    state: str
    end_reason: str = ""
    started: bool = False
    answered: bool = False
    duration_s: int | None = None
    consumer_audio_only: bool = False
    consumer_browser: str = ""
    reconnect_grace_s: int = 20


@dataclass(frozen=True)
class SidePath:
    """The candidate pair one side last reported: its own candidate type, the other end's, and how
    it reaches its TURN server when its own candidate is relayed."""

    local: str = ""
    remote: str = ""
    relay_protocol: str = ""


def side_path(samples: Sequence[Mapping]) -> tuple[SidePath, list[str]]:
    """The side's last reported pair, and every local/remote pair it went through (in order)."""
    path, seen = SidePath(), list[str]()
    for sample in samples:
        local, remote, relay = (text(sample, k) for k in ("candidate_type", "remote_candidate_type", "relay_protocol"))
        if not local:
            continue
        path = SidePath(local, remote, relay if local == "relay" else "")
        pair = f"{local}/{remote}" if remote else local
        if not seen or seen[-1] != pair:
            seen.append(pair)
    return path, seen


PROTOCOL_WORDS = {"udp": "UDP", "tcp": "TCP", "tls": "TLS"}


def describe_path(sides: Mapping[str, SidePath]) -> tuple[str, str, str]:
    """(kind, words, relay protocol) of the media path from both sides' last pairs."""
    known = {side: p for side, p in sides.items() if p.local}
    if not known:
        return "", "unknown: no side reported its candidate pair", ""
    relaying = [side for side, p in known.items() if p.local == "relay"]
    relayed_far = any(p.remote == "relay" for p in known.values())
    if relaying or relayed_far:
        protocols = sorted({known[s].relay_protocol for s in relaying if known[s].relay_protocol})
        protocol = protocols[0] if len(protocols) == 1 else ""
        who = " and ".join(f"the {s}'s" for s in relaying) or "the other side's"
        over = " over " + "/".join(PROTOCOL_WORDS.get(p, p.upper()) for p in protocols) if protocols else ""
        return "relay", f"relayed: {who} media through TURN{over}", protocol
    types = {t for p in known.values() for t in (p.local, p.remote) if t}
    if types <= {"host"}:
        return "p2p", "peer to peer, direct (host candidates)", ""
    return "p2p", "peer to peer through NAT (" + ", ".join(sorted(types)) + " candidates)", ""


def ice_restarts(events: Sequence[Mapping]) -> int:
    """The most ICE restarts either side counted (each side counts the restarts it went through)."""
    counts = [value(e, "ice_restarts") for e in events if e["kind"] == "stats"]
    return int(max((c for c in counts if c is not None), default=0))


def clock(seconds: float | int | None) -> str:
    seconds = round(seconds or 0)
    minutes, secs = divmod(seconds, 60)
    return f"{minutes}:{secs:02d}" if minutes < 60 else f"{minutes // 60}:{minutes % 60:02d}:{secs:02d}"


def terminal(events: Sequence[Mapping]) -> Mapping | None:
    states = [e for e in events if e["kind"] == "state" and e.get("state") not in ("", *LIVE_STATES)]
    return states[-1] if states else None


ENDINGS = {
    "agent_hangup": "the agent hung up",
    "consumer_hangup": "the consumer hung up",
    "page_closed": "the consumer closed the page",
    "webview_closed": "the consumer closed the app's call screen",
    "conversation_closed": "the agent closed the conversation",
    "media_disabled": "support switched this kind of call off for the account",
    "no_answer": "nobody answered within the ring time",
    "agent_gone": "the agent's connection was gone past the reconnect grace",
    "consumer_gone": "the consumer's connection was gone past the reconnect grace",
    "ice_failed": "the network path failed and ICE restarts could not bring it back",
    "connect_timeout": "the media never connected in time",
    "permission_denied": "access to the camera or microphone was refused",
    "no_devices": "no camera or microphone was found",
    "no_camera": "no camera was found",
    "no_microphone": "no microphone was found",
    "unsupported_browser": "the consumer's browser cannot make calls",
    "no_webrtc": "the consumer's browser has no WebRTC",
}


def ended_words(call: CallFacts, end: Mapping | None) -> tuple[str, str]:
    """Who ended the call (agent, consumer, system) and why, in words."""
    if end is None or call.state in LIVE_STATES:
        return "", "still in progress"
    actor = end.get("actor") or "system"
    reason = call.end_reason or ((end.get("data") or {}).get("reason") or "")
    words = ENDINGS.get(reason)
    if words is None and call.state == "rejected":
        words = "the consumer declined"
    if words is None:
        words = f"{actor} ({reason or call.state})"
    when = f" after {clock(call.duration_s)} of talk" if call.started and call.duration_s is not None else ""
    return actor, words[0].upper() + words[1:] + when
