"""The rollups: every metric against an independent computation, buckets in the account's time
zone (DST included), idempotency (twice, concurrently, after a crash), late events, the triggers."""

from __future__ import annotations

import itertools
import random
import threading
import time as time_module
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.db import OperationalError, connection, connections, transaction
from django.db.backends.utils import CursorWrapper

from accounts.models import Account, User
from calls import services as call_services
from calls.models import Call, CallEvent, Conversation
from reporting import rollup_sql, services
from reporting.buckets import Bucket, buckets_for_days, buckets_of, day_buckets
from reporting.diagnoses import store_diagnoses
from reporting.models import SessionRollup
from reporting.tasks import rollup_bucket_task, rollup_call_buckets_task, rollup_sweep_task
from reporting.testing import cut_at, plan_call, plan_calls, write_calls
from tests.factories import UserFactory

ROLLUP_FIELDS = [f.attname for f in SessionRollup._meta.concrete_fields if f.attname != "id"]
LIVE = {"ringing", "connecting", "active"}
FAILURE_CLASS = {
    "unsupported_browser": "failed_unsupported_browser",
    "no_webrtc": "failed_unsupported_browser",
    "no_devices": "failed_no_devices",
    "no_camera": "failed_no_devices",
    "no_microphone": "failed_no_devices",
    "permission_denied": "failed_permission_denied",
    "ice_failed": "failed_connection",
    "connect_timeout": "failed_connection",
}
# Readiness causes per rollup column (docs/metrics.md), written out again here: an independent computation.
READINESS_COLUMNS = {
    "readiness_unsupported_browser": {"unsupported_browser", "no_webrtc"},
    "readiness_no_microphone": {"no_microphone"},
    "readiness_no_camera": {"no_camera"},
    "readiness_network_blocked": {"network_blocked"},
    "readiness_direct_blocked": {"direct_blocked"},
    "readiness_relay_unavailable": {"relay_unavailable"},
}


# --- an independent computation of every metric, straight from the calls and their events -------


def _milli(value) -> int:
    """A sample value in thousandths, rounded half away from zero."""
    return int((Decimal(repr(value)) * 1000).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _expected_bucket_starts(instant: datetime, zone_name: str) -> dict[str, tuple[datetime, datetime]]:
    """Hour: the local wall-clock hour with the UTC offset in force (so a repeated hour is two
    hours). Day: local midnight to the next local midnight. (Valid for zones whose offsets change
    by whole hours, which are the ones used here.)"""
    tz = ZoneInfo(zone_name)
    local = instant.astimezone(tz)
    hour = local.replace(minute=0, second=0, microsecond=0).astimezone(UTC)
    day = datetime.combine(local.date(), time.min, tzinfo=tz).astimezone(UTC)
    next_day = datetime.combine(local.date() + timedelta(days=1), time.min, tzinfo=tz).astimezone(UTC)
    return {"hour": (hour, hour + timedelta(hours=1)), "day": (day, next_day)}


def expected_rows(account: Account) -> dict[tuple, dict]:
    """Every rollup row the account should have, computed in Python from its calls and events."""
    zone_name = account.time_zone
    calls = list(Call.objects.filter(account=account).select_related("conversation", "diagnosis"))
    events = defaultdict(list)
    for event in CallEvent.objects.filter(call__account=account):
        events[event.call_id].append(event)
    rows: dict[tuple, dict] = {}
    consumers: dict[tuple, set] = defaultdict(set)
    for call in calls:
        for interval, (start, end) in _expected_bucket_starts(call.created_at, zone_name).items():
            key = (interval, start, call.media, call.agent_id or 0)
            row = rows.setdefault(
                key,
                {f: 0 for f in ROLLUP_FIELDS}
                | {
                    "account_id": account.pk,
                    "interval": interval,
                    "bucket_start": start,
                    "bucket_end": end,
                    "media": call.media,
                    "agent_key": call.agent_id or 0,
                    "agent_id": call.agent_id,
                },
            )
            row["sessions"] += 1
            row["accepted"] += call.answered_at is not None
            for state in ("rejected", "expired", "cancelled", "failed", "completed", "dropped"):
                row[state] += call.state == state
            if call.state == "failed":
                row[FAILURE_CLASS.get(call.end_reason, "failed_other")] += 1
            row["connected"] += call.started_at is not None
            row["accepted_audio_only"] += call.media == "video" and call.consumer_audio_only
            if call.consumer_readiness_at is not None:
                causes = set(call.consumer_readiness.split(",")) - {""}
                row["readiness_checked"] += 1
                row["readiness_problems"] += bool(causes)
                for column, members in READINESS_COLUMNS.items():
                    row[column] += bool(causes & members)
            row["handed_off"] += call.consumer_device > 0
            row["screen_shared"] += call.screen_shared
            row["in_progress"] += call.state in LIVE
            diagnosis = getattr(call, "diagnosis", None)  # stored when the call ended (none: not counted)
            if diagnosis is not None and call.state not in LIVE:
                row[f"verdict_{diagnosis.verdict}"] += 1
            if call.started_at is not None and call.state not in LIVE:
                row["ended_connected"] += 1
                row["duration_s_sum"] += call.duration_s
                row["duration_s_max"] = max(row["duration_s_max"], call.duration_s)
            if call.answered_at is not None:
                row["answer_ms_sum"] += round((call.answered_at - call.created_at).total_seconds() * 1000)
            sides = set()
            for event in events[call.pk]:
                if event.kind == "connected" and event.actor in ("agent", "consumer"):
                    sides.add(event.actor)
                if event.kind != "stats":
                    continue
                for key_, samples, total in (
                    ("rtt_ms", "rtt_samples", "rtt_us_sum"),
                    ("packet_loss_pct", "packet_loss_samples", "packet_loss_mpct_sum"),
                    ("bitrate_kbps", "bitrate_samples", "bitrate_bps_sum"),
                ):
                    value = event.data.get(key_)
                    if isinstance(value, int | float) and not isinstance(value, bool):
                        row[samples] += 1
                        row[total] += _milli(value)
            row["participants"] += len(sides)
            consumer = call.conversation.consumer_ref or f"conversation {call.conversation_id}"
            consumers[key].add(consumer)
    for key, people in consumers.items():
        rows[key]["distinct_consumers"] = len(people)
    return rows


def stored_rows(account: Account) -> dict[tuple, dict]:
    return {
        (r["interval"], r["bucket_start"], r["media"], r["agent_key"]): r
        for r in SessionRollup.objects.filter(account=account).values(*ROLLUP_FIELDS)
    }


def snapshot() -> list[tuple]:
    """Every rollup row, every column (ids included), in key order."""
    return list(
        SessionRollup.objects.order_by("account_id", "interval", "bucket_start", "media", "agent_key").values_list()
    )


def generate(account: Account, agents: list[User], *, first_day: date, days: int, per_day: int, seed: int, now=None):
    agent_ids = [a.pk for a in agents]
    return write_calls(
        account=account,
        calls=plan_calls(
            seed=seed,
            agent_ids=agent_ids,
            zone_name=account.time_zone,
            first_day=first_day,
            days=days,
            calls_per_day=per_day,
            now=now,
        ),
    )


@pytest.fixture
def agents(account) -> list[User]:
    return [UserFactory(account=account, email=f"agent{n}@acme.example") for n in range(3)]


# --- every metric ------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("zone_name", "first_day"),
    [
        ("Europe/Berlin", date(2025, 10, 25)),  # the 25-hour day of 2025-10-26 in the middle
        ("America/New_York", date(2025, 3, 8)),  # the 23-hour day of 2025-03-09
        ("Asia/Kathmandu", date(2025, 6, 1)),  # +05:45: hours do not start on UTC hours
        ("UTC", date(2025, 1, 30)),
    ],
)
def test_every_metric_matches_an_independent_computation(account, agents, zone_name, first_day):
    """
    GIVEN four local days of realistic calls (every outcome, both media, three agents and a deleted
    one, returning and anonymous consumers, some calls still in progress) in the account's zone
    WHEN the days are rolled up
    THEN every row and every column equals what Python computes from the calls and events directly
    """
    Account.objects.filter(pk=account.pk).update(time_zone=zone_name)
    account.refresh_from_db()
    ghost = UserFactory(account=account, email="gone@acme.example")
    now = datetime.combine(first_day + timedelta(days=3), time(14), tzinfo=ZoneInfo(zone_name))
    plans = plan_calls(
        seed=7,
        agent_ids=[a.pk for a in [*agents, ghost]],
        zone_name=zone_name,
        first_day=first_day,
        days=4,
        calls_per_day=90,
        now=now,
    )
    rng = random.Random(8)
    for seconds, outcome in ((5, "completed"), (30, "completed"), (240, "completed"), (3, "expired")):
        started = now - timedelta(seconds=seconds)
        plans.append(
            cut_at(plan_call(rng, media="voice", agent_id=agents[0].pk, created_at=started, outcome=outcome), now)
        )
    calls = write_calls(account=account, calls=plans)
    ghost.delete()  # calls keep their numbers, under "deleted agent"
    store_diagnoses(calls[::3] + calls[1::3])  # two calls in three have their verdict; the rest none yet

    services.rollup_days(accounts=[account], first=first_day, last=first_day + timedelta(days=3))

    states = {c.state for c in Call.objects.filter(account=account)}
    assert states >= {"completed", "dropped", "failed", "rejected", "expired", "cancelled"}
    assert states & LIVE, "some calls are still in progress"
    assert Call.objects.filter(account=account, agent=None).exists()
    assert Call.objects.filter(account=account, screen_shared=True).exists(), "some calls showed a screen"
    assert len(calls) > 200
    expected, stored = expected_rows(account), stored_rows(account)
    assert stored.keys() == expected.keys()
    for key, row in expected.items():
        assert stored[key] == row, key
    assert_days_add_up_their_hours(account)
    assert sum(r["verdict_good"] + r["verdict_not_connected"] for k, r in stored.items() if k[0] == "day") > 20
    total = sum(r["sessions"] for k, r in stored.items() if k[0] == "day")
    assert total == len(calls) == sum(r["sessions"] for k, r in stored.items() if k[0] == "hour")


@pytest.mark.django_db
def test_other_accounts_calls_never_count(account, other_account, agents):
    other_agent = UserFactory(account=other_account, email="x@globex.example")
    generate(other_account, [other_agent], first_day=date(2025, 5, 1), days=1, per_day=30, seed=3)
    generate(account, agents, first_day=date(2025, 5, 1), days=1, per_day=30, seed=4)

    services.rollup_days(accounts=[account], first=date(2025, 5, 1), last=date(2025, 5, 1))

    assert not SessionRollup.objects.filter(account=other_account).exists()
    assert stored_rows(account) == expected_rows(account)


# --- buckets -----------------------------------------------------------------------------------


def test_dst_days_have_23_and_25_hour_buckets_nested_in_the_day():
    spring = day_buckets("Europe/Berlin", date(2025, 3, 30))
    autumn = day_buckets("Europe/Berlin", date(2025, 10, 26))
    for buckets, hours in ((spring, 23), (autumn, 25)):
        day, *hour_buckets = buckets
        assert len(hour_buckets) == hours
        assert day.end - day.start == timedelta(hours=hours)
        assert hour_buckets[0].start == day.start and hour_buckets[-1].end == day.end
        assert all(a.end == b.start for a, b in zip(hour_buckets, hour_buckets[1:], strict=False))
        assert all(b.end - b.start == timedelta(hours=1) for b in hour_buckets)
    berlin = ZoneInfo("Europe/Berlin")
    # The repeated hour: two buckets both reading 02:00 locally, one at +02:00 and one at +01:00.
    twos = [b for b in autumn[1:] if b.start.astimezone(berlin).hour == 2]
    assert [b.start.astimezone(berlin).utcoffset() for b in twos] == [timedelta(hours=2), timedelta(hours=1)]
    # The skipped hour: no bucket reads 02:00 in spring.
    assert [b.start.astimezone(berlin).hour for b in spring[1:4]] == [0, 1, 3]


def test_half_and_quarter_hour_zones_start_hours_on_their_own_clock():
    hour, day = buckets_of("Asia/Kathmandu", datetime(2025, 6, 1, 3, 20, tzinfo=UTC))
    assert hour.start == datetime(2025, 6, 1, 3, 15, tzinfo=UTC)  # 09:00 local
    assert day.start == datetime(2025, 5, 31, 18, 15, tzinfo=UTC)
    assert len(buckets_for_days("Asia/Kolkata", date(2025, 1, 1), date(2025, 1, 2), ["hour"])) == 48


def test_an_unknown_time_zone_reports_in_utc():
    hour, day = buckets_of("Mars/Olympus_Mons", datetime(2025, 6, 1, 3, 20, tzinfo=UTC))
    assert (hour.start, day.start) == (datetime(2025, 6, 1, 3, tzinfo=UTC), datetime(2025, 6, 1, tzinfo=UTC))


@pytest.mark.django_db
def test_calls_in_the_repeated_hour_land_in_two_buckets(account, agent):
    """
    GIVEN a Berlin account with one call every 10 minutes through 2025-10-26 (25 hours long)
    WHEN the day is rolled up
    THEN there are 25 hour rows of 6 calls each, two of them reading 02:00, and one day row of 150
    """
    Account.objects.filter(pk=account.pk).update(time_zone="Europe/Berlin")
    account.refresh_from_db()
    start = datetime(2025, 10, 25, 22, tzinfo=UTC)  # local midnight (+02:00)
    conversation = Conversation.objects.create(account=account, agent=agent, state="closed")
    Call.objects.bulk_create(
        Call(
            account=account,
            conversation=conversation,
            agent=agent,
            media="voice",
            state="rejected",
            end_reason="rejected",
            created_at=start + timedelta(minutes=10 * n),
            ended_at=start + timedelta(minutes=10 * n, seconds=5),
            duration_s=0,
        )
        for n in range(150)
    )
    services.rollup_days(accounts=[account], first=date(2025, 10, 26), last=date(2025, 10, 26))

    hours = SessionRollup.objects.filter(account=account, interval="hour").order_by("bucket_start")
    assert [h.sessions for h in hours] == [6] * 25
    assert SessionRollup.objects.get(account=account, interval="day").sessions == 150
    assert stored_rows(account) == expected_rows(account)


# --- idempotency -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_running_twice_gives_byte_identical_rows(account, agents):
    generate(account, agents, first_day=date(2025, 5, 1), days=2, per_day=60, seed=11)
    services.rollup_days(accounts=[account], first=date(2025, 5, 1), last=date(2025, 5, 2))
    first = snapshot()

    services.rollup_days(accounts=[account], first=date(2025, 5, 1), last=date(2025, 5, 2))

    assert snapshot() == first
    assert len(first) > 20


@pytest.mark.django_db
def test_a_crash_midway_leaves_the_previous_rows_and_a_rerun_the_right_ones(account, agents):
    """
    GIVEN rolled-up rows, then more calls in the same buckets
    WHEN a run dies after its upsert but before commit (the worker was killed)
    THEN the rows are exactly the previous ones (nothing half-written), and the rerun (acks_late
         redelivers the message) gives the same rows as a run that never crashed
    """
    generate(account, agents, first_day=date(2025, 5, 1), days=1, per_day=40, seed=12)
    services.rollup_days(accounts=[account], first=date(2025, 5, 1), last=date(2025, 5, 1))
    before = snapshot()
    generate(account, agents, first_day=date(2025, 5, 1), days=1, per_day=40, seed=13)

    real_execute = CursorWrapper.execute
    statements = []

    def dying_execute(self, sql, params=None):
        result = real_execute(self, sql, params)
        statements.append(sql)
        if "INSERT INTO" in sql and "reporting_sessionrollup" in sql:
            raise SystemExit("worker killed")  # not an Exception: nothing may catch it on the way out
        return result

    with mock.patch.object(CursorWrapper, "execute", dying_execute), pytest.raises(SystemExit):
        services.rollup_days(accounts=[account], first=date(2025, 5, 1), last=date(2025, 5, 1))
    assert any("INSERT INTO" in s for s in statements)
    assert snapshot() == before

    services.rollup_days(accounts=[account], first=date(2025, 5, 1), last=date(2025, 5, 1))
    assert stored_rows(account) == expected_rows(account)
    after_crash = snapshot()
    SessionRollup.objects.all().delete()
    services.rollup_days(accounts=[account], first=date(2025, 5, 1), last=date(2025, 5, 1))
    clean = snapshot()
    assert [row[1:] for row in after_crash] == [row[1:] for row in clean]  # all but the id


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_workers_give_the_same_rows_as_one(account, agents):
    """
    GIVEN a day of calls
    WHEN four threads (each its own database connection, like four workers) recompute the same
         buckets at the same time, while nothing is there yet
    THEN no run fails, no row is duplicated, and the rows are those of a single run
    """
    generate(account, agents, first_day=date(2025, 5, 1), days=1, per_day=60, seed=14)
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def worker():
        try:
            barrier.wait(timeout=10)
            for attempt in range(50):
                try:
                    services.rollup_days(accounts=[account], first=date(2025, 5, 1), last=date(2025, 5, 1))
                    break
                except OperationalError:
                    # What the task's autoretry_for does. Only SQLite's shared-cache in-memory test
                    # database refuses a concurrent writer ("table is locked") instead of waiting;
                    # PostgreSQL serialises the runs on the advisory lock.
                    if connection.vendor != "sqlite" or attempt == 49:
                        raise
                    time_module.sleep(0.02)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    concurrent = snapshot()
    assert stored_rows(account) == expected_rows(account)

    SessionRollup.objects.all().delete()
    services.rollup_days(accounts=[account], first=date(2025, 5, 1), last=date(2025, 5, 1))
    assert [row[1:] for row in concurrent] == [row[1:] for row in snapshot()]


# --- changes after a rollup ----------------------------------------------------------------------


@pytest.mark.django_db
def test_late_events_land_in_the_invitation_bucket(account, agent):
    """
    GIVEN a call invited at 10:59 local and rolled up while it is active
    WHEN quality samples arrive at 11:20 and the call ends at 12:05 (so in later hours)
    THEN the end-of-call rollup puts them into the 10:00 and that day's buckets, and no row
         appears for 11:00 or 12:00
    """
    Account.objects.filter(pk=account.pk).update(time_zone="America/New_York")
    account.refresh_from_db()
    tz = ZoneInfo("America/New_York")
    invited = datetime(2025, 7, 4, 10, 59, tzinfo=tz)
    conversation = Conversation.objects.create(account=account, agent=agent, state="open", created_at=invited)
    call = Call.objects.create(
        account=account,
        conversation=conversation,
        agent=agent,
        media="video",
        state="active",
        created_at=invited,
        answered_at=invited + timedelta(seconds=4),
        started_at=invited + timedelta(seconds=6),
    )
    services.rollup_instant(account_id=account.pk, instant=call.created_at)
    hour = SessionRollup.objects.get(account=account, interval="hour")
    assert (hour.in_progress, hour.completed, hour.rtt_samples) == (1, 0, 0)

    CallEvent.objects.create(
        call=call, kind="stats", actor="agent", data={"rtt_ms": 80}, created_at=invited + timedelta(minutes=21)
    )
    ended = datetime(2025, 7, 4, 12, 5, tzinfo=tz)
    Call.objects.filter(pk=call.pk).update(
        state="completed",
        end_reason="agent_hangup",
        ended_at=ended,
        duration_s=int((ended - call.started_at).total_seconds()),
    )
    rollup_call_buckets_task.delay(account.pk, call.created_at.isoformat())

    hour = SessionRollup.objects.get(account=account, interval="hour")
    day = SessionRollup.objects.get(account=account, interval="day")
    assert hour.bucket_start.astimezone(tz) == datetime(2025, 7, 4, 10, tzinfo=tz)
    assert day.bucket_start.astimezone(tz) == datetime(2025, 7, 4, tzinfo=tz)
    for row in (hour, day):
        assert (row.in_progress, row.completed, row.rtt_samples, row.rtt_us_sum) == (0, 1, 1, 80_000)
        assert row.duration_s_sum == row.duration_s_max == 3960 - 6
    assert SessionRollup.objects.count() == 2


@pytest.mark.django_db
def test_rows_whose_calls_are_gone_are_removed(account, agents):
    generate(account, agents, first_day=date(2025, 5, 1), days=1, per_day=30, seed=15)
    services.rollup_days(accounts=[account], first=date(2025, 5, 1), last=date(2025, 5, 1))
    victim = agents[0]
    Call.objects.filter(agent=victim).delete()

    services.rollup_days(accounts=[account], first=date(2025, 5, 1), last=date(2025, 5, 1))

    assert not SessionRollup.objects.filter(agent_key=victim.pk).exists()
    assert stored_rows(account) == expected_rows(account)


@pytest.mark.django_db
def test_a_time_zone_change_and_a_rebuild_leave_no_overlapping_rows(account, agents):
    generate(account, agents, first_day=date(2025, 5, 1), days=2, per_day=30, seed=16)
    services.rollup_days(accounts=[account], first=date(2025, 4, 30), last=date(2025, 5, 3))
    Account.objects.filter(pk=account.pk).update(time_zone="Asia/Kathmandu")
    account.refresh_from_db()

    services.rollup_days(accounts=[account], first=date(2025, 4, 30), last=date(2025, 5, 3))

    assert stored_rows(account) == expected_rows(account)


def _row_ids(account: Account) -> dict[tuple, tuple[int, tuple]]:
    """Each row's key -> (id, every other column): a kept row keeps its id."""
    return {
        (r.interval, r.bucket_start, r.media, r.agent_key): (r.pk, tuple(getattr(r, f) for f in ROLLUP_FIELDS))
        for r in SessionRollup.objects.filter(account=account)
    }


@pytest.mark.django_db
def test_a_rerun_deletes_the_stale_rows_of_its_buckets_and_keeps_every_other_row(account, other_account, agents):
    """
    GIVEN two accounts' rolled-up hours and days, then in one account: agent 0's calls of 10:00
          deleted, every call of 14:00 deleted, the 16:00 calls deleted, and two rows of other bounds
          (an earlier time zone's) added, one overlapping 12:00 and one inside 11:00
    WHEN the sweep's shape of run recomputes scattered buckets (10:00, 12:00, 14:00 and their day)
    THEN exactly the stale rows of those buckets are gone (agent 0's at 10:00, all of 14:00, the row
         overlapping 12:00); the rows between them (11:00 with its foreign row, 13:00) and outside
         them (16:00, stale, not recomputed) are untouched; every current row keeps its id; the
         other account is untouched
    AND WHEN the whole days are recomputed (the backfill's shape), every row is the independent
         computation's and the rows that still have calls still keep their ids
    """
    day = date(2025, 5, 1)
    at = lambda hour, minute=0: datetime.combine(day, time(hour, minute), tzinfo=UTC)  # noqa: E731
    rng = random.Random(21)
    plans = [
        plan_call(rng, media=media, agent_id=agent.pk, created_at=at(hour, 5 + 10 * n), outcome="completed")
        for hour in range(9, 18)
        for n, (media, agent) in enumerate(itertools.product(("voice", "video"), agents[:2]))
    ]
    write_calls(account=account, calls=plans)
    other_agent = UserFactory(account=other_account, email="x@globex.example")
    generate(other_account, [other_agent], first_day=day, days=1, per_day=40, seed=22)
    services.rollup_days(accounts=[account, other_account], first=day, last=day)
    theirs = _row_ids(other_account)

    in_hour = lambda hour: {"created_at__gte": at(hour), "created_at__lt": at(hour + 1)}  # noqa: E731
    Call.objects.filter(account=account, agent=agents[0], **in_hour(10)).delete()
    Call.objects.filter(account=account, **in_hour(14)).delete()
    Call.objects.filter(account=account, **in_hour(16)).delete()
    template = SessionRollup.objects.filter(account=account, interval="hour").first()
    for start, end in ((at(12, 30), at(13, 30)), (at(11, 15), at(11, 45))):
        SessionRollup.objects.create(
            **{f: getattr(template, f) for f in ROLLUP_FIELDS if f not in {"bucket_start", "bucket_end"}},
            bucket_start=start,
            bucket_end=end,
        )
    before = _row_ids(account)

    hours = [buckets_of("UTC", at(hour, 30))[0] for hour in (10, 12, 14)]
    services.rollup_buckets(account_id=account.pk, buckets=[*hours, buckets_of("UTC", at(10))[1]])

    after = _row_ids(account)
    gone = {key for key in before if key not in after}
    assert gone == {
        *(("hour", at(10), media, agents[0].pk) for media in ("voice", "video")),
        *(("hour", at(14), media, agent.pk) for media in ("voice", "video") for agent in agents[:2]),
        ("hour", at(12, 30), template.media, template.agent_key),
    }
    assert after.keys() <= before.keys()
    for key in after:
        if key[0] == "day":
            assert after[key][0] == before[key][0], key  # recomputed in place
        else:
            assert after[key] == before[key], key  # hours keep id and numbers (no call changed in them)
    assert ("hour", at(11, 15), template.media, template.agent_key) in after
    assert {("hour", at(16), m, a.pk) for m in ("voice", "video") for a in agents[:2]} <= after.keys()
    assert _row_ids(other_account) == theirs

    services.rollup_days(accounts=[account], first=day, last=day)

    assert stored_rows(account) == expected_rows(account)
    final = _row_ids(account)
    assert all(final[key][0] == before[key][0] for key in final)  # every row left is a row that was kept
    assert not any(key[1].hour == 16 and key[0] == "hour" for key in final)
    assert _row_ids(other_account) == theirs


def test_spans_merge_touching_buckets_of_one_account_only():
    hour = lambda h: datetime(2025, 5, 1, h, tzinfo=UTC)  # noqa: E731
    keys = [
        services.AccountBucket(1, Bucket("hour", hour(10), hour(11))),
        services.AccountBucket(2, Bucket("hour", hour(11), hour(12))),
        services.AccountBucket(1, Bucket("hour", hour(12), hour(13))),
        services.AccountBucket(1, Bucket("hour", hour(11), hour(12))),
        services.AccountBucket(1, Bucket("hour", hour(15), hour(16))),
    ]
    assert rollup_sql.spans(keys) == [(1, hour(10), hour(13)), (1, hour(15), hour(16)), (2, hour(11), hour(12))]


# --- triggers: the state machine, the sweep, the tasks -------------------------------------------


@pytest.fixture
def open_conversation(account, agent):
    return Conversation.objects.create(account=account, agent=agent, state=Conversation.State.OPEN)


@pytest.mark.django_db
def test_a_call_ending_enqueues_its_buckets_after_commit(
    account, agent, open_conversation, django_capture_on_commit_callbacks
):
    """
    GIVEN a call that rings
    WHEN the consumer rejects it (a terminal transition of the state machine)
    THEN one rollup is queued to run after commit (none for the invitation), and running it
         writes the call's hour and day rows
    """
    with django_capture_on_commit_callbacks() as invited:
        call = call_services.call_invite(agent=agent, conversation_id=open_conversation.pk, media="voice")
    with mock.patch("reporting.tasks.rollup_call_buckets_task.delay") as delay:
        for callback in invited:
            callback()
    delay.assert_not_called()

    with django_capture_on_commit_callbacks(execute=True):
        call_services.call_reject(conversation_id=open_conversation.pk, call_id=call.pk)

    rows = SessionRollup.objects.filter(account=account)
    assert sorted(r.interval for r in rows) == ["day", "hour"]
    assert all((r.sessions, r.rejected, r.agent_id, r.media) == (1, 1, agent.pk, "voice") for r in rows)


@pytest.mark.django_db
def test_a_broker_outage_never_fails_the_end_of_a_call(
    account, agent, open_conversation, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call = call_services.call_invite(agent=agent, conversation_id=open_conversation.pk, media="video")
    with (
        mock.patch(
            "reporting.tasks.rollup_call_buckets_task.delay", side_effect=ConnectionError("broker down")
        ) as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        call_services.call_hangup(call_id=call.pk, party="agent", agent=agent)
    delay.assert_called_once()  # the enqueue was tried, and its failure did not undo the hang-up
    assert Call.objects.get(pk=call.pk).state == "cancelled"
    assert [e.state for e in CallEvent.objects.filter(call=call, kind="state").order_by("id")] == [
        "ringing",
        "cancelled",
    ]


@pytest.mark.django_db
def test_the_sweep_repairs_buckets_whose_trigger_was_lost(account, agents):
    """
    GIVEN calls written without any rollup (their end-of-call triggers were lost), some invited
          days ago but ended just now, and old calls that did not change lately
    WHEN the beat's sweep runs over the last hour
    THEN exactly the buckets of calls with state changes in that hour are rebuilt
    """
    now = datetime(2025, 5, 10, 12, tzinfo=UTC)
    generate(account, agents, first_day=date(2025, 5, 1), days=1, per_day=20, seed=17)  # old, quiet
    recent = generate(account, agents, first_day=date(2025, 5, 10), days=1, per_day=80, seed=18, now=now)
    long_call = recent[0]
    old_invite = datetime(2025, 5, 9, 23, 30, tzinfo=UTC)
    Call.objects.filter(pk=long_call.pk).update(created_at=old_invite)
    CallEvent.objects.create(
        call=long_call, kind="state", actor="agent", state="completed", created_at=now - timedelta(minutes=5)
    )

    with mock.patch("django.utils.timezone.now", return_value=now):
        rollup_sweep_task.delay(window_s=3600)

    touched = {
        b
        for c in Call.objects.filter(
            pk__in=CallEvent.objects.filter(created_at__gte=now - timedelta(hours=1)).values("call")
        )
        for b in buckets_of("UTC", c.created_at)
    }
    stored = {(r.interval, r.bucket_start) for r in SessionRollup.objects.filter(account=account)}
    assert stored == {(b.interval, b.start) for b in touched}
    assert ("day", datetime(2025, 5, 9, tzinfo=UTC)) in stored
    assert ("day", datetime(2025, 5, 1, tzinfo=UTC)) not in stored
    expected = expected_rows(account)
    for key, row in stored_rows(account).items():
        if key[0] == "hour":
            assert row == expected[key]
    assert_days_add_up_their_hours(account)

    # A sweep over the whole day (the beat was down since yesterday) repairs every bucket, after
    # diagnosing the calls that ended in its window without a verdict (their buckets count them).
    with mock.patch("django.utils.timezone.now", return_value=now):
        rollup_sweep_task.delay(window_s=2 * 86400)
    ended_lately = Call.objects.filter(account=account, ended_at__gte=now - timedelta(days=2))
    assert ended_lately.exists() and not ended_lately.filter(diagnosis__isnull=True).exists()
    expected = expected_rows(account)
    assert {k: v for k, v in expected.items() if k[1] >= datetime(2025, 5, 9, tzinfo=UTC)} == stored_rows(account)


def assert_days_add_up_their_hours(account: Account) -> None:
    """Every day row is the sum of the account's stored hour rows inside it (max for the longest)."""
    from reporting.models import ADDITIVE_FIELDS

    rows = list(SessionRollup.objects.filter(account=account))
    for day in (r for r in rows if r.interval == "day"):
        hours = [
            h
            for h in rows
            if h.interval == "hour" and h.media == day.media and h.agent_key == day.agent_key
            and day.bucket_start <= h.bucket_start < day.bucket_end
        ]  # fmt: skip
        for name in ADDITIVE_FIELDS:
            if name != "distinct_consumers":
                assert getattr(day, name) == sum(getattr(h, name) for h in hours), (day, name)
        assert day.duration_s_max == max(h.duration_s_max for h in hours)


@pytest.mark.django_db
def test_tasks_exit_quietly_when_their_object_is_gone_or_the_key_is_bad(account, agents):
    generate(account, agents, first_day=date(2025, 5, 1), days=1, per_day=5, seed=19)
    assert rollup_call_buckets_task.delay(999_999, "2025-05-01T10:00:00+00:00").get() == 0
    assert rollup_call_buckets_task.delay(account.pk, "yesterday").get() == 0
    assert rollup_call_buckets_task.delay(account.pk, "2025-05-01T10:00:00").get() == 0  # naive
    assert rollup_bucket_task.delay(account.pk, "week", "2025-05-01T00:00:00+00:00").get() == 0
    assert rollup_bucket_task.delay(account.pk, "hour", "2025-05-01T10:30:00+00:00").get() == 0
    assert rollup_bucket_task.delay(999_999, "day", "2025-05-01T00:00:00+00:00").get() == 0
    assert not SessionRollup.objects.exists()
    assert rollup_bucket_task.delay(account.pk, "day", "2025-05-01T00:00:00+00:00").get() >= 1
    assert set(SessionRollup.objects.values_list("interval", flat=True)) == {"day", "hour"}  # a day needs its hours
    assert stored_rows(account) == expected_rows(account)


def test_rollup_tasks_ack_late_and_retry_only_database_errors():
    from django.db import OperationalError

    for task in (rollup_call_buckets_task, rollup_bucket_task, rollup_sweep_task):
        assert task.acks_late and task.reject_on_worker_lost
        assert task.autoretry_for == (OperationalError,)
        assert task.max_retries == 5 and task.time_limit and task.soft_time_limit


@pytest.mark.django_db
def test_non_numeric_quality_values_are_ignored_not_fatal(account, agent):
    conversation = Conversation.objects.create(account=account, agent=agent, state="closed")
    at = datetime(2025, 5, 1, 10, tzinfo=UTC)
    call = Call.objects.create(
        account=account, conversation=conversation, agent=agent, media="video", state="completed",
        created_at=at, answered_at=at + timedelta(seconds=2), started_at=at + timedelta(seconds=3),
        ended_at=at + timedelta(seconds=63), duration_s=60, end_reason="agent_hangup",
    )  # fmt: skip
    for data in ({"rtt_ms": "fast"}, {"rtt_ms": True}, {"rtt_ms": [1]}, {"rtt_ms": 12.5, "bitrate_kbps": None}, {}):
        CallEvent.objects.create(
            call=call, kind="stats", actor="agent", data=data, created_at=at + timedelta(seconds=10)
        )
    services.rollup_instant(account_id=account.pk, instant=at)
    typed = CallEvent.objects.filter(call=call).order_by("id").values_list("rtt_us", "bitrate_bps")
    assert list(typed) == [(None, None), (None, None), (None, None), (12_500, None), (None, None)]
    row = SessionRollup.objects.get(account=account, interval="hour")
    assert (row.rtt_samples, row.rtt_us_sum, row.bitrate_samples) == (1, 12_500, 0)


@pytest.mark.django_db
def test_transaction_rollback_discards_the_queued_rollup(
    account, agent, open_conversation, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call = call_services.call_invite(agent=agent, conversation_id=open_conversation.pk, media="voice")
    with mock.patch("reporting.tasks.rollup_call_buckets_task.delay") as delay:
        with (
            django_capture_on_commit_callbacks(execute=True) as queued,
            pytest.raises(RuntimeError),
            transaction.atomic(),
        ):
            call_services.call_reject(conversation_id=open_conversation.pk, call_id=call.pk)
            raise RuntimeError("rolled back")
        assert queued == []
        delay.assert_not_called()
        assert Call.objects.get(pk=call.pk).state == "ringing"

        # The same rejection committed does queue the rollup: the assertions above can fail.
        with django_capture_on_commit_callbacks(execute=True):
            call_services.call_reject(conversation_id=open_conversation.pk, call_id=call.pk)
        delay.assert_called_once()
