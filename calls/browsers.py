"""Is the consumer's client able to take part in a call? (ua-parser, never hand-written regexes).

The supported browsers and their oldest versions ("floors") are the BrowserFloor rows support keeps
current with `manage.py browser_floors`; until a first row exists, settings.SUPPORTED_BROWSERS (dated
SUPPORTED_BROWSERS_AS_OF). `browser_floors()` is the single source for the client check, the SDK
config and the console's "floors are getting old" warning.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.utils import timezone
from ua_parser import parse

# The product page supports the two latest versions; browsers release about monthly, so floors older
# than this let ever more outdated browsers in (and may refuse none of the current ones).
FLOORS_STALE_AFTER = timedelta(days=91)


@dataclass(frozen=True)
class ClientCheck:
    ok: bool
    reason: str = ""  # unsupported_browser | no_webrtc | no_camera | no_microphone
    browser: str = ""  # "Chrome 156": event data for reports


@dataclass(frozen=True)
class Floors:
    versions: dict[str, int]  # family -> oldest supported major
    set_on: date  # the oldest floor's date: when the list was last fully current
    stored: bool  # False: the settings' built-in defaults

    @property
    def stale(self) -> bool:
        return timezone.localdate() - self.set_on > FLOORS_STALE_AFTER


def browser_floors() -> Floors:
    """The supported browser families with their floors, and how old the list is."""
    from calls.models import BrowserFloor  # models import this module's neighbours; keep it lazy

    rows = list(BrowserFloor.objects.all())
    if rows:
        return Floors({r.family: r.min_version for r in rows}, min(r.set_on for r in rows), True)
    return Floors(
        {family: int(v) for family, v in settings.SUPPORTED_BROWSERS.items()},
        date.fromisoformat(settings.SUPPORTED_BROWSERS_AS_OF),
        False,
    )


def check_client(*, user_agent: str, webrtc: bool, camera: bool, microphone: bool, media: str) -> ClientCheck:
    """Supported browser family at one of the two latest major versions, WebRTC, and the devices."""
    ua = parse(user_agent or "").user_agent
    family, major = (ua.family, ua.major) if ua else ("Other", None)
    browser = f"{family} {major}" if major else family
    minimum = browser_floors().versions.get(family)
    if minimum is None or not (major or "").isdigit() or int(major) < minimum:
        return ClientCheck(False, "unsupported_browser", browser[:60])
    if not webrtc:
        return ClientCheck(False, "no_webrtc", browser[:60])
    if not microphone:
        return ClientCheck(False, "no_microphone", browser[:60])
    if media == "video" and not camera:
        return ClientCheck(False, "no_camera", browser[:60])
    return ClientCheck(True, "", browser[:60])
