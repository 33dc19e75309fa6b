"""The supported browsers and their floors (the oldest accepted major version per ua-parser family).

Support keeps them current in the BrowserFloor rows with `manage.py browser_floors`; until a first row
exists, settings.SUPPORTED_BROWSERS (dated SUPPORTED_BROWSERS_AS_OF). `browser_floors()` is the single
source for the consumer's client check (calls/browsers.py), the SDK config's `browsers` and the
console's warning when the list is older than three months.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.utils import timezone

from .models import BrowserFloor

# The product page supports the two latest versions; browsers release about monthly, so floors older
# than this let ever more outdated browsers in.
FLOORS_STALE_AFTER = timedelta(days=91)


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
    rows = list(BrowserFloor.objects.all())
    if rows:
        return Floors({r.family: r.min_version for r in rows}, min(r.set_on for r in rows), True)
    return Floors(
        {family: int(v) for family, v in settings.SUPPORTED_BROWSERS.items()},
        date.fromisoformat(settings.SUPPORTED_BROWSERS_AS_OF),
        False,
    )
