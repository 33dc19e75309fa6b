"""The account admin's reports: KPI tiles, charts, per-agent table, live calls, one call's detail.

Thin views: they parse the date-range form and call reporting.queries. Access is the console's
(`account_admin_required`): the admin's own account only; another account's call answers 404.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache

from accounts.console.access import account_admin_required
from accounts.models import Account
from reporting import queries
from reporting.buckets import MONTH, WEEK, local_day, zone
from reporting.models import Interval
from reporting.quality_chart import quality_chart

# Hourly bars for more than a month are unreadable; the API serves longer hourly ranges.
MAX_HOURLY_DAYS = 31


class ReportRangeForm(forms.Form):
    """The page's date range (local dates of the account, both included) and bucket size."""

    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))
    interval = forms.ChoiceField(
        label="By",
        choices=[("", "Auto"), (Interval.HOUR, "Hour"), (Interval.DAY, "Day"), (WEEK, "Week"), (MONTH, "Month")],
        required=False,
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        for name, message in queries.range_errors(data.get("start"), data.get("end")).items():
            self.add_error(name, message)
        start, end = data.get("start"), data.get("end")
        if start and end and not self.errors:
            days = (end - start).days + 1
            if not data.get("interval"):
                data["interval"] = auto_interval(days)
            elif data["interval"] == Interval.HOUR and days > MAX_HOURLY_DAYS:
                self.add_error("interval", f"Hourly charts cover at most {MAX_HOURLY_DAYS} days; choose Day.")
        return data


def auto_interval(days: int) -> str:
    """The bucket a chart of `days` days reads best by: hours for a day or two, days up to two
    months, weeks up to half a year, months beyond."""
    if days <= 2:
        return Interval.HOUR
    if days <= 62:
        return Interval.DAY
    return WEEK if days <= 183 else MONTH


def _presets(today: date) -> list[dict]:
    month_start = today.replace(day=1)
    months_back = month_start.year * 12 + month_start.month - 1 - 11  # this month and the 11 before it
    year_ago = date(months_back // 12, months_back % 12 + 1, 1)
    ranges = [
        ("Today", today, today),
        ("Last 7 days", today - timedelta(days=6), today),
        ("Last 30 days", today - timedelta(days=29), today),
        ("This month", month_start, today),
        ("Last 12 months", year_ago, today),
    ]
    return [
        {"label": name, "start": a, "end": b, "query": urlencode({"start": a.isoformat(), "end": b.isoformat()})}
        for name, a, b in ranges
    ]


def _csv_url(account: Account, period: queries.ReportRange, interval: str, group_by: str) -> str:
    query = {
        "start": period.first.isoformat(),
        "end": period.last.isoformat(),
        "interval": interval,
        "group_by": group_by,
        "format": "csv",
    }
    return f"{reverse('api-report-collaboration-sessions')}?{urlencode(query)}"


@account_admin_required
def reports(request: HttpRequest, *, account: Account) -> HttpResponse:
    zone_name = account.time_zone
    today = local_day(zone_name, timezone.now())
    default_start, _ = queries.default_period(zone_name=zone_name, today=today)
    form = ReportRangeForm(request.GET or None, initial={"start": default_start, "end": today, "interval": ""})
    if form.is_bound and form.is_valid():
        first, last, interval = form.cleaned_data["start"], form.cleaned_data["end"], form.cleaned_data["interval"]
    else:
        first, last, interval = default_start, today, Interval.DAY
    period = queries.ReportRange(zone_name=zone_name, first=first, last=last)
    totals = queries.report_totals(account=account, period=period)
    series = queries.time_series(account=account, period=period, interval=interval)
    outcomes = queries.outcome_breakdown(totals)
    context = {
        "section": "reports",
        "account": account,
        "form": form,
        "period": period,
        "interval": interval,
        "time_zone": zone(zone_name).key,
        "presets": _presets(today),
        "totals": totals,
        "outcomes": outcomes,
        "failures": queries.failure_breakdown(totals),
        "verdicts": queries.verdict_breakdown(totals),
        "diagnosed": sum(totals.get(f) or 0 for f in queries.VERDICT_FIELDS),
        "readiness": queries.readiness_breakdown(totals),
        "agents": queries.agent_table(account=account, period=period),
        "recent": queries.recent_calls(account=account, period=period),
        "live_calls": queries.live_calls(account=account),
        "live_poll_ms": settings.REPORTS_LIVE_POLL_S * 1000,
        "media_totals": {media: sum(series[media]) for media in ("voice", "video")},
        "csv_media_url": _csv_url(account, period, interval, "media"),
        "csv_agent_url": _csv_url(account, period, interval, "agent"),
        "chart_data": {
            "interval": interval,
            "series": series,
            "outcomes": [o for o in outcomes if o["key"] != "in_progress"],
        },
    }
    with timezone.override(zone(zone_name)):  # times on the page in the account's zone
        return render(request, "reporting/reports.html", context)


@never_cache
@account_admin_required
def live(request: HttpRequest, *, account: Account) -> JsonResponse:
    """The account's calls in progress, polled by the reports page every few seconds."""
    calls = queries.live_calls(account=account)
    now = timezone.now()
    rows = [
        {
            **call,
            "url": reverse("reports:call", args=[call["id"]]),
            "since_s": int((now - (call["started_at"] or call["created_at"])).total_seconds()),
        }
        for call in calls
    ]
    counts = {state: sum(1 for c in calls if c["state"] == state) for state in ("ringing", "connecting", "active")}
    return JsonResponse({"at": now, "counts": counts, "calls": rows})


@account_admin_required
def call_detail(request: HttpRequest, pk: int, *, account: Account) -> HttpResponse:
    call = queries.account_call(account=account, call_id=pk)
    if call is None:
        raise Http404("No such call.")
    detail = queries.call_detail(call=call)

    def since_invited(instant) -> float | None:
        return (instant - call.created_at).total_seconds() if instant else None

    chart = quality_chart(
        detail["samples"],
        media=call.media,
        start_s=since_invited(call.started_at) or 0.0,
        end_s=since_invited(call.ended_at),
    )
    context = {
        "section": "reports",
        "account": account,
        "time_zone": zone(account.time_zone).key,
        **detail,
        "chart": chart,
    }
    with timezone.override(zone(account.time_zone)):
        return render(request, "reporting/call_detail.html", context)
