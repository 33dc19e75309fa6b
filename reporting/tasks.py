"""Celery tasks of the rollups. They take ids and bucket keys, and only call reporting.services.

Every task recomputes whole buckets and upserts them (never increments), so a redelivered or
duplicated message is harmless: hence `acks_late` with `reject_on_worker_lost` (a worker killed
midway leaves its message on the broker and another worker redoes the bucket). Retries only for
database errors that go away (deadlock, serialization failure, lost connection).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from consoleproj import metrics

from . import services
from .buckets import buckets_for_days, buckets_of, local_day
from .diagnoses import diagnose_missing
from .models import Interval
from .queries import account_time_zone

logger = logging.getLogger(__name__)

ROLLUP_TASK = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "ignore_result": True,
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "retry_jitter": True,
    "max_retries": 5,
}


def _instant(value: str) -> datetime | None:
    try:
        instant = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return instant if timezone.is_aware(instant) else None


@shared_task(**ROLLUP_TASK, soft_time_limit=50, time_limit=60)
def rollup_call_buckets_task(account_id: int, invited_at: str, ended_at: str | None = None) -> int:
    """Recompute the hour and day buckets holding a call's invitation (queued when the call ends;
    `ended_at`, when given, measures the rollup lag)."""
    instant = _instant(invited_at)
    if instant is None:
        logger.warning("rollup: ignoring a malformed instant %r", invited_at)
        return 0
    rows = services.rollup_instant(account_id=account_id, instant=instant)
    metrics.rollup_done(ended.timestamp() if (ended := _instant(ended_at or "")) else None)
    return rows


@shared_task(**ROLLUP_TASK, soft_time_limit=50, time_limit=60)
def rollup_bucket_task(account_id: int, interval: str, bucket_start: str) -> int:
    """Recompute one bucket, named by its key (account, interval, start); a key that names no
    bucket of the account's time zone is ignored."""
    instant = _instant(bucket_start)
    if instant is None or interval not in Interval.values:
        logger.warning("rollup: ignoring the bucket key (%s, %r, %r)", account_id, interval, bucket_start)
        return 0
    zone_name = account_time_zone(account_id=account_id)
    if zone_name is None:
        return 0
    hour, day = buckets_of(zone_name, instant)
    bucket = hour if interval == Interval.HOUR else day
    if bucket.start != instant:
        logger.warning("rollup: %s is not the start of a %s bucket of account %s", bucket_start, interval, account_id)
        return 0
    if interval == Interval.DAY:  # a day adds up its hours: recompute them all with it
        local = local_day(zone_name, instant)
        return services.rollup_buckets(account_id=account_id, buckets=buckets_for_days(zone_name, local, local))
    return services.rollup_buckets(account_id=account_id, buckets=[hour, day])


@shared_task(**ROLLUP_TASK, soft_time_limit=240, time_limit=300)
def rollup_sweep_task(window_s: int = 3600) -> int:
    """Beat: recompute the buckets of every call that changed state in the last `window_s` seconds,
    repairing buckets whose end-of-call trigger was lost or arrived before a late change; first it
    diagnoses the calls that ended in the window without a diagnosis, so those buckets count them."""
    since = timezone.now() - timedelta(seconds=window_s)
    diagnose_missing(since=since)
    return services.rollup_recent(since=since)
