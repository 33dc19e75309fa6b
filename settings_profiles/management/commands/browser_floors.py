"""Show or raise the oldest supported browser versions (the product page's "two latest versions").

    manage.py browser_floors                                   # the list, its source and age
    manage.py browser_floors --set Chrome=157 "Chrome Mobile=157" --by "Sam Support"

Floors only go up (a lower one needs --allow-lower). All of them or none are written.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from settings_profiles.browsers import FLOORS_STALE_AFTER, browser_floors
from settings_profiles.models import BrowserFloor


class Command(BaseCommand):
    help = "Show or raise the oldest supported browser versions (calls refuse older browsers)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--set", nargs="+", metavar="FAMILY=VERSION", default=[], help="e.g. Chrome=157")
        parser.add_argument("--by", default="", help="who raises them (kept with each floor)")
        parser.add_argument("--allow-lower", action="store_true", help="allow a floor to go down")

    def handle(self, *args, **options) -> None:
        changes = self._parse(options["set"])
        if changes:
            self._apply(changes, by=options["by"][:150], allow_lower=options["allow_lower"])
        floors = browser_floors()
        source = "stored" if floors.stored else "built-in defaults (settings.SUPPORTED_BROWSERS)"
        self.stdout.write(f"Supported browsers ({source}), current as of {floors.set_on}:")
        rows = {r.family: r for r in BrowserFloor.objects.all()}
        for family, version in sorted(floors.versions.items()):
            when = rows[family].set_on if family in rows else floors.set_on
            self.stdout.write(f"  {family:<28} >= {version:<5} set {when}")
        if floors.stale:
            self.stdout.write(
                self.style.WARNING(f"Older than {FLOORS_STALE_AFTER.days} days: raise them to the two latest versions.")
            )

    def _parse(self, pairs: list[str]) -> dict[str, int]:
        changes: dict[str, int] = {}
        known = browser_floors().versions
        for pair in pairs:
            family, _, version = pair.partition("=")
            family = family.strip()
            if not version.strip().isdigit() or int(version) < 1:
                raise CommandError(f"{pair!r}: expected FAMILY=VERSION with a whole version number, e.g. Chrome=157")
            if family not in known:
                raise CommandError(f"{family!r} is not a supported browser family (known: {', '.join(sorted(known))})")
            changes[family] = int(version)
        return changes

    @transaction.atomic
    def _apply(self, changes: dict[str, int], *, by: str, allow_lower: bool) -> None:
        current = browser_floors()
        for family, version in changes.items():
            if version < current.versions[family] and not allow_lower:
                raise CommandError(
                    f"{family}: {version} is lower than the current floor {current.versions[family]} (use --allow-lower)"
                )
        if not current.stored:
            # The first stored floors: the defaults come along, with their own date.
            as_of = date.fromisoformat(settings.SUPPORTED_BROWSERS_AS_OF)
            BrowserFloor.objects.bulk_create(
                BrowserFloor(family=f, min_version=v, set_on=as_of) for f, v in current.versions.items()
            )
        today = timezone.localdate()
        for family, version in changes.items():
            BrowserFloor.objects.filter(family=family).update(min_version=version, set_on=today, set_by=by)
