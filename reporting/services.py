"""Writes of the reporting app: recompute collaboration-session buckets and upsert them.

Every run RECOMPUTES whole buckets with INSERT ... SELECT ... GROUP BY ... ON CONFLICT DO UPDATE
statements (PostgreSQL and SQLite >= 3.24 both have it): hour buckets from `calls_call` and
`calls_callevent`, then day buckets from their hour rows, after deleting the bucket rows whose
group has no call any more. Nothing is ever incremented, so running a bucket twice, in two
workers at once, or again after a worker died midway leaves the same rows. The metric definitions live in docs/metrics.md.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from django.db import connection, transaction
from django.db.models.functions import ExtractMinute, TruncHour

from accounts.models import Account
from calls.models import Call, CallEvent

from .buckets import Bucket, buckets_for_days, buckets_of
from .models import Interval
from .queries import account_time_zone
from .rollup_sql import TERMINAL_STATES, AccountBucket, chunks, day_sql, rollup_sql, stale_sql

__all__ = ["TERMINAL_STATES", "AccountBucket"]

logger = logging.getLogger(__name__)

# A PostgreSQL advisory lock class for "recomputing this account's buckets".
_LOCK_CLASS = 0x5250  # "RP"


def _lock_accounts(account_ids: Iterable[int]) -> None:
    """Serialise recomputes of one account, so that the last writer's snapshot is the newest.

    Without it, a run that read its snapshot before a call ended could commit after the run
    triggered by that call's end, and put the stale numbers back. Locks are taken in id order so
    two multi-account runs never deadlock. SQLite needs nothing: the project opens every
    transaction with BEGIN IMMEDIATE, which takes the database's write lock first.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for account_id in sorted(set(account_ids)):
            cursor.execute("SELECT pg_advisory_xact_lock(%s::int, %s::int)", [_LOCK_CLASS, account_id & 0x7FFFFFFF])


def _rows_changed(cursor) -> int:
    if connection.vendor == "sqlite":
        # Python's sqlite3 reports no rowcount for a statement that starts with WITH.
        cursor.execute("SELECT changes()")
        return cursor.fetchone()[0]
    return max(cursor.rowcount, 0)


@transaction.atomic
def rollup_keys(*, keys: Iterable[AccountBucket]) -> int:
    """Recompute these buckets (of any accounts) and upsert their rows; returns the rows written.

    Hour buckets are recomputed from the calls and their events; day buckets from their hour rows
    (so a day's changed hours must be among the keys: every caller passes a call's hour with its
    day, or every hour of a day).
    """
    keys = sorted(set(keys))
    if not keys:
        return 0
    _lock_accounts(k.account_id for k in keys)
    hours = [k for k in keys if k.bucket.interval == Interval.HOUR]
    days = [k for k in keys if k.bucket.interval == Interval.DAY]
    written = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The row estimates of a VALUES list joined by ranges are far off, which makes the plan
            # look expensive enough for JIT compilation: seconds of compiling for milliseconds of work.
            cursor.execute("SET LOCAL jit = off")
        for chunk in (*chunks(hours), *chunks(days)):
            cursor.execute(*stale_sql(chunk))
        for chunk in chunks(hours):
            cursor.execute(*rollup_sql(chunk))
            written += _rows_changed(cursor)
        for chunk in chunks(days):
            cursor.execute(*day_sql(chunk))
            written += _rows_changed(cursor)
    return written


def rollup_buckets(*, account_id: int, buckets: Iterable[Bucket]) -> int:
    """Recompute `buckets` of one account and upsert their rows; returns the rows written."""
    return rollup_keys(keys=[AccountBucket(account_id, b) for b in buckets])


def rollup_instant(*, account_id: int, instant: datetime) -> int:
    """Recompute the hour and day buckets of the account that hold `instant` (a call's invitation)."""
    zone_name = account_time_zone(account_id=account_id)
    if zone_name is None:
        return 0  # the account is gone: its rows went with it (CASCADE)
    return rollup_buckets(account_id=account_id, buckets=buckets_of(zone_name, instant))


def rollup_days(*, accounts: Iterable[Account], first: date, last: date) -> int:
    """Recompute every hour and day bucket of the accounts' local dates `first`..`last`, in one go."""
    keys = [
        AccountBucket(account.pk, bucket)
        for account in accounts
        for bucket in buckets_for_days(account.time_zone, first, last)
    ]
    return rollup_keys(keys=keys)


def rollup_recent(*, since: datetime, until: datetime | None = None) -> int:
    """Recompute the buckets of every call that changed state in [since, until): the beat's repair.

    A state event is written at every transition (invitation included), so this finds the buckets
    of new calls, of calls that ended (however old their invitation) and of calls whose end trigger
    was lost. Returns the rows written.
    """
    events = CallEvent.objects.filter(kind=CallEvent.Kind.STATE, created_at__gte=since)
    if until is not None:
        events = events.filter(created_at__lt=until)
    # Every UTC offset in use is a multiple of 15 minutes, so bucket bounds fall on quarter hours:
    # the invitations of one quarter hour share their buckets. The database hands back one row per
    # account and quarter hour, not one per call.
    quarters = (
        Call.objects.filter(pk__in=events.values("call_id"))
        .annotate(hour=TruncHour("created_at", tzinfo=UTC), quarter=ExtractMinute("created_at", tzinfo=UTC) / 15)
        .order_by()
        .values_list("account_id", "hour", "quarter")
        .distinct()
    )
    starts = {(account_id, hour + timedelta(minutes=15 * quarter)) for account_id, hour, quarter in quarters}
    zones = dict(Account.objects.filter(pk__in={a for a, _ in starts}).values_list("pk", "time_zone"))
    keys = {
        AccountBucket(account_id, bucket)
        for account_id, start in starts
        if account_id in zones
        for bucket in buckets_of(zones[account_id], start)
    }
    return rollup_keys(keys=keys)
