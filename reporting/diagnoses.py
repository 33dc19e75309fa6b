"""Writes of call diagnoses: compute a call's diagnosis (reporting.diagnosis) from its events and
store its verdict, at the end of the call (reporting.receivers), in the beat's sweep for endings it
missed, and in bulk for a backfill (`manage.py diagnose_calls`). Every write is an upsert of the
call's one row: rerunning any of them leaves the same rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from calls.models import Call, CallEvent

from .call_queries import call_facts, event_row
from .diagnosis import Diagnosis, diagnose
from .models import DIAGNOSIS_VERSION, CallDiagnosis
from .rollup_sql import TERMINAL_STATES

BATCH = 500  # calls whose events are read (and rows written) at once


def diagnosis_of(call: Call, events: Sequence[dict]) -> Diagnosis:
    """The diagnosis of a call whose events (reporting.call_queries.event_row rows) are at hand."""
    return diagnose(call_facts(call), events)


def _row(call: Call, diagnosis: Diagnosis, now: datetime) -> CallDiagnosis:
    return CallDiagnosis(
        call_id=call.pk,
        verdict=diagnosis.verdict or "",
        summary=diagnosis.summary[:300],
        path=diagnosis.path,
        relay_protocol=diagnosis.relay_protocol,
        ice_restarts=diagnosis.ice_restarts,
        ended_by=diagnosis.ended_by,
        version=DIAGNOSIS_VERSION,
        computed_at=now,
    )


def store_diagnoses(calls: Iterable[Call]) -> int:
    """Diagnose these calls (the ended ones) and upsert their rows: two queries a batch of BATCH."""
    ended = [c for c in calls if c.state in TERMINAL_STATES]
    written = 0
    for offset in range(0, len(ended), BATCH):
        batch = ended[offset : offset + BATCH]
        events: dict[int, list[dict]] = defaultdict(list)
        invited = {c.pk: c.created_at for c in batch}
        for event in CallEvent.objects.filter(call_id__in=invited).order_by("call_id", "created_at", "id"):
            events[event.call_id].append(event_row(event, invited[event.call_id]))
        now = timezone.now()
        rows = [_row(call, diagnosis_of(call, events[call.pk]), now) for call in batch]
        CallDiagnosis.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["call"],
            update_fields=[
                "verdict",
                "summary",
                "path",
                "relay_protocol",
                "ice_restarts",
                "ended_by",
                "version",
                "computed_at",
            ],
        )
        written += len(rows)
    return written


def undiagnosed(calls: QuerySet[Call], *, outdated: bool = False) -> QuerySet[Call]:
    """The ended calls of `calls` without a diagnosis (or, with `outdated`, with one of an older version)."""
    missing = Q(diagnosis__isnull=True)
    if outdated:
        missing |= Q(diagnosis__version__lt=DIAGNOSIS_VERSION)
    return calls.filter(missing, state__in=TERMINAL_STATES)


def diagnose_missing(*, since: datetime) -> int:
    """The sweep's repair: diagnose the calls that ended since `since` and have no diagnosis (their
    end-of-call diagnosis failed); returns how many. Their buckets are recomputed by the same sweep."""
    # By the indexed event times (the terminal state events), not a scan of every call's end time.
    endings = CallEvent.objects.filter(kind=CallEvent.Kind.STATE, state__in=TERMINAL_STATES, created_at__gte=since)
    calls = undiagnosed(Call.objects.filter(pk__in=endings.values("call_id"))).order_by("pk")
    return store_diagnoses(calls.iterator(chunk_size=BATCH))
