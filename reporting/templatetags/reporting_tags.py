"""Formatting for the reports pages: durations, rates and optional numbers."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def duration(seconds: float | int | None) -> str:
    """0:45, 12:03, 1:02:09; an en dash when there is no value."""
    if seconds is None:
        return "–"
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.filter
def long_duration(seconds: int | None) -> str:
    """12 h 05 min, 42 min, 35 s: a total of talk time."""
    if not seconds:
        return "0 min"
    hours, rest = divmod(int(seconds), 3600)
    minutes = rest // 60
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min" if minutes else f"{seconds} s"


@register.filter
def percent(rate: float | None, digits: int = 0) -> str:
    """0.8123 -> 81%; an en dash when undefined."""
    if rate is None:
        return "–"
    return f"{rate * 100:.{int(digits)}f}%"


@register.filter
def share(part: int | None, whole: int | None) -> str:
    """part of whole as a percentage (no decimals), an en dash for an empty whole."""
    if not whole:
        return "–"
    return f"{(part or 0) * 100 / whole:.0f}%"


@register.filter
def number(value: float | int | None, digits: int = 0) -> str:
    """A number with thousands separators and `digits` decimals; an en dash for None."""
    if value is None:
        return "–"
    return f"{value:,.{int(digits)}f}"


# Readiness causes (calls.readiness.CAUSES) as the reports show them.
CAUSE_LABELS = {
    "unsupported_browser": "Unsupported browser",
    "no_webrtc": "No WebRTC",
    "no_microphone": "No microphone",
    "no_camera": "No camera (audio only)",
    "network_blocked": "Network blocks calls",
    "direct_blocked": "Direct calls blocked (relayed)",
    "relay_unavailable": "Relay not reachable",
}


@register.filter
def cause_label(cause: str) -> str:
    """A readiness cause in words (unknown names as they are)."""
    return CAUSE_LABELS.get(cause, cause)


@register.filter
def readiness_labels(stored: str) -> str:
    """A call's stored readiness causes (comma-separated) in words; "Ready" when there are none."""
    causes = [c for c in stored.split(",") if c]
    return ", ".join(cause_label(c) for c in causes) or "Ready"
