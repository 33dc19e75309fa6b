"""Report buckets: an account's local days and local hours, as half-open ranges of UTC instants.

Rules (docs/metrics.md, "Buckets"):
- a day bucket of local date D is [start(D), start(D+1)), where start(D) is the first instant whose
  local date is D (local midnight; the transition instant when midnight falls into a DST gap);
- a day's hour buckets start at each instant in the day where the local clock reads HH:00:00, so
  the hour repeated when clocks go back gives two buckets (both labelled 01:00, different UTC
  offsets) and the hour skipped when clocks go forward gives none. Hour buckets therefore
  partition time and nest exactly inside day buckets (a 23-hour day has 23 of them, a 25-hour day 25).

The bounds are computed here, in Python with zoneinfo, and handed to the SQL as a VALUES list, so
SQLite and PostgreSQL bucket identically and the database does no time-zone arithmetic.
"""

from __future__ import annotations

import logging
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .models import Interval

logger = logging.getLogger(__name__)

ONE_DAY = timedelta(days=1)


@dataclass(frozen=True, order=True)
class Bucket:
    """One bucket of one interval: [start, end) in UTC."""

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
    candidates = {first}
    for neighbour in (day - ONE_DAY, day, day + ONE_DAY):  # a repeated hour may belong to the next date
        candidates.update(i for i in _wall_hours(zone_name, neighbour) if first <= i < after)
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
    hours = [Bucket(Interval.HOUR, s, e) for s, e in zip(starts, ends, strict=True)]
    return [Bucket(Interval.DAY, starts[0], after), *hours]


def buckets_of(zone_name: str, instant: datetime) -> tuple[Bucket, Bucket]:
    """The (hour, day) buckets holding `instant`."""
    day = local_day(zone_name, instant)
    after = day_start(zone_name, day + ONE_DAY)
    starts = hour_starts(zone_name, day)
    index = bisect_right(starts, instant) - 1
    hour_end = starts[index + 1] if index + 1 < len(starts) else after
    return Bucket(Interval.HOUR, starts[index], hour_end), Bucket(Interval.DAY, starts[0], after)


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
    return sorted(b for day in days(first, last) for b in day_buckets(zone_name, day) if b.interval in wanted)


def label(bucket_start: datetime, zone_name: str, interval: str) -> str:
    """How a bucket is named to a person: the local date, or the local date and hour with its offset."""
    local = bucket_start.astimezone(zone(zone_name))
    if interval == Interval.DAY:
        return local.strftime("%Y-%m-%d")
    return local.strftime("%Y-%m-%d %H:%M %z")
