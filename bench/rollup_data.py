"""The data of bench/rollup.py: realistic calls and their events written in bulk (COPY on PostgreSQL),
and the diagnoses of the ended ones (reporting.diagnoses, as at the end of each call)."""

from __future__ import annotations

import json
from datetime import date, datetime


def _copy_events(rows: list[tuple]) -> None:
    """COPY on PostgreSQL (bulk_create is slow for a million rows), bulk_create elsewhere."""
    from django.db import connection

    from calls.models import CallEvent

    if connection.vendor != "postgresql":
        CallEvent.objects.bulk_create(
            (
                CallEvent(call_id=c, kind=k, actor=a, state=s, data=json.loads(d), created_at=t)
                for c, k, a, s, d, t in rows
            ),
            batch_size=5000,
        )
        return
    with connection.cursor() as cursor:
        table = CallEvent._meta.db_table
        with cursor.cursor.copy(f"COPY {table} (call_id, kind, actor, state, data, created_at) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def write(account, planned: list) -> int:
    """Write planned calls (conversations and calls with bulk_create, events with COPY); returns events."""
    from django.db import transaction

    from calls.models import Call, Conversation
    from reporting.diagnoses import store_diagnoses

    with transaction.atomic():
        conversations = [
            Conversation(
                account=account,
                agent_id=p.agent_id,
                state="closed" if p.ended_at else "open",
                consumer_ref=p.consumer_ref,
                created_at=p.created_at,
            )
            for p in planned
        ]
        Conversation.objects.bulk_create(conversations, batch_size=5000)
        calls = [
            Call(
                account=account,
                conversation=conversation,
                agent_id=p.agent_id,
                media=p.media,
                state=p.state,
                end_reason=p.end_reason,
                created_at=p.created_at,
                answered_at=p.answered_at,
                started_at=p.started_at,
                ended_at=p.ended_at,
                duration_s=p.duration_s,
                consumer_browser=p.consumer_browser,
            )
            for p, conversation in zip(planned, conversations, strict=True)
        ]
        Call.objects.bulk_create(calls, batch_size=5000)
        rows = [
            (call.pk, e.kind, e.actor, e.state, json.dumps(e.data), e.created_at)
            for call, p in zip(calls, planned, strict=True)
            for e in p.events
        ]
        _copy_events(rows)
        # Each ended call's diagnosis, as the end of a call stores it (the rollup counts calls by it).
        store_diagnoses(calls)
    return len(rows)


def generate(accounts: list, agents: dict, *, events: int, days: int, first: date, seed: int, now: datetime) -> int:
    """Calls over `days` days for every account until there are `events` events, none after `now`
    (the calls still going at `now` are left in progress)."""
    from reporting.testing import plan_calls

    per_event = 7.0  # events per call, about; corrected as we go
    written, round_ = 0, 0
    while written < events:
        per_day = max(int((events - written) / per_event / days / len(accounts)) + 1, 1)
        made = 0
        for n, account in enumerate(accounts):
            planned = plan_calls(
                seed=seed + 1000 * round_ + n,
                agent_ids=agents[account.pk],
                zone_name=account.time_zone,
                first_day=first,
                days=days,
                calls_per_day=per_day,
                now=now,
            )
            budget = events - written - made
            kept, count = [], 0
            for p in planned:
                if count >= budget:
                    break
                kept.append(p)
                count += len(p.events)
            made += write(account, kept)
            per_event = max(count / max(len(kept), 1), 1.0)
            if written + made >= events:
                break
        written += made
        round_ += 1
    return written
