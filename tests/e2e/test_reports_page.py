"""Real Chromium on the console's reports: two weeks of realistic calls, charts drawn by Chart.js, the
live panel pushed over /ws/live/, a call's detail (its diagnosis and inline SVG quality chart).
Screenshots: artifacts/screenshots/reports*.png."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from django.db.models import Count
from django.utils import timezone

from accounts.models import Account
from calls.models import Call
from reporting import queries, services
from reporting.buckets import local_day
from reporting.diagnoses import store_diagnoses
from reporting.testing import cut_at, plan_call, plan_calls, write_calls
from tests.factories import PASSWORD, AccountFactory, AdminFactory, UserFactory

pytestmark = pytest.mark.e2e

AGENTS = [("Maya Lopez", "maya"), ("Jonas Becker", "jonas"), ("Priya Nair", "priya"), ("Tom Oduya", "tom")]


@pytest.fixture
def brand(transactional_db):
    """An account in Berlin time with 14 days of calls, three calls in progress and a second account."""
    account = AccountFactory(slug="northwind", name="Northwind Mobile")
    Account.objects.filter(pk=account.pk).update(time_zone="Europe/Berlin")
    account.refresh_from_db()
    admin = AdminFactory(account=account, email="admin@northwind.example", name="Nora Admin")
    agents = [UserFactory(account=account, email=f"{slug}@northwind.example", name=name) for name, slug in AGENTS]
    now = timezone.now()
    today = local_day(account.time_zone, now)
    first = today - timedelta(days=13)
    plans = plan_calls(
        seed=2024,
        agent_ids=[a.pk for a in agents],
        zone_name=account.time_zone,
        first_day=first,
        days=14,
        calls_per_day=36,
        now=now,
    )
    rng = random.Random(5)
    for seconds, agent, media in ((95, agents[0], "video"), (50, agents[1], "voice"), (8, agents[2], "video")):
        started = now - timedelta(seconds=seconds)
        live = cut_at(plan_call(rng, media=media, agent_id=agent.pk, created_at=started, outcome="completed"), now)
        plans.append(live)
    write_calls(account=account, calls=plans)
    store_diagnoses(Call.objects.filter(account=account))  # their verdicts, as the end of each call stores them
    services.rollup_days(accounts=[account], first=first, last=today)
    other = AccountFactory(slug="globex", name="Globex")
    write_calls(
        account=other,
        calls=plan_calls(
            seed=1,
            agent_ids=[UserFactory(account=other).pk],
            zone_name="UTC",
            first_day=first,
            days=3,
            calls_per_day=50,
        ),
    )
    services.rollup_days(accounts=[other], first=first, last=today)
    return {"account": account, "admin": admin, "first": first, "today": today}


def _ring(agent_id: int, account_id: int) -> int:
    """A new invitation by one of the brand's agents (run on the server's loop: its frames go out)."""
    from accounts.models import User
    from calls import services as call_services
    from calls.models import Conversation

    agent = User.objects.get(pk=agent_id)
    conversation = call_services.conversation_create(
        account=Account.objects.get(pk=account_id), channel="web_messaging"
    )
    if conversation.state == Conversation.State.QUEUED:
        call_services.conversation_take(agent=agent, conversation_id=conversation.pk)
    return call_services.call_invite(agent=agent, conversation_id=conversation.pk, media="video").pk


def test_reports_page_with_data(tabs, asgi_server, brand, settings):
    """
    GIVEN two weeks of calls of every outcome and some calls in progress
    WHEN the account's admin opens Reports for those two weeks
    THEN the KPI tiles show the totals, Chart.js draws the time series and the outcomes, the agent
         table lists the four agents, the live panel shows the calls in progress, no console error;
         and a call's detail shows its events in order
    """
    settings.REPORTS_LIVE_POLL_S = 600  # the live panel must change by the socket's push alone
    account = brand["account"]
    web = tabs()
    web.login("admin@northwind.example", PASSWORD)
    web.open(f"/console/reports/?start={brand['first']}&end={brand['today']}")
    page = web.page
    page.wait_for_function("() => window.Chart && Object.keys(window.Chart.instances).length === 2")
    live_count = Call.objects.filter(account=account, state__in=Call.LIVE_STATES).count()
    assert live_count >= 1
    page.wait_for_function(f"() => document.querySelectorAll('#live-list a').length === {live_count}")
    page.wait_for_selector(".live-card[data-live='socket']")
    idle_agent = account.users.exclude(calls__state__in=Call.LIVE_STATES).exclude(pk=brand["admin"].pk).first()
    asgi_server.run(_ring, agent_id=idle_agent.pk, account_id=account.pk)
    page.wait_for_function(f"() => document.querySelectorAll('#live-list a').length === {live_count + 1}")

    period = queries.ReportRange(zone_name=account.time_zone, first=brand["first"], last=brand["today"])
    totals = queries.report_totals(account=account, period=period)
    assert page.inner_text("[data-kpi=sessions] .stat-value") == f"{totals['sessions']:,}"
    assert page.inner_text("[data-kpi=acceptance] .stat-value") == f"{totals['acceptance_rate'] * 100:.0f}%"
    assert page.locator(".agent-table tbody tr").count() == 4
    assert "Globex" not in page.content()
    assert page.locator(".verdict-bars > div").count() == 9  # how calls went: a bar per verdict
    assert page.get_attribute("a[aria-current=page]", "href") == "/console/reports/"
    web.assert_no_console_errors("reports page")
    shot = web.screenshot("reports")
    assert shot.stat().st_size > 50_000

    page.click(".recent-table tbody tr:first-child a")
    page.wait_for_selector(".event-table")
    assert page.locator(".event-table tbody tr").count() >= 1
    web.assert_no_console_errors("call detail")
    completed = (
        Call.objects.filter(account=account, state="completed", events__kind="stats")
        .annotate(samples=Count("events"))
        .order_by("-samples", "pk")
        .first()
    )
    web.open(f"/console/reports/calls/{completed.pk}/")
    assert page.locator("#quality-chart polyline, #quality-chart circle").count() >= 1  # inline SVG, no script
    assert page.locator(".diagnosis-card[data-verdict]").count() == 1
    web.assert_no_console_errors("call detail with samples")
    web.screenshot("reports-call")


@pytest.fixture
def year_brand(transactional_db):
    """An account in Berlin time with a year of calls (fewer in summer) up to today."""
    account = AccountFactory(slug="northwind", name="Northwind Mobile")
    Account.objects.filter(pk=account.pk).update(time_zone="Europe/Berlin")
    account.refresh_from_db()
    AdminFactory(account=account, email="admin@northwind.example", name="Nora Admin")
    agents = [UserFactory(account=account, email=f"{slug}@northwind.example", name=name) for name, slug in AGENTS]
    now = timezone.now()
    today = local_day(account.time_zone, now)
    months_back = today.year * 12 + today.month - 1 - 11
    first = date(months_back // 12, months_back % 12 + 1, 1)  # 12 calendar months, this one included
    plans = []
    month = first
    while month <= today:
        days = min(28, (today - month).days + 1)
        busy = 10 if month.month in (6, 7, 8) else 18  # a summer dip, as a care desk sees it
        plans += plan_calls(
            seed=month.month,
            agent_ids=[a.pk for a in agents],
            zone_name=account.time_zone,
            first_day=month,
            days=days,
            calls_per_day=busy,
            now=now,
        )
        month = (month + timedelta(days=32)).replace(day=1)
    write_calls(account=account, calls=plans)
    services.rollup_days(accounts=[account], first=first, last=today)
    return {"account": account, "first": first, "today": today}


def test_reports_page_by_month(tabs, asgi_server, year_brand, settings):
    """
    GIVEN a year of calls
    WHEN the admin picks "Last 12 months" (read by month) and then week
    THEN the chart has one bar per month labelled "Mon YYYY", the totals match the API's month
         rows, and the CSV link asks for months
    """
    settings.REPORTS_LIVE_POLL_S = 600
    account = year_brand["account"]
    web = tabs()
    web.login("admin@northwind.example", PASSWORD)
    web.open("/console/reports/")
    page = web.page
    preset = page.get_attribute(".report-presets a:has-text('Last 12 months')", "href")
    assert preset == f"?start={year_brand['first']}&end={year_brand['today']}"
    web.open(f"/console/reports/{preset}")
    page.wait_for_function("() => window.Chart && Object.keys(window.Chart.instances).length === 2")
    assert page.input_value("#id_interval") == ""  # auto: a year reads by month
    labels = page.evaluate(
        "() => { const c = Object.values(window.Chart.instances).find(c => c.config.type === 'bar');"
        " return c.data.labels.map((l, i) => c.scales.x.getLabelForValue(i)); }"
    )
    period = queries.ReportRange(zone_name=account.time_zone, first=year_brand["first"], last=year_brand["today"])
    rows = queries.report_rows(account=account, period=period, interval="month", group_by="media")
    assert labels == sorted(
        {queries.report_row(r, zone_name=account.time_zone, interval="month")["bucket"] for r in rows}
    )
    assert len(labels) == 12
    totals = queries.report_totals(account=account, period=period)
    assert page.inner_text("[data-kpi=sessions] .stat-value") == f"{totals['sessions']:,}"
    assert "interval=month" in page.get_attribute("a[download].btn-primary", "href")
    assert "by month" in page.inner_text(".report-period")
    web.assert_no_console_errors("reports by month")
    web.screenshot("reports-by-month")

    page.select_option("#id_interval", "week")
    with page.expect_navigation():
        page.click("button:has-text('Apply')")
    page.wait_for_function("() => window.Chart && Object.keys(window.Chart.instances).length === 2")
    assert "by week" in page.inner_text(".report-period")
    web.assert_no_console_errors("reports by week")
