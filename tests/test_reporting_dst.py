"""Buckets at the daylight-saving changes, in zones with whole-, half- and quarter-hour offsets.

For each zone: a call every 7 minutes through the local day before, of and after each of its two
changes of the year (the missing hour and the repeated hour). The rollup (the code of every rollup
task), the end-of-call task, an independent computation written here in plain Python with zoneinfo
(minute by minute, sharing no code with reporting.buckets), and the reports API by hour, day,
week and month must all agree on every bucket's bounds and numbers.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import pytest
from rest_framework.test import APIClient

from accounts.models import Account
from calls.models import Call, Conversation
from reporting import services
from reporting.models import SessionRollup
from reporting.tasks import rollup_call_buckets_task
from tests.factories import PASSWORD, AdminFactory, UserFactory

URL = "/api/v1/reports/collaboration-sessions/"
MINUTE = timedelta(minutes=1)
STATES = ("completed", "rejected", "expired", "completed", "failed", "dropped", "cancelled")

# zone -> the local dates of its two changes in that year (the zones without DST: two ordinary days)
CHANGES = {
    "Europe/Berlin": (date(2025, 3, 30), date(2025, 10, 26)),  # 02:00 -> 03:00; 03:00 -> 02:00
    "America/New_York": (date(2025, 3, 9), date(2025, 11, 2)),
    "America/St_Johns": (date(2025, 3, 9), date(2025, 11, 2)),  # -03:30 / -02:30
    "Australia/Lord_Howe": (date(2025, 4, 6), date(2025, 10, 5)),  # +11:00 <-> +10:30: 30 minutes
    "Asia/Tehran": (date(2021, 3, 22), date(2021, 9, 22)),  # +03:30 / +04:30, the change AT midnight
    "America/Havana": (date(2025, 3, 9), date(2025, 11, 2)),  # midnight skipped; 00:00-01:00 twice
    "Asia/Kolkata": (date(2025, 3, 30), date(2025, 10, 26)),  # +05:30, no DST
    "Asia/Kathmandu": (date(2025, 3, 30), date(2025, 10, 26)),  # +05:45, no DST
}


# --- the independent computation: minute by minute on the local clock ----------------------------


def _hour_key(tz: ZoneInfo, instant: datetime) -> tuple:
    local = instant.astimezone(tz)
    return local.date(), local.hour, local.utcoffset()


@cache
def first_instant_of(zone_name: str, day: date) -> datetime:
    """The first minute (UTC) whose local date is `day`."""
    tz = ZoneInfo(zone_name)
    instant = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC) - timedelta(hours=3)
    while instant.astimezone(tz).date() < day:
        instant += MINUTE
    return instant


@cache
def hour_bounds(zone_name: str, key: tuple, inside: datetime) -> tuple[datetime, datetime]:
    """The first minute and the first minute after of the instants sharing local date, hour and offset."""
    tz = ZoneInfo(zone_name)
    start = inside
    while _hour_key(tz, start - MINUTE) == key:
        start -= MINUTE
    end = inside + MINUTE
    while _hour_key(tz, end) == key:
        end += MINUTE
    return start, end


def expected(zone_name: str, calls: list[Call], first: date, last: date) -> dict[str, dict[tuple, dict]]:
    """interval -> (bucket_start, bucket_end, media) -> sessions, completed, per-agent consumer sets."""
    tz = ZoneInfo(zone_name)
    out: dict[str, dict[tuple, dict]] = {name: {} for name in ("hour", "day", "week", "month")}
    for call in calls:
        local_day = call.created_at.astimezone(tz).date()
        key = _hour_key(tz, call.created_at)
        monday = local_day - timedelta(days=local_day.weekday())
        month = local_day.replace(day=1)
        next_month = (month + timedelta(days=32)).replace(day=1)
        bounds = {
            "hour": hour_bounds(zone_name, key, call.created_at.replace(second=0, microsecond=0)),
            "day": (first_instant_of(zone_name, local_day), first_instant_of(zone_name, local_day + timedelta(1))),
            # weeks and months: cut to the range asked for
            "week": (max(monday, first), min(monday + timedelta(7), last + timedelta(1))),
            "month": (max(month, first), min(next_month, last + timedelta(1))),
        }
        for interval, (start, end) in bounds.items():
            if isinstance(start, date) and not isinstance(start, datetime):
                start, end = first_instant_of(zone_name, start), first_instant_of(zone_name, end)
            row = out[interval].setdefault(
                (start, end, call.media), {"sessions": 0, "completed": 0, "consumers": defaultdict(set)}
            )
            row["sessions"] += 1
            row["completed"] += call.state == "completed"
            row["consumers"][call.agent_id].add(call.conversation.consumer_ref)
    return out


# --- data ---------------------------------------------------------------------------------------


def make_calls(account: Account, agents: list, zone_name: str) -> list[Call]:
    """A call every 7 minutes from the start of the day before each change to the end of the day after."""
    conversations = Conversation.objects.bulk_create(
        Conversation(account=account, agent=agents[0], state="closed", consumer_ref=f"consumer-{n}") for n in range(5)
    )
    calls = []
    n = 0
    for change in CHANGES[zone_name]:
        instant = first_instant_of(zone_name, change - timedelta(days=1)) + timedelta(minutes=3)
        end = first_instant_of(zone_name, change + timedelta(days=2))
        while instant < end:
            state = STATES[n % len(STATES)]
            started = instant + timedelta(seconds=20) if state in ("completed", "dropped") else None
            calls.append(
                Call(
                    account=account,
                    conversation=conversations[n % 5],
                    agent=agents[n % 2],
                    media=("voice", "video")[n % 3 == 0],
                    state=state,
                    end_reason=state,
                    created_at=instant,
                    answered_at=started,
                    started_at=started,
                    ended_at=instant + timedelta(seconds=90),
                    duration_s=70 if started else None,
                )
            )
            instant += timedelta(minutes=7)
            n += 1
    created = Call.objects.bulk_create(calls)
    return list(Call.objects.filter(pk__in=[c.pk for c in created]).select_related("conversation"))


def stored(account: Account, interval: str) -> dict[tuple, dict]:
    rows: dict[tuple, dict] = {}
    for r in SessionRollup.objects.filter(account=account, interval=interval):
        row = rows.setdefault((r.bucket_start, r.bucket_end, r.media), {"sessions": 0, "completed": 0, "consumers": {}})
        row["sessions"] += r.sessions
        row["completed"] += r.completed
        row["consumers"][r.agent_id] = r.distinct_consumers
    return rows


@pytest.mark.django_db
@pytest.mark.parametrize("zone_name", list(CHANGES))
def test_buckets_at_both_dst_changes_agree_everywhere(account, zone_name):
    """
    GIVEN an account in `zone_name` with a call every 7 minutes around both of its DST changes
    WHEN the days are rolled up (and, for the days of the changes, each hour again by the
         end-of-call task)
    THEN the stored hour and day rows, the independent computation and the API by hour, day, week
         and month agree on every bucket's bounds, sessions, completed calls and distinct consumers;
         a repeated hour is two buckets told apart by their offset, a skipped hour has none
    """
    Account.objects.filter(pk=account.pk).update(time_zone=zone_name)
    account.refresh_from_db()
    agents = [UserFactory(account=account, email=f"a{n}@acme.example") for n in range(2)]
    calls = make_calls(account, agents, zone_name)
    spring, autumn = CHANGES[zone_name]
    for change in (spring, autumn):
        services.rollup_days(accounts=[account], first=change - timedelta(days=1), last=change + timedelta(days=1))
    first, last = spring - timedelta(days=1), autumn + timedelta(days=1)
    want = expected(zone_name, calls, first, last)

    # The rollup's rows: exactly the independent buckets, with the same numbers.
    for interval in ("hour", "day"):
        got = stored(account, interval)
        assert got.keys() == want[interval].keys(), interval
        for key, row in want[interval].items():
            assert got[key]["sessions"] == row["sessions"], (interval, key)
            assert got[key]["completed"] == row["completed"], (interval, key)
            assert got[key]["consumers"] == {a: len(people) for a, people in row["consumers"].items()}, key
    hours_per_day = defaultdict(int)
    tz = ZoneInfo(zone_name)
    for start, _end, media in want["hour"]:
        if media == "voice":
            hours_per_day[start.astimezone(tz).date()] += 1
    offsets = {first_instant_of(zone_name, d).astimezone(tz).utcoffset() for d in (spring, autumn)}
    if len(offsets) > 1 or zone_name in ("Asia/Tehran", "America/Havana"):  # a zone with DST
        assert len(set(hours_per_day.values())) > 1, "a change day has another number of hours"

    # The end-of-call task recomputes the same rows, hour by hour, for the days of the changes.
    before = {i: stored(account, i) for i in ("hour", "day")}
    SessionRollup.objects.filter(account=account).delete()
    seen = set()
    for call in calls:
        key = _hour_key(tz, call.created_at)
        if call.created_at.astimezone(tz).date() in (spring, autumn) and key not in seen:
            seen.add(key)
            rollup_call_buckets_task.delay(account.pk, call.created_at.isoformat())
    for interval in ("hour", "day"):
        changed_days = {first_instant_of(zone_name, d) for d in (spring, autumn)}
        redone = stored(account, interval)
        for key, row in before[interval].items():
            day_of = key[0].astimezone(tz).date()
            if day_of in (spring, autumn) or key[0] in changed_days:
                assert redone.get(key) == row, (interval, key)

    # The API, by every interval, says the same.
    services.rollup_days(accounts=[account], first=first, last=last)
    admin = AdminFactory(account=account, email="boss@acme.example")
    client = APIClient()
    assert client.login(email=admin.email, password=PASSWORD)
    for interval in ("hour", "day", "week", "month"):
        body = client.get(URL, {"start": first, "end": last, "interval": interval, "limit": 10000}).json()
        got = {
            (datetime.fromisoformat(r["bucket_start"]), datetime.fromisoformat(r["bucket_end"]), r["media"]): r
            for r in body["results"]
        }
        assert got.keys() == want[interval].keys(), interval
        for key, row in want[interval].items():
            shown = got[key]
            assert (shown["sessions"], shown["completed"]) == (row["sessions"], row["completed"]), (interval, key)
            people = row["consumers"].values()
            # hour and day rows add up their agents' rows; weeks and months count each consumer once
            consumers = sum(map(len, people)) if interval in ("hour", "day") else len(set().union(*people))
            assert shown["distinct_consumers"] == consumers, (interval, key)
            local = key[0].astimezone(tz)
            if interval == "hour":
                assert shown["bucket"] == local.strftime("%Y-%m-%d %H:%M %z")
            elif interval == "month":
                assert shown["bucket"] == local.strftime("%Y-%m")
        assert body["totals"]["sessions"] == len(calls)
        assert sum(r["sessions"] for r in body["results"]) == len(calls)


def test_the_repeated_and_the_skipped_hour_read_as_a_person_expects():
    """The independent computation itself, on Berlin's two nights and Lord Howe's 30-minute change."""
    berlin = ZoneInfo("Europe/Berlin")
    autumn = [datetime(2025, 10, 26, 0, 30, tzinfo=UTC), datetime(2025, 10, 26, 1, 30, tzinfo=UTC)]
    keys = [_hour_key(berlin, t) for t in autumn]
    assert [k[1] for k in keys] == [2, 2] and keys[0] != keys[1]  # 02:00 +0200 and 02:00 +0100
    spring = first_instant_of("Europe/Berlin", date(2025, 3, 30))
    assert {_hour_key(berlin, spring + timedelta(minutes=m))[1] for m in range(0, 180, 10)} == {0, 1, 3}
    key = _hour_key(ZoneInfo("Australia/Lord_Howe"), datetime(2025, 10, 4, 15, 40, tzinfo=UTC))
    start, end = hour_bounds("Australia/Lord_Howe", key, datetime(2025, 10, 4, 15, 40, tzinfo=UTC))
    assert (start, end - start) == (datetime(2025, 10, 4, 15, 30, tzinfo=UTC), timedelta(minutes=30))  # 02:30 +1100
