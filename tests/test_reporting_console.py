"""The console's reports pages: access, what an admin sees, the form's errors, live calls, query counts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from calls.models import Call, CallEvent, Conversation
from reporting import queries, services
from reporting.templatetags.reporting_tags import duration, long_duration, percent
from reporting.testing import plan_calls, write_calls
from tests.factories import UserFactory

PAGE = "/console/reports/"
RANGE = {"start": "2025-05-05", "end": "2025-05-07"}


def seed(account, agents, *, first=date(2025, 5, 5), days=3, per_day=30, seed=1):
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


def live_call(account, agent, state="active"):
    conversation = Conversation.objects.create(account=account, agent=agent, state="open")
    now = timezone.now()
    return Call.objects.create(
        account=account,
        conversation=conversation,
        agent=agent,
        media="video",
        state=state,
        created_at=now - timedelta(seconds=70),
        answered_at=now - timedelta(seconds=60) if state != "ringing" else None,
        started_at=now - timedelta(seconds=58) if state == "active" else None,
    )


@pytest.fixture
def data(account, other_account, agent):
    seed(account, [agent])
    stranger = UserFactory(account=other_account, email="x@globex.example", name="Xavier Globex")
    seed(other_account, [stranger], seed=2)
    return {"stranger": stranger}


@pytest.mark.django_db
def test_the_page_shows_the_accounts_figures(admin_client, account, agent, data):
    response = admin_client.get(PAGE, RANGE)
    html = response.content.decode()
    assert response.status_code == 200
    period = queries.ReportRange(zone_name="UTC", first=date(2025, 5, 5), last=date(2025, 5, 7))
    totals = queries.report_totals(account=account, period=period)
    assert f'<span class="stat-value">{totals["sessions"]:,}</span>' in html
    assert percent(totals["acceptance_rate"]) in html
    assert duration(totals["duration_s_avg"]) in html and long_duration(totals["duration_s_total"]) in html
    assert "Andy Agent" in html and "Xavier Globex" not in html
    assert 'href="/console/reports/" aria-current="page"' in html
    assert "format=csv" in html and "group_by=agent" in html
    chart = response.context["chart_data"]
    assert len(chart["series"]["labels"]) == 3  # three days, a bar each
    assert sum(chart["series"]["voice"]) + sum(chart["series"]["video"]) == totals["sessions"]
    assert 'id="report-data"' in html and "chart-4.6.1.umd.min.js" in html


@pytest.mark.django_db
def test_only_account_admins_get_in(client, agent_client, support_client, data):
    assert client.get(PAGE)["Location"].startswith(reverse("login"))
    assert agent_client.get(PAGE).status_code == 403
    assert support_client.get(PAGE).status_code == 403  # staff use the API with account=SLUG
    assert agent_client.get(reverse("reports:live")).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "2025-05-07", "end": "2025-05-05"}, "end"),
        ({"start": "2024-01-01", "end": "2025-05-05"}, "end"),
        ({"start": "nonsense", "end": "2025-05-05"}, "start"),
        ({"start": "2025-03-01", "end": "2025-05-05", "interval": "hour"}, "interval"),
    ],
)
def test_a_bad_range_is_explained_and_the_default_shown(admin_client, data, params, field):
    response = admin_client.get(PAGE, params)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert 'class="field-errors"' in response.content.decode()
    assert response.context["interval"] == "day"  # the default week is shown meanwhile


@pytest.mark.django_db
def test_short_ranges_are_hourly_by_default(admin_client, data):
    response = admin_client.get(PAGE, {"start": "2025-05-06", "end": "2025-05-06"})
    assert response.context["interval"] == "hour"
    assert len(response.context["chart_data"]["series"]["labels"]) == 24


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "end", "interval", "buckets"),
    [
        ("2025-01-01", "2025-12-31", "month", 12),  # a year reads by month
        ("2025-03-03", "2025-06-29", "week", 17),  # four months by week, Monday to Sunday
        ("2025-04-01", "2025-05-31", "day", 61),
    ],
)
def test_long_ranges_read_by_week_or_month(admin_client, data, start, end, interval, buckets):
    response = admin_client.get(PAGE, {"start": start, "end": end})
    assert response.context["interval"] == interval
    series = response.context["chart_data"]["series"]
    assert len(series["labels"]) == buckets
    assert sum(series["voice"]) + sum(series["video"]) == response.context["totals"]["sessions"]
    assert f"interval={interval}" in response.context["csv_media_url"]
    if interval == "month":
        assert series["labels"][4] == "2025-05" and sum(series["voice"][4:5] + series["video"][4:5]) > 0
    picked = admin_client.get(PAGE, {"start": start, "end": end, "interval": "week"})
    assert picked.context["interval"] == "week" and not picked.context["form"].errors


@pytest.mark.django_db
def test_live_calls_are_the_accounts_own(admin_client, account, agent, data):
    mine = [live_call(account, agent, "active"), live_call(account, agent, "ringing")]
    live_call(data["stranger"].account, data["stranger"])
    body = admin_client.get(reverse("reports:live")).json()
    assert sorted(c["id"] for c in body["calls"]) == sorted(c.pk for c in mine)
    assert body["counts"] == {"ringing": 1, "connecting": 0, "active": 1}
    active = next(c for c in body["calls"] if c["state"] == "active")
    assert active["url"] == reverse("reports:call", args=[mine[0].pk]) and 55 <= active["since_s"] <= 120
    page = admin_client.get(PAGE).content.decode()
    assert page.count('<ul class="live-list"') == 1 and reverse("reports:call", args=[mine[0].pk]) in page


@pytest.mark.django_db
def test_call_detail_page(admin_client, account, agent, data):
    call = Call.objects.filter(account=account, state="completed", events__kind="stats").first()
    CallEvent.objects.create(
        call=call, kind="stats", actor="consumer", data={"rtt_ms": 1, "sdp": "v=0 o=- SDP-MARKER-7f3a"}
    )
    response = admin_client.get(reverse("reports:call", args=[call.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    events = response.context["events"]
    assert [e["id"] for e in events] == sorted(e["id"] for e in events)
    assert "SDP-MARKER-7f3a" not in html and '"sdp"' not in html
    assert 'id="quality-chart"' in html and response.context["quality"]["samples"] >= 2
    other_call = Call.objects.filter(account=data["stranger"].account).first()
    assert admin_client.get(reverse("reports:call", args=[other_call.pk])).status_code == 404


@pytest.mark.django_db
def test_an_empty_range_says_so(admin_client, data):
    html = admin_client.get(PAGE, {"start": "2025-01-01", "end": "2025-01-07"}).content.decode()
    assert "No calls were started in this range" in html


@pytest.mark.django_db
def test_page_query_count_is_constant(admin_client, account, agent):
    """
    GIVEN one agent with a day of calls, then six agents with three weeks of calls and live calls
    WHEN the reports page (and the live endpoint) are rendered both times
    THEN they run the same number of queries
    """
    seed(account, [agent], days=1, per_day=5)
    params = {"start": "2025-05-01", "end": "2025-05-31"}
    admin_client.get(PAGE, params)
    with CaptureQueriesContext(connection) as small_page:
        admin_client.get(PAGE, params)
    with CaptureQueriesContext(connection) as small_live:
        admin_client.get(reverse("reports:live"))
    more = [UserFactory(account=account, email=f"m{n}@acme.example") for n in range(5)]
    seed(account, [agent, *more], first=date(2025, 5, 6), days=21, per_day=25, seed=5)
    for who in more[:3]:
        live_call(account, who)
    with CaptureQueriesContext(connection) as big_page:
        response = admin_client.get(PAGE, params)
    with CaptureQueriesContext(connection) as big_live:
        assert len(admin_client.get(reverse("reports:live")).json()["calls"]) == 3
    assert len(big_page) == len(small_page)
    assert len(big_live) == len(small_live)
    assert len(response.context["agents"]) == 6


@pytest.mark.django_db
def test_times_are_shown_in_the_accounts_zone(admin_client, account, agent):
    account.time_zone = "Asia/Tokyo"
    account.save()
    conversation = Conversation.objects.create(account=account, agent=agent, state="closed")
    Call.objects.create(
        account=account, conversation=conversation, agent=agent, media="voice", state="rejected",
        end_reason="rejected", created_at=datetime(2025, 5, 5, 23, 30, tzinfo=UTC), duration_s=0,
    )  # fmt: skip
    services.rollup_days(accounts=[account], first=date(2025, 5, 6), last=date(2025, 5, 6))
    html = admin_client.get(PAGE, {"start": "2025-05-06", "end": "2025-05-06"}).content.decode()
    assert "6 May, 08:30" in html  # 23:30 UTC is 08:30 the next morning in Tokyo
    assert "Asia/Tokyo" in html
