"""The reports API: who may read what, the parameters, the rows, CSV, pages, query counts, schema."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework import serializers
from rest_framework.test import APIClient

from accounts.models import Account
from calls.models import Call, CallEvent, Conversation
from reporting import queries, services
from reporting.api.serializers import ReportRowSerializer
from reporting.models import ADDITIVE_FIELDS, SessionRollup
from reporting.testing import plan_calls, write_calls
from tests.factories import PASSWORD, UserFactory

URL = "/api/v1/reports/collaboration-sessions/"
FIRST = date(2025, 5, 5)


def client_for(user) -> APIClient:
    client = APIClient()
    assert client.login(email=user.email, password=PASSWORD)
    return client


def seed(account, agents, *, first=FIRST, days=3, per_day=40, seed=1):
    write_calls(
        account=account,
        calls=plan_calls(
            seed=seed,
            agent_ids=[a.pk for a in agents],
            zone_name=account.time_zone,
            first_day=first,
            days=days,
            calls_per_day=per_day,
        ),
    )
    services.rollup_days(accounts=[account], first=first, last=first + timedelta(days=days - 1))


@pytest.fixture
def data(account, other_account, agent):
    """Acme (Berlin time) with two agents and three days of calls; Globex with calls the same days."""
    Account.objects.filter(pk=account.pk).update(time_zone="Europe/Berlin")
    account.refresh_from_db()
    second = UserFactory(account=account, email="second@acme.example", name="Sam Second")
    seed(account, [agent, second])
    seed(other_account, [UserFactory(account=other_account, email="g@globex.example")], seed=2)
    return {"agents": [agent, second]}


def report(client, **params):
    return client.get(URL, {"start": "2025-05-05", "end": "2025-05-07", **params})


# --- access -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_admin_reads_their_own_account_only(admin_user, data, other_account):
    client = client_for(admin_user)
    body = report(client).json()
    assert body["account"] == "acme" and body["time_zone"] == "Europe/Berlin"
    own = SessionRollup.objects.filter(account=admin_user.account, interval="day")
    assert body["totals"]["sessions"] == sum(r.sessions for r in own)
    assert body["totals"]["sessions"] != sum(r.sessions for r in SessionRollup.objects.filter(interval="day"))
    assert report(client, account="acme").status_code == 200
    assert report(client, account=other_account.slug).status_code == 404
    assert report(client, account="no-such-brand").status_code == 404  # existence is not revealed


@pytest.mark.django_db
def test_support_names_the_account(support, data, other_account):
    client = client_for(support)
    missing = report(client)
    assert missing.status_code == 400 and "account" in missing.json()
    unknown = report(client, account="nope")
    assert unknown.status_code == 400 and "account" in unknown.json()
    body = report(client, account=other_account.slug).json()
    assert body["account"] == "globex"
    assert body["totals"]["sessions"] == sum(
        r.sessions for r in SessionRollup.objects.filter(account=other_account, interval="day")
    )


@pytest.mark.django_db
def test_agents_and_anonymous_are_refused(agent, data):
    assert report(client_for(agent)).status_code == 403
    assert report(APIClient()).status_code == 401


@pytest.mark.django_db
def test_token_authentication_works_for_the_feed(admin_user, data):
    token = APIClient().post("/api/v1/auth/token/", {"email": admin_user.email, "password": PASSWORD}).json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert report(client).status_code == 200


# --- parameters -----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "blamed"),
    [
        ({"start": "05/05/2025"}, "start"),
        ({"end": "2025-13-01"}, "end"),
        ({"interval": "quarter"}, "interval"),
        ({"group_by": "browser"}, "group_by"),
        ({"start": "2025-05-07", "end": "2025-05-05"}, "end"),
        ({"start": "2024-01-01", "end": "2025-01-01"}, "end"),  # 367 days
        ({"start": "1999-12-31"}, "start"),
        ({"limit": "0"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"intreval": "hour"}, "intreval"),  # a typo is refused, not ignored
        ({"format": "xml"}, None),  # an unknown format: DRF's 404
    ],
)
def test_bad_parameters_answer_400_naming_the_parameter(admin_client, data, params, blamed):
    response = report(admin_client, **params)
    if blamed is None:
        assert response.status_code == 404
        return
    assert response.status_code == 400, response.content
    assert list(response.json()) == [blamed]


@pytest.mark.django_db
def test_a_start_alone_more_than_a_year_ago_is_refused(admin_client, data):
    response = admin_client.get(URL, {"start": "2001-01-01"})
    assert response.status_code == 400 and list(response.json()) == ["end"]


@pytest.mark.django_db
def test_a_full_leap_year_is_allowed(admin_client, data):
    assert admin_client.get(URL, {"start": "2024-01-01", "end": "2024-12-31"}).status_code == 200


@pytest.mark.django_db
def test_defaults_are_the_last_seven_days_by_day_and_media(admin_client, data):
    body = admin_client.get(URL).json()
    end = date.fromisoformat(body["end"])
    assert (end - date.fromisoformat(body["start"])).days == 6
    assert (body["interval"], body["group_by"]) == ("day", "media")


# --- rows -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_rows_by_media_add_up_the_agents(admin_client, admin_user, data):
    body = report(admin_client).json()
    rows = body["results"]
    assert body["count"] == len(rows) == 6  # three days, two media
    assert {tuple(sorted(r)) for r in rows} == {tuple(sorted(rows[0]))}
    assert "agent_id" not in rows[0] and rows[0]["media"] in ("voice", "video")
    assert rows[0]["bucket_start"] == "2025-05-05T00:00:00+02:00" and rows[0]["bucket"] == "2025-05-05"
    stored = SessionRollup.objects.filter(account=admin_user.account, interval="day")
    for row in rows:
        mine = [
            r
            for r in stored
            if r.media == row["media"] and r.bucket_start == datetime.fromisoformat(row["bucket_start"])
        ]
        assert row["sessions"] == sum(r.sessions for r in mine)
        assert row["duration_s_max"] == max(r.duration_s_max for r in mine)
        accepted, answered = sum(r.accepted for r in mine), sum(r.accepted + r.rejected + r.expired for r in mine)
        assert row["acceptance_rate"] == round(accepted / answered, 4)
    assert sum(r["sessions"] for r in rows) == body["totals"]["sessions"]


@pytest.mark.django_db
def test_rows_by_agent_name_the_agents(admin_client, data):
    rows = report(admin_client, group_by="agent").json()["results"]
    assert {r["agent_name"] for r in rows} == {"Andy Agent", "Sam Second"}
    assert "media" not in rows[0]
    assert {r["agent_id"] for r in rows} == {a.pk for a in data["agents"]}


@pytest.mark.django_db
def test_hour_buckets_on_a_dst_day_are_25_and_carry_their_offset(admin_client, admin_user, agent):
    """
    GIVEN a Berlin account with a call in every hour of 2025-10-26 (the 25-hour day)
    WHEN the hourly report of that day is read
    THEN there are 25 buckets, the two that read 02:00 with offsets +0200 and +0100
    """
    account = admin_user.account
    Account.objects.filter(pk=account.pk).update(time_zone="Europe/Berlin")
    account.refresh_from_db()
    conversation = Conversation.objects.create(account=account, agent=agent, state="closed")
    start = datetime(2025, 10, 25, 22, 30, tzinfo=UTC)
    Call.objects.bulk_create(
        Call(account=account, conversation=conversation, agent=agent, media="video", state="expired",
             end_reason="no_answer", created_at=start + timedelta(hours=n), duration_s=0)
        for n in range(25)
    )  # fmt: skip
    services.rollup_days(accounts=[account], first=date(2025, 10, 26), last=date(2025, 10, 26))

    rows = admin_client.get(URL, {"start": "2025-10-26", "end": "2025-10-26", "interval": "hour"}).json()["results"]
    assert len(rows) == 25
    assert [r["bucket"] for r in rows if " 02:00" in r["bucket"]] == [
        "2025-10-26 02:00 +0200",
        "2025-10-26 02:00 +0100",
    ]


@pytest.mark.django_db
def test_month_and_week_rows_add_up_their_days_and_count_consumers_once(admin_client, admin_user, data):
    """
    GIVEN three days of calls (Mon 5 to Wed 7 May 2025, Berlin) whose consumers return across days
    WHEN the report is read by month and by week, by media and by agent, as JSON and as CSV
    THEN each row is the sum of its day rows, cut to the range (bucket_start is the first day asked
         for, bucket_end the day after the last), with each consumer counted once in the month
    """
    days = report(admin_client, group_by="agent").json()["results"]
    for interval, label in (("month", "2025-05"), ("week", "2025-05-05")):
        body = report(admin_client, interval=interval).json()
        assert body["interval"] == interval and body["count"] == 2  # voice and video
        for row in body["results"]:
            assert row["bucket"] == label
            assert (row["bucket_start"], row["bucket_end"]) == (
                "2025-05-05T00:00:00+02:00",
                "2025-05-08T00:00:00+02:00",
            )
            mine = SessionRollup.objects.filter(account=admin_user.account, interval="day", media=row["media"])
            assert row["sessions"] == sum(r.sessions for r in mine)
            calls = Call.objects.filter(account=admin_user.account, media=row["media"]).select_related("conversation")
            people = {c.conversation.consumer_ref or f"c{c.conversation_id}" for c in calls}
            assert row["distinct_consumers"] == len(people)
            assert row["distinct_consumers"] <= sum(r.distinct_consumers for r in mine)
        by_agent = report(admin_client, interval=interval, group_by="agent").json()["results"]
        assert {r["agent_id"] for r in by_agent} == {a.pk for a in data["agents"]}
        for row in by_agent:
            assert row["sessions"] == sum(d["sessions"] for d in days if d["agent_id"] == row["agent_id"])
        assert sum(r["sessions"] for r in by_agent) == body["totals"]["sessions"]
        response = report(admin_client, interval=interval, format="csv")
        rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
        assert [(r["bucket"], r["media"], int(r["sessions"])) for r in rows] == [
            (r["bucket"], r["media"], r["sessions"]) for r in body["results"]
        ]
    # A month that is not the range's first or last is whole; months follow the account's zone.
    body = admin_client.get(URL, {"start": "2025-03-15", "end": "2025-05-31", "interval": "month"}).json()
    assert [r["bucket"] for r in body["results"]] == ["2025-05", "2025-05"]
    assert body["results"][0]["bucket_end"] == "2025-06-01T00:00:00+02:00"


@pytest.mark.django_db
def test_distinct_consumers_count_each_consumer_once_across_buckets(admin_client, admin_user, agent, other_account):
    """
    GIVEN a Berlin account whose consumers come back across months, weeks, media and agents: one
          with a reference in every month (two conversations, two agents, both media, the spring DST
          day included), an anonymous conversation with a call on each side of a local month end
          (both on 31 January in UTC), a one-call anonymous conversation, one more reference; calls
          just outside the range (one inside it in UTC); the other account calling the same reference
    WHEN the report of 15 January to 10 April is read by hour, day, week and month, by media and by
         agent, as JSON and CSV
    THEN totals.distinct_consumers is the number of distinct consumers computed here from the calls
         of the range (each counted once however many buckets it appears in), and each week and
         month row counts its own local week's or month's calls the same way
    """
    account = admin_user.account
    Account.objects.filter(pk=account.pk).update(time_zone="Europe/Berlin")
    account.refresh_from_db()
    berlin = ZoneInfo("Europe/Berlin")
    second = UserFactory(account=account, email="second@acme.example")
    local = lambda *args: datetime(*args, tzinfo=berlin)  # noqa: E731
    plan = {  # conversation: (its account, agent, consumer_ref, its calls' local instants and media)
        "alice": (account, agent, "alice", [(local(2025, 1, 20, 10), "voice"), (local(2025, 2, 3, 9), "video")]),
        "alice again": (account, second, "alice", [(local(2025, 3, 30, 3, 30), "video"), (local(2025, 4, 10, 23, 30), "voice")]),
        "anonymous": (account, agent, "", [(local(2025, 1, 31, 23, 30), "video"), (local(2025, 2, 1, 0, 30), "video")]),
        "once": (account, second, "", [(local(2025, 2, 10, 12), "voice")]),
        "bob": (account, agent, "bob", [(local(2025, 3, 5, 16), "voice"), (local(2025, 3, 6, 16), "voice")]),
        "outside": (account, agent, "carol", [(local(2025, 1, 14, 23, 30), "voice"), (local(2025, 4, 11, 0, 10), "video")]),
        "theirs": (other_account, None, "alice", [(local(2025, 2, 3, 9), "video")]),
    }  # fmt: skip
    calls, conversations = [], {}
    for who, (owner, by, ref, invitations) in plan.items():
        conversation = Conversation.objects.create(account=owner, agent=by, consumer_ref=ref, state="closed")
        conversations[who] = conversation
        for when, media in invitations:
            calls.append(
                Call.objects.create(
                    account=owner, conversation=conversation, agent=by, media=media, state="completed",
                    created_at=when, answered_at=when + timedelta(seconds=3), started_at=when + timedelta(seconds=5),
                    ended_at=when + timedelta(minutes=4), duration_s=235,
                )
            )  # fmt: skip
    services.rollup_days(accounts=[account], first=date(2025, 1, 14), last=date(2025, 4, 11))
    first, last = date(2025, 1, 15), date(2025, 4, 10)
    mine = [c for c in calls if c.account_id == account.pk and first <= c.created_at.astimezone(berlin).date() <= last]
    consumer = lambda call: call.conversation.consumer_ref or f"conversation {call.conversation_id}"  # noqa: E731
    everyone = {consumer(c) for c in mine}
    anonymous = {f"conversation {conversations[who].pk}" for who in ("anonymous", "once")}
    assert everyone == {"alice", "bob", *anonymous}

    def period_of(call, interval):
        day = call.created_at.astimezone(berlin).date()
        monday = day - timedelta(days=day.weekday())
        return max(first, monday if interval == "week" else day.replace(day=1))

    params = {"start": first, "end": last}
    for interval in ("hour", "day", "week", "month"):
        for group_by in ("media", "agent"):
            body = admin_client.get(URL, {**params, "interval": interval, "group_by": group_by}).json()
            assert body["totals"]["distinct_consumers"] == 4, (interval, group_by)
            assert body["totals"]["sessions"] == len(mine)
            if interval in ("hour", "day"):
                continue
            group = (lambda c: c.media) if group_by == "media" else (lambda c: c.agent_id)  # noqa: E731
            expected = defaultdict(set)
            for call in mine:
                expected[period_of(call, interval), group(call)].add(consumer(call))
            dimension = "media" if group_by == "media" else "agent_id"
            shown = {
                (date.fromisoformat(r["bucket_start"][:10]), r[dimension]): r["distinct_consumers"]
                for r in body["results"]
            }
            assert shown == {key: len(people) for key, people in expected.items()}, (interval, group_by)
            assert sum(shown.values()) > 4  # consumers recur across the rows: the totals do not add them up
            response = admin_client.get(URL, {**params, "interval": interval, "group_by": group_by, "format": "csv"})
            rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
            assert [int(r["distinct_consumers"]) for r in rows] == [r["distinct_consumers"] for r in body["results"]]


@pytest.mark.parametrize("zone_name", ["Europe/Berlin", "UTC"])
def test_rows_are_shown_exactly_as_the_generic_serializer_shows_them(zone_name):
    """The row serializer's direct path gives what DRF's generic field walk gives, value for value and
    in the same order: numbers, undefined averages (null), a deleted agent, offsets and UTC's Z."""
    start = datetime(2025, 10, 26, 1, tzinfo=UTC)
    sums = {name: 3 for name in ADDITIVE_FIELDS} | {"rtt_samples": 0, "duration_s_max": 9, "answer_ms_sum": 4321}
    rows = [
        {"bucket_start": start, "bucket_end": start + timedelta(hours=1), "media": "video", **sums},
        {"bucket_start": start, "bucket_end": start + timedelta(days=1), "agent_key": 0, "agent__name": None,
         "agent__email": None, **sums},
        {"bucket_start": start, "bucket_end": start + timedelta(hours=1), "agent_key": 7, "agent__name": "Ann",
         "agent__email": "ann@acme.example", **sums},
    ]  # fmt: skip
    serializer = ReportRowSerializer()
    with timezone.override(ZoneInfo(zone_name)):
        for row in rows:
            shown = queries.report_row(row, zone_name=zone_name, interval="hour")
            generic = serializers.Serializer.to_representation(serializer, shown)
            expected = [(name, value) for name, value in generic.items() if name in shown]
            assert list(serializer.to_representation(shown).items()) == expected
    assert expected[1][1].endswith("Z" if zone_name == "UTC" else "+01:00")
    assert dict(expected)["rtt_ms_avg"] is None and dict(expected)["agent_id"] == 7


@pytest.mark.django_db
def test_month_report_of_another_account_is_never_shown(admin_client, data, other_account):
    body = admin_client.get(URL, {"start": "2025-05-01", "end": "2025-05-31", "interval": "month"}).json()
    assert body["totals"]["sessions"] == sum(r["sessions"] for r in body["results"])
    theirs = Call.objects.filter(account=other_account).count()
    assert theirs and body["totals"]["sessions"] == Call.objects.filter(account=data["agents"][0].account).count()


@pytest.mark.django_db
def test_pages(admin_client, data):
    first = report(admin_client, limit=4).json()
    assert first["count"] == 6 and len(first["results"]) == 4 and first["previous"] is None
    second = admin_client.get(first["next"]).json()
    assert len(second["results"]) == 2 and second["next"] is None
    assert first["results"] + second["results"] == report(admin_client).json()["results"]


@pytest.mark.django_db
def test_csv_has_every_row_and_errors_stay_json(admin_client, data):
    response = report(admin_client, format="csv", group_by="agent")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    as_json = report(admin_client, group_by="agent").json()["results"]
    assert len(rows) == len(as_json)
    assert [int(r["sessions"]) for r in rows] == [r["sessions"] for r in as_json]
    assert rows[0]["agent_email"] and rows[0]["bucket_start"].endswith("+02:00")

    bad = report(admin_client, format="csv", interval="minute")
    assert bad.status_code == 400 and bad["Content-Type"] == "application/json"
    assert list(bad.json()) == ["interval"]


@pytest.mark.django_db
def test_query_count_does_not_grow_with_the_data(admin_client, admin_user, agent):
    """
    GIVEN one day of calls of one agent, then 20 days of calls of six agents
    WHEN the report is read both times, by media and by agent
    THEN the number of queries is the same
    """
    account = admin_user.account
    seed(account, [agent], days=1, per_day=10)
    params = {"start": "2025-05-01", "end": "2025-05-31"}
    counts = {}
    shapes = [(g, i) for g in ("media", "agent") for i in ("day", "month", "week")]
    for group_by, interval in shapes:
        with CaptureQueriesContext(connection) as small:
            assert admin_client.get(URL, {**params, "group_by": group_by, "interval": interval}).status_code == 200
        counts[group_by, interval] = len(small)
    more = [UserFactory(account=account, email=f"a{n}@acme.example") for n in range(5)]
    seed(account, [agent, *more], first=date(2025, 5, 8), days=20, per_day=30, seed=9)
    for group_by, interval in shapes:
        with CaptureQueriesContext(connection) as big:
            body = admin_client.get(URL, {**params, "group_by": group_by, "interval": interval}).json()
        assert len(big) == counts[group_by, interval], [q["sql"] for q in big.captured_queries]
        assert body["count"] > (20 if interval == "day" else 1)


# --- a call's detail ---------------------------------------------------------------------------------


@pytest.fixture
def call_with_events(account, agent):
    at = datetime(2025, 5, 5, 9, tzinfo=UTC)
    conversation = Conversation.objects.create(account=account, agent=agent, state="closed")
    call = Call.objects.create(
        account=account, conversation=conversation, agent=agent, media="video", state="completed",
        end_reason="agent_hangup", created_at=at, answered_at=at + timedelta(seconds=3),
        started_at=at + timedelta(seconds=5), ended_at=at + timedelta(seconds=65), duration_s=60,
    )  # fmt: skip
    for offset, kind, state, data in [
        (0, "state", "ringing", {}),
        (3, "state", "connecting", {"reason": "", "browser": "Firefox 157"}),
        (5, "state", "active", {}),
        (20, "stats", "", {"rtt_ms": 40, "packet_loss_pct": 0.5, "bitrate_kbps": 900, "sdp": "v=0 secret"}),
        (40, "stats", "", {"rtt_ms": 60, "packet_loss_pct": 1.5, "bitrate_kbps": 1100}),
        (65, "state", "completed", {"reason": "agent_hangup", "candidate": "candidate:1 udp 192.0.2.1"}),
    ]:
        CallEvent.objects.create(
            call=call, kind=kind, actor="agent", state=state, data=data, created_at=at + timedelta(seconds=offset)
        )
    return call


@pytest.mark.django_db
def test_call_detail_shows_events_in_order_without_session_data(admin_client, call_with_events):
    response = admin_client.get(reverse("api-report-call", args=[call_with_events.pk]))
    body = response.json()
    assert response.status_code == 200
    assert [e["state"] or e["kind"] for e in body["events"]] == [
        "ringing",
        "connecting",
        "active",
        "stats",
        "stats",
        "completed",
    ]
    assert [e["offset_s"] for e in body["events"]] == [0, 3, 5, 20, 40, 65]
    assert body["durations"] == {"ring_s": 3.0, "answer_s": 3.0, "connect_s": 2.0, "talk_s": 60, "total_s": 65.0}
    assert body["quality"] == {"samples": 2, "rtt_ms_avg": 50.0, "packet_loss_pct_avg": 1.0, "bitrate_kbps_avg": 1000.0}
    text = response.content.decode()
    assert "v=0" not in text and "sdp" not in text and "192.0.2.1" not in text


@pytest.mark.django_db
def test_call_detail_is_account_scoped(call_with_events, other_account, login, support, agent):
    stranger = UserFactory(account=other_account, email="boss@globex.example", role="admin")
    url = reverse("api-report-call", args=[call_with_events.pk])
    assert login(stranger).get(url).status_code == 404
    assert login(agent).get(url).status_code == 403
    assert login(support).get(url).status_code == 200
    assert login(support).get(reverse("api-report-call", args=[999999])).status_code == 404


# --- schema ------------------------------------------------------------------------------------------


def test_the_endpoints_are_in_the_schema_without_warnings():
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert "/api/v1/reports/collaboration-sessions/" in schema["paths"]
    assert "/api/v1/reports/calls/{id}/" in schema["paths"]
    operation = schema["paths"]["/api/v1/reports/collaboration-sessions/"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"start", "end", "interval", "group_by", "account", "format", "limit", "offset"} <= names
    assert set(operation["responses"]["200"]["content"]) == {"application/json", "text/csv"}
    ours = [w for w in GENERATOR_STATS._warn_cache if "report" in w.lower() or "Report" in w]
    assert ours == []
