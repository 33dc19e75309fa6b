"""`rollup_metrics --since DATE [--account SLUG]`: rebuild collaboration-session rollups (backfill)."""

from __future__ import annotations

import sys
from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from accounts.models import Account
from reporting import services
from reporting.buckets import buckets_for_days, local_day


def _date(option: str, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option} must be a date like 2025-01-31, not {value!r}.") from None


class Command(BaseCommand):
    help = (
        "Recompute the hourly and daily collaboration-session rollups of every account (or one) from "
        "local date --since up to today in each account's time zone. Safe to rerun or interrupt: each "
        "chunk of days is recomputed and upserted, for all the accounts at once, in one transaction."
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", required=True, help="First local date to recompute (YYYY-MM-DD).")
        parser.add_argument("--until", help="Last local date to recompute (default: today in each account's zone).")
        parser.add_argument("--account", metavar="SLUG", help="Only this account.")
        parser.add_argument("--chunk-days", type=int, default=7, help="Days per statement and transaction (1-31).")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar (for logs).")

    def handle(self, *args, since, until, account, chunk_days, no_progress, **options):
        first, last = _date("--since", since), _date("--until", until)
        if first is None:
            raise CommandError("--since is required.")
        if not 1 <= chunk_days <= 31:
            raise CommandError("--chunk-days must be between 1 and 31.")
        if last is not None and last < first:
            raise CommandError("--until is before --since.")
        accounts = Account.objects.order_by("slug")
        if account is not None:
            accounts = accounts.filter(slug=account)
            if not accounts.exists():
                raise CommandError(f"There is no account {account!r}.")
        now = timezone.now()
        # Each account up to its own today (or --until): local dates differ between time zones.
        ends = {acc: last or local_day(acc.time_zone, now) for acc in accounts}
        ends = {acc: end for acc, end in ends.items() if first <= end}
        if not ends:
            where = f"in {account}'s time zone" if account else "in every account's time zone"
            raise CommandError(f"--since {first} is after today {where}: nothing to recompute.")
        final = max(ends.values())
        total_days = (final - first).days + 1
        written = 0
        out = getattr(self.stderr, "_out", sys.stderr)
        with tqdm(total=total_days, unit="day", disable=no_progress, file=out, dynamic_ncols=True) as bar:
            chunk_first = first
            while chunk_first <= final:
                chunk_last = min(chunk_first + timedelta(days=chunk_days - 1), final)
                keys = [
                    services.AccountBucket(acc.pk, bucket)
                    for acc, end in ends.items()
                    if chunk_first <= end
                    for bucket in buckets_for_days(acc.time_zone, chunk_first, min(chunk_last, end))
                ]
                written += services.rollup_keys(keys=keys)
                bar.set_postfix_str(f"to {chunk_last}, {written} rows")
                bar.update((chunk_last - chunk_first).days + 1)
                chunk_first = chunk_last + timedelta(days=1)
        for acc, end in ends.items():
            self.stdout.write(f"{acc.slug}: {(end - first).days + 1} day(s) recomputed ({acc.time_zone})")
        self.stdout.write(
            self.style.SUCCESS(f"Done: {len(ends)} account(s), {first} to {final}, {written} row(s) written.")
        )
