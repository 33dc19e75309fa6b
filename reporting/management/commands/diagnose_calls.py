"""`diagnose_calls --since DATE [--account SLUG] [--outdated | --all]`: store the verdict of ended
calls that have none (a backfill), then recompute the rollups of their days so the reports count them."""

from __future__ import annotations

from datetime import date, datetime, time

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Account
from calls.models import Call
from reporting import services
from reporting.buckets import buckets_for_days, local_day, zone
from reporting.diagnoses import BATCH, store_diagnoses, undiagnosed
from reporting.rollup_sql import TERMINAL_STATES


class Command(BaseCommand):
    help = (
        "Diagnose the ended calls invited since --since (UTC date) that have no diagnosis yet (with "
        "--outdated: also those diagnosed by an older version; --all: every one), then recompute the "
        "rollups of the days of those calls. Safe to rerun: each call's diagnosis is one upserted row."
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", required=True, help="First date (YYYY-MM-DD) of the invitations.")
        parser.add_argument("--account", metavar="SLUG", help="Only this account.")
        which = parser.add_mutually_exclusive_group()
        which.add_argument("--outdated", action="store_true", help="Also rediagnose calls of an older version.")
        which.add_argument("--all", action="store_true", help="Rediagnose every ended call of the range.")

    def handle(self, *args, since, account, outdated, all, **options):
        try:
            first = date.fromisoformat(since)
        except ValueError:
            raise CommandError(f"--since must be a date like 2025-01-31, not {since!r}.") from None
        calls = Call.objects.filter(created_at__gte=datetime.combine(first, time.min, tzinfo=zone("UTC")))
        if account is not None:
            if not Account.objects.filter(slug=account).exists():
                raise CommandError(f"There is no account {account!r}.")
            calls = calls.filter(account__slug=account)
        chosen = calls.filter(state__in=TERMINAL_STATES) if all else undiagnosed(calls, outdated=outdated)
        chosen = chosen.select_related("account").order_by("pk")
        written = 0
        days: dict[Account, set[date]] = {}
        batch: list[Call] = []
        for call in chosen.iterator(chunk_size=BATCH):
            batch.append(call)
            days.setdefault(call.account, set()).add(local_day(call.account.time_zone, call.created_at))
            if len(batch) == BATCH:
                written += store_diagnoses(batch)
                batch = []
        written += store_diagnoses(batch)
        # The days of those calls only, seven days per transaction (each day with all its hours).
        account_days = [(acc, day) for acc, dates in days.items() for day in sorted(dates)]
        rows = 0
        for i in range(0, len(account_days), 7):
            keys = [
                services.AccountBucket(acc.pk, bucket)
                for acc, day in account_days[i : i + 7]
                for bucket in buckets_for_days(acc.time_zone, day, day)
            ]
            rows += services.rollup_keys(keys=keys)
        self.stdout.write(
            self.style.SUCCESS(
                f"Done: {written} call(s) diagnosed since {first}, in {len(days)} account(s); "
                f"{rows} rollup row(s) recomputed."
            )
        )
