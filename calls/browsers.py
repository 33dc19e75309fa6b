"""Is the consumer's client able to take part in a call? (ua-parser, never hand-written regexes)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from ua_parser import parse


@dataclass(frozen=True)
class ClientCheck:
    ok: bool
    reason: str = ""  # unsupported_browser | no_webrtc | no_camera | no_microphone
    browser: str = ""  # "Chrome 156": event data for reports


def check_client(*, user_agent: str, webrtc: bool, camera: bool, microphone: bool, media: str) -> ClientCheck:
    """Supported browser family at one of the two latest major versions, WebRTC, and the devices."""
    ua = parse(user_agent or "").user_agent
    family, major = (ua.family, ua.major) if ua else ("Other", None)
    browser = f"{family} {major}" if major else family
    minimum = settings.SUPPORTED_BROWSERS.get(family)
    if minimum is None or major is None or not major.isdigit() or int(major) < minimum:
        return ClientCheck(False, "unsupported_browser", browser[:60])
    if not webrtc:
        return ClientCheck(False, "no_webrtc", browser[:60])
    if not microphone:
        return ClientCheck(False, "no_microphone", browser[:60])
    if media == "video" and not camera:
        return ClientCheck(False, "no_camera", browser[:60])
    return ClientCheck(True, "", browser[:60])
