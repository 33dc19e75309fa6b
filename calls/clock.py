"""The clock of the calls, with no single process whose death stops it.

Deadlines live in the Call rows (ring timeout, connect timeout, presence leases) and three things
fire them, any one of which is enough:

- the command that meets a passed deadline (`call.accept` of an expired invitation ends it as
  missed: `services.transitions._expire_if_due`);
- Celery: a countdown per deadline and beat's sweep every CALL_SWEEP_INTERVAL_S;
- every daphne process: a sweep of its own every CALL_SWEEP_INTERVAL_S
  (`calls.sockets.presence.ensure_process_sweeper`),
  taking each due call with `SELECT ... FOR UPDATE SKIP LOCKED`, so the sweepers of N processes
  and beat never wait on each other and each due call is ended once.

So with the worker, beat or any one daphne gone, a deadline fires within CALL_SWEEP_INTERVAL_S plus
one sweep's duration (docs/reliability.md, "The clock"). The worker and beat also leave heartbeats
(`ClockHeartbeat`), which `/healthz` and the metrics read through `clock_heartbeats()`.
"""

from __future__ import annotations

import logging
import time

from celery.beat import PersistentScheduler
from django.conf import settings
from django.db import connections
from django.utils import timezone

from .models import ClockHeartbeat

logger = logging.getLogger(__name__)

# --- heartbeats -------------------------------------------------------------------------------------

WORKER, BEAT = "worker", "beat"


def heartbeat_record(*, name: str) -> None:
    """Note that `name` (the worker, beat) is alive now."""
    ClockHeartbeat.objects.update_or_create(name=name, defaults={"beat_at": timezone.now()})


def clock_heartbeats(*, now=None) -> dict[str, dict]:
    """How long ago the Celery worker and beat last showed life, for `/healthz` and `/metrics`:
    {"worker": {"age_s": float | None, "status": "ok" | "stale" | "unknown" | "eager"}, "beat": {...}}.
    `unknown`: never seen (a fresh database, or no worker ever started); `stale`: older than
    CLOCK_HEARTBEAT_MAX_AGE_S; `eager`: there is no worker or beat by design (embedded default)."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {name: {"age_s": None, "status": "eager"} for name in (WORKER, BEAT)}
    now = now or timezone.now()
    seen = dict(ClockHeartbeat.objects.filter(name__in=(WORKER, BEAT)).values_list("name", "beat_at"))
    report = {}
    for name in (WORKER, BEAT):
        at = seen.get(name)
        if at is None:
            report[name] = {"age_s": None, "status": "unknown"}
            continue
        age = max(0.0, (now - at).total_seconds())
        status = "stale" if age > settings.CLOCK_HEARTBEAT_MAX_AGE_S else "ok"
        report[name] = {"age_s": round(age, 1), "status": status}
    return report


class HeartbeatScheduler(PersistentScheduler):
    """Celery beat's scheduler, leaving a `beat` heartbeat every CLOCK_HEARTBEAT_S as it ticks
    (a beat that is alive but cannot reach the broker still beats; the worker's heartbeat, written
    by the task beat sends, tells the rest)."""

    last_heartbeat = -1e9

    def tick(self, *args, **kwargs):
        now = time.monotonic()
        if now - self.last_heartbeat >= settings.CLOCK_HEARTBEAT_S:
            self.last_heartbeat = now
            try:
                heartbeat_record(name=BEAT)
            except Exception as exc:  # the database away: the heartbeat goes stale, which is the point
                logger.warning("beat heartbeat failed: %s", type(exc).__name__)
                connections.close_all()
        return min(super().tick(*args, **kwargs), settings.CLOCK_HEARTBEAT_S)
