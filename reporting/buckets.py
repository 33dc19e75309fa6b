"""Report buckets: an account's local days and local hours, as half-open ranges of UTC instants.

Rules (docs/metrics.md, "Buckets"):
- a day bucket of local date D is [start(D), start(D+1)), where start(D) is the first instant whose
  local date is D (local midnight; the transition instant when midnight falls into a DST gap);
- an hour bucket holds the instants that share their local date, local hour AND UTC offset: a day's
  hour buckets start at each instant where the local clock reads HH:00:00 and at each change of
  the UTC offset. So the hour repeated when clocks go back gives two buckets (both reading 02:00,
  with different offsets), the hour skipped when clocks go forward gives none, and a 30-minute
  shift (Australia/Lord_Howe) gives a 30-minute bucket (02:30 +1100; 01:30 +1030). Hour buckets
  therefore partition time and nest exactly inside day buckets (a 23-hour day has 23 of them, a
  25-hour day 25);
- a week bucket is seven day buckets from a Monday (ISO weeks), a month bucket the day buckets of
  one calendar month; both are read from the day rows, never stored.

The bounds are computed here, in Python with zoneinfo, and handed to the SQL as a VALUES list, so
SQLite and PostgreSQL bucket identically and the database does no time-zone arithmetic.
"""

from __future__ import annotations

import logging
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .models import Interval

logger = logging.getLogger(__name__)

ONE_DAY = timedelta(days=1)
HOURS = tuple(timedelta(hours=h) for h in range(24))
HOUR, DAY = Interval.HOUR.value, Interval.DAY.value  # plain str: cheaper than the enum members


class Bucket(NamedTuple):
    """One bucket of one interval: [start, end) in UTC. (A tuple: a year of them is made and
    sorted in a blink.)"""

    interval: str
    start: datetime
    end: datetime


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    """The account's zone; an unknown name (Account.time_zone is free text) falls back to UTC."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        logger.warning("unknown time zone %r: reporting in UTC", name)
        return ZoneInfo("UTC")


@lru_cache(maxsize=65536)
def day_start(zone_name: str, day: date) -> datetime:
    """The first instant (UTC) of local date `day`."""
    return datetime.combine(day, time.min, tzinfo=zone(zone_name)).astimezone(UTC)


def _offset(tz: ZoneInfo, instant: datetime) -> timedelta | None:
    return instant.astimezone(tz).utcoffset()


def _offset_change(tz: ZoneInfo, low: datetime, high: datetime) -> datetime:
    """The first instant in (low, high] with high's UTC offset, to the second (low's offset differs)."""
    target = _offset(tz, high)
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        middle -= timedelta(microseconds=middle.microsecond)
        if middle <= low:
            break
        if _offset(tz, middle) == target:
            high = middle
        else:
            low = middle
    return high


def _wall_hours(zone_name: str, day: date) -> Iterator[datetime]:
    """Every instant (UTC) at which the local clock reads HH:00:00 on `day`'s wall-clock hours."""
    tz = zone(zone_name)
    for hour in range(24):
        for fold in (0, 1):
            wall = datetime.combine(day, time(hour, fold=fold), tzinfo=tz)
            instant = wall.astimezone(UTC)
            # Skip wall times inside a DST gap: they do not round-trip.
            if instant.astimezone(tz).replace(tzinfo=None, fold=0) == wall.replace(tzinfo=None, fold=0):
                yield instant


@lru_cache(maxsize=65536)
def hour_starts(zone_name: str, day: date) -> tuple[datetime, ...]:
    """The starts of the hour buckets inside day bucket `day`, ascending; the first is the day's start."""
    first, after = day_start(zone_name, day), day_start(zone_name, day + ONE_DAY)
    tz = zone(zone_name)
    last_second = after - timedelta(seconds=1)
    if after - first == ONE_DAY and _offset(tz, first) == _offset(tz, last_second):
        # No change of offset that day (all but a few days a year): 24 hours from local midnight.
        # (Two changes that cancel out within one day happen in no zone.)
        return tuple(first + h for h in HOURS)
    candidates = {first}
    for neighbour in (day - ONE_DAY, day, day + ONE_DAY):  # a repeated hour may belong to the next date
        candidates.update(i for i in _wall_hours(zone_name, neighbour) if first <= i < after)
    # Where the offset changes inside an hour (a 30-minute shift), the new offset starts a bucket.
    bounds = sorted(candidates)
    for low, high in zip(bounds, [*bounds[1:], after], strict=True):
        if _offset(tz, low) != _offset(tz, high - timedelta(seconds=1)):
            candidates.add(_offset_change(tz, low, high - timedelta(seconds=1)))
    return tuple(sorted(candidates))


def local_day(zone_name: str, instant: datetime) -> date:
    """The local date whose day bucket holds `instant`."""
    day = instant.astimezone(zone(zone_name)).date()
    if instant < day_start(zone_name, day):
        return day - ONE_DAY
    if instant >= day_start(zone_name, day + ONE_DAY):
        return day + ONE_DAY
    return day


def day_buckets(zone_name: str, day: date) -> list[Bucket]:
    """The day bucket and the hour buckets of one local date."""
    after = day_start(zone_name, day + ONE_DAY)
    starts = hour_starts(zone_name, day)
    ends = (*starts[1:], after)
    return [Bucket(DAY, starts[0], after), *[Bucket(HOUR, s, e) for s, e in zip(starts, ends, strict=True)]]


def buckets_of(zone_name: str, instant: datetime) -> tuple[Bucket, Bucket]:
    """The (hour, day) buckets holding `instant`."""
    day = local_day(zone_name, instant)
    after = day_start(zone_name, day + ONE_DAY)
    starts = hour_starts(zone_name, day)
    index = bisect_right(starts, instant) - 1
    hour_end = starts[index + 1] if index + 1 < len(starts) else after
    return Bucket(HOUR, starts[index], hour_end), Bucket(DAY, starts[0], after)


def days(first: date, last: date) -> Iterator[date]:
    """Every date from `first` to `last`, both included."""
    day = first
    while day <= last:
        yield day
        day += ONE_DAY


def buckets_for_days(
    zone_name: str, first: date, last: date, intervals: Iterable[str] = Interval.values
) -> list[Bucket]:
    """All buckets of the given intervals for local dates `first`..`last` (inclusive), in time order."""
    wanted = set(intervals)
    # Already in (interval, start) order: every day bucket, then every hour bucket, in time order.
    out: list[Bucket] = []
    if Interval.DAY in wanted:
        out += [Bucket(DAY, day_start(zone_name, d), day_start(zone_name, d + ONE_DAY)) for d in days(first, last)]
    if Interval.HOUR in wanted:
        for d in days(first, last):
            out += day_buckets(zone_name, d)[1:]
    return out


# The intervals a report can be read by: hour and day rows are stored, weeks and months add up days.
WEEK, MONTH = "week", "month"
REPORT_INTERVALS = (Interval.HOUR.value, Interval.DAY.value, WEEK, MONTH)


def period_first_day(interval: str, day: date) -> date:
    """The first date of the week (its Monday) or month holding `day`."""
    if interval == WEEK:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def period_after(interval: str, first: date) -> date:
    """The first date after the week or month starting on `first`."""
    if interval == WEEK:
        return first + timedelta(days=7)
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def period_buckets(zone_name: str, interval: str, first: date, last: date) -> list[Bucket]:
    """The week or month buckets of local dates `first`..`last`, the first and last cut to that range."""
    buckets, start = [], first
    while start <= last:
        after = min(period_after(interval, period_first_day(interval, start)), last + ONE_DAY)
        buckets.append(Bucket(interval, day_start(zone_name, start), day_start(zone_name, after)))
        start = after
    return buckets


def label(bucket_start: datetime, zone_name: str, interval: str) -> str:
    """How a bucket is named to a person: the local date (a week by its Monday, a month as
    YYYY-MM), or the local date and hour with its offset."""
    local = bucket_start.astimezone(zone(zone_name))
    if interval == Interval.DAY:
        return local.strftime("%Y-%m-%d")
    if interval == WEEK:
        return period_first_day(WEEK, local.date()).isoformat()
    if interval == MONTH:
        return local.strftime("%Y-%m")
    return local.strftime("%Y-%m-%d %H:%M %z")
