"""Is the consumer's client able to take part in a call? (ua-parser, never hand-written regexes).

The supported browsers and their oldest versions ("floors"): settings_profiles.browsers.browser_floors(),
the single source for this check, the SDK config and the console's "floors are getting old" warning.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ua_parser import parse

from settings_profiles.browsers import browser_floors


@dataclass(frozen=True)
class ClientCheck:
    ok: bool
    reason: str = ""  # unsupported_browser | no_webrtc | no_camera | no_microphone
    browser: str = ""  # "Chrome 156": event data for reports


def browser_check(user_agent: str) -> tuple[bool, str]:
    """Is the browser a supported family at a supported version? And its "Family major" for reports."""
    ua = parse(user_agent or "").user_agent
    family, major = (ua.family, ua.major) if ua else ("Other", None)
    browser = f"{family} {major}" if major else family
    minimum = browser_floors().versions.get(family)
    supported = minimum is not None and major is not None and major.isdigit() and int(major) >= minimum
    return supported, browser[:60]


def check_client(*, user_agent: str, webrtc: bool, camera: bool, microphone: bool, media: str) -> ClientCheck:
    """Supported browser family at one of the two latest major versions, WebRTC, and the devices."""
    supported, browser = browser_check(user_agent)
    if not supported:
        return ClientCheck(False, "unsupported_browser", browser)
    if not webrtc:
        return ClientCheck(False, "no_webrtc", browser)
    if not microphone:
        return ClientCheck(False, "no_microphone", browser)
    if media == "video" and not camera:
        return ClientCheck(False, "no_camera", browser)
    return ClientCheck(True, "", browser)


class JoiningClient(Protocol):
    """What a consumer's device says of itself (services.ClientInfo, a phone's handoff claim)."""

    @property
    def user_agent(self) -> str: ...
    @property
    def webrtc(self) -> bool: ...
    @property
    def camera(self) -> bool: ...
    @property
    def microphone(self) -> bool: ...


def check_joining(client: JoiningClient, media: str, *, audio_only: bool = False) -> tuple[ClientCheck, bool]:
    """A consumer's device joining a call of `media` (answering it, or taking it over from another
    device): a video call joined by choice with audio only, or without a camera, is checked as a voice
    call. Returns the check and whether the device joins with audio only."""
    audio_only = media == "video" and (audio_only or not client.camera)
    check = check_client(
        user_agent=client.user_agent,
        webrtc=client.webrtc,
        camera=client.camera,
        microphone=client.microphone,
        media="voice" if audio_only else media,
    )
    return check, audio_only
