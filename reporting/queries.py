"""Reads of the reporting app: report rows and totals from the rollups (single calls: call_queries).

Every function here runs a fixed number of queries whatever the amount of data (tests hold them to
it): aggregation happens in the database, names are joined in, nothing is fetched per row.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Max, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth, TruncWeek

from accounts.models import Account
from calls.models import Call

from .buckets import (
    ONE_DAY,
    WEEK,
    Bucket,
    buckets_for_days,
    day_start,
    label,
    period_after,
    period_buckets,
    period_first_day,
    zone,
)
from .call_queries import account_call, call_detail, live_calls, recent_calls
from .consumers import Consumers, count_consumers
from .diagnosis import Verdict
from .models import ADDITIVE_FIELDS, MAX_FIELDS, READINESS_CLASSES, Interval, SessionRollup

__all__ = ["account_call", "call_detail", "live_calls", "recent_calls"]  # and what is defined here

MAX_RANGE_DAYS = 366
STORED_INTERVALS = (Interval.HOUR.value, Interval.DAY.value)
GROUP_BY = ("media", "agent")
OUTCOMES = ("completed", "dropped", "failed", "rejected", "expired", "cancelled", "in_progress")


def account_time_zone(*, account_id: int) -> str | None:
    """The account's time zone name, or None when the account does not exist."""
    return Account.objects.filter(pk=account_id).values_list("time_zone", flat=True).first()


@dataclass(frozen=True)
class ReportRange:
    """A report's local dates (both included) and the UTC instants they cover."""

    zone_name: str
    first: date
    last: date

    @property
    def start(self) -> datetime:
        return day_start(self.zone_name, self.first)

    @property
    def end(self) -> datetime:
        return day_start(self.zone_name, self.last + ONE_DAY)

    def buckets(self, interval: str) -> list[Bucket]:
        if interval in STORED_INTERVALS:
            return buckets_for_days(self.zone_name, self.first, self.last, [interval])
        return period_buckets(self.zone_name, interval, self.first, self.last)


def range_errors(first: date | None, last: date | None) -> dict[str, str]:
    """What is wrong with a date range, keyed by the parameter to blame."""
    errors: dict[str, str] = {}
    for name, value in (("start", first), ("end", last)):
        if value is not None and not (date(2000, 1, 1) <= value <= date(2999, 12, 31)):
            errors[name] = "Use a date between 2000-01-01 and 2999-12-31."
    if errors or first is None or last is None:
        return errors
    if last < first:
        errors["end"] = "The end date is before the start date."
    elif (last - first).days + 1 > MAX_RANGE_DAYS:
        errors["end"] = (
            f"A report covers at most {MAX_RANGE_DAYS} days (a year); choose a later start or an earlier end."
        )
    return errors


# --- derived metrics ---------------------------------------------------------------------------


def _ratio(numerator: int, denominator: int, scale: float = 1.0, digits: int = 3) -> float | None:
    return round(numerator / denominator / scale, digits) if denominator else None


def derive(sums: dict) -> dict:
    """Rates and averages from summed rollup columns (docs/metrics.md): None where undefined."""
    get = lambda key: sums.get(key) or 0  # noqa: E731 - a SUM over no rows is None
    answered = get("accepted") + get("rejected") + get("expired")
    return {
        "acceptance_rate": _ratio(get("accepted"), answered, digits=4),
        "duration_s_total": get("duration_s_sum"),
        "duration_s_avg": _ratio(get("duration_s_sum"), get("ended_connected"), digits=1),
        "duration_s_max": get("duration_s_max"),
        "answer_s_avg": _ratio(get("answer_ms_sum"), get("accepted"), 1000, digits=2),
        "rtt_ms_avg": _ratio(get("rtt_us_sum"), get("rtt_samples"), 1000, digits=1),
        "packet_loss_pct_avg": _ratio(get("packet_loss_mpct_sum"), get("packet_loss_samples"), 1000, digits=3),
        "bitrate_kbps_avg": _ratio(get("bitrate_bps_sum"), get("bitrate_samples"), 1000, digits=1),
    }


VERDICT_FIELDS = tuple(f"verdict_{v}" for v in Verdict.values)
# The metrics of a report row or total, in the order the API and the CSV show them.
COUNT_FIELDS = (
    "sessions",
    "accepted",
    "rejected",
    "expired",
    "cancelled",
    "failed",
    "failed_unsupported_browser",
    "failed_no_devices",
    "failed_permission_denied",
    "failed_connection",
    "failed_other",
    "connected",
    "completed",
    "dropped",
    "in_progress",
    "ended_connected",
    "accepted_audio_only",
    "readiness_checked",
    "readiness_problems",
    *READINESS_CLASSES,
    "handed_off",
    "screen_shared",
    "participants",
    "distinct_consumers",
    "quality_samples",
)
DERIVED_FIELDS = (
    "acceptance_rate",
    "duration_s_total",
    "duration_s_avg",
    "duration_s_max",
    "answer_s_avg",
    "rtt_ms_avg",
    "packet_loss_pct_avg",
    "bitrate_kbps_avg",
)
# Verdict counts last, so CSV columns that existed before them keep their places.
METRIC_FIELDS = COUNT_FIELDS + DERIVED_FIELDS + VERDICT_FIELDS


def metrics(sums: dict) -> dict:
    """The public metrics of summed rollup columns."""
    counts = {name: sums.get(name) or 0 for name in (*COUNT_FIELDS, *VERDICT_FIELDS) if name != "quality_samples"}
    counts["quality_samples"] = max(sums.get(k) or 0 for k in ("rtt_samples", "packet_loss_samples", "bitrate_samples"))
    return {**counts, **derive(sums)}


def _aggregates() -> dict:
    sums = {name: Sum(name) for name in ADDITIVE_FIELDS}
    return {**sums, **{name: Max(name) for name in MAX_FIELDS}}


# --- the report --------------------------------------------------------------------------------


def report_rows(*, account: Account, period: ReportRange, interval: str, group_by: str) -> QuerySet | list[dict]:
    """One row per bucket and media (or agent) with data, in time order: summed rollup columns."""
    if interval not in STORED_INTERVALS:
        return period_rows(account=account, period=period, interval=interval, group_by=group_by)
    dimensions = ["bucket_start", "bucket_end"]
    if group_by == "agent":
        dimensions += ["agent_key", "agent__name", "agent__email"]
    else:
        dimensions += ["media"]
    return (
        SessionRollup.objects.filter(
            account=account, interval=interval, bucket_start__gte=period.start, bucket_start__lt=period.end
        )
        .values(*dimensions)
        .annotate(**_aggregates())
        .order_by(*dimensions[:3])
    )


def period_rows(
    *, account: Account, period: ReportRange, interval: str, group_by: str, consumers: Consumers | None = None
) -> list[dict]:
    """Week or month rows: the sums of their day rows, grouped by the local week or month of each
    day (one query), and distinct consumers counted from the calls of each week or month (they do
    not add up across days; `consumers` when the caller counted them already, else one more query).
    The first and last bucket are cut to the range, so rows add up to the totals; their
    bucket_start and bucket_end say which days they hold."""
    tz = zone(period.zone_name)
    trunc = TruncWeek if interval == WEEK else TruncMonth
    agent = group_by == "agent"
    dimensions = ["agent_key", "agent__name", "agent__email"] if agent else ["media"]
    sums = (
        SessionRollup.objects.filter(
            account=account, interval=Interval.DAY, bucket_start__gte=period.start, bucket_start__lt=period.end
        )
        .annotate(period_start=trunc("bucket_start", tzinfo=tz))
        .values("period_start", *dimensions)
        .annotate(**_aggregates())
        .order_by("period_start", dimensions[0])
    )
    if consumers is None:  # the rows alone (the CSV): no total needed
        consumers = count_consumers(
            account_id=account.pk, period=period, interval=interval, group_by=group_by, total=False
        )
    rows = []
    for row in sums:
        first = period_first_day(interval, row.pop("period_start").astimezone(tz).date())
        shown_first = max(first, period.first)
        after = min(period_after(interval, first), period.last + ONE_DAY)
        row["bucket_start"], row["bucket_end"] = (
            day_start(period.zone_name, shown_first),
            day_start(period.zone_name, after),
        )
        row["distinct_consumers"] = consumers.rows.get((first, row["agent_key"] if agent else row["media"]), 0)
        rows.append(row)
    return rows


def report_row(row: dict, *, zone_name: str, interval: str) -> dict:
    """A summed row as the API and CSV show it."""
    shown: dict = {
        "bucket": label(row["bucket_start"], zone_name, interval),
        "bucket_start": row["bucket_start"],
        "bucket_end": row["bucket_end"],
    }
    if "media" in row:
        shown["media"] = row["media"]
    else:
        shown["agent_id"] = row["agent_key"] or None
        shown["agent_name"] = row.get("agent__name") or ""
        shown["agent_email"] = row.get("agent__email") or ""
    return {**shown, **metrics(row)}


def report_totals(*, account: Account, period: ReportRange, consumers: Consumers | None = None) -> dict:
    """The metrics over the whole range, distinct consumers counted once across it (two queries;
    one when the caller counted the consumers already)."""
    sums = SessionRollup.objects.filter(
        account=account, interval=Interval.DAY, bucket_start__gte=period.start, bucket_start__lt=period.end
    ).aggregate(**_aggregates())
    if consumers is None:
        consumers = count_consumers(account_id=account.pk, period=period)
    return {**metrics(sums), "distinct_consumers": consumers.total}


def report(
    *, account: Account, period: ReportRange, interval: str, group_by: str
) -> tuple[QuerySet | list[dict], dict]:
    """A report's rows and its totals, counting distinct consumers once for both: a week or month
    report's rows and totals come from one count (consumers.count_consumers)."""
    if interval in STORED_INTERVALS:
        rows: QuerySet | list[dict] = report_rows(account=account, period=period, interval=interval, group_by=group_by)
        return rows, report_totals(account=account, period=period)
    consumers = count_consumers(account_id=account.pk, period=period, interval=interval, group_by=group_by)
    rows = period_rows(account=account, period=period, interval=interval, group_by=group_by, consumers=consumers)
    return rows, report_totals(account=account, period=period, consumers=consumers)


def agent_table(*, account: Account, period: ReportRange) -> list[dict]:
    """One row per agent with sessions in the range, busiest first (one query)."""
    voice, video = Q(media=Call.Media.VOICE), Q(media=Call.Media.VIDEO)
    rows = (
        SessionRollup.objects.filter(
            account=account, interval=Interval.DAY, bucket_start__gte=period.start, bucket_start__lt=period.end
        )
        .values("agent_key", "agent__name", "agent__email")
        .annotate(  # before the sums, whose names shadow the columns
            voice_sessions=Sum("sessions", filter=voice),
            video_sessions=Sum("sessions", filter=video),
            **_aggregates(),
        )
        .order_by("-sessions", "agent__email", "agent_key")
    )
    table = []
    for row in rows:
        email = row["agent__email"] or ""
        table.append(
            {
                "agent_id": row["agent_key"] or None,
                "name": row["agent__name"] or (email.split("@")[0] if email else "Deleted agent"),
                "email": email,
                "voice_sessions": row["voice_sessions"] or 0,
                "video_sessions": row["video_sessions"] or 0,
                **metrics(row),
            }
        )
    return table


def time_series(*, account: Account, period: ReportRange, interval: str) -> dict:
    """Sessions per bucket by media with every bucket of the range present (zeros included)."""
    buckets = period.buckets(interval)
    index = {b.start: i for i, b in enumerate(buckets)}
    series = {media: [0] * len(buckets) for media in Call.Media.values}
    connected = [0] * len(buckets)
    for row in report_rows(account=account, period=period, interval=interval, group_by="media"):
        i = index.get(row["bucket_start"])
        if i is not None:
            series[row["media"]][i] += row["sessions"] or 0
            connected[i] += row["connected"] or 0
    return {
        "labels": [label(b.start, period.zone_name, interval) for b in buckets],
        "voice": series[Call.Media.VOICE],
        "video": series[Call.Media.VIDEO],
        "connected": connected,
    }


def outcome_breakdown(totals: dict) -> list[dict]:
    """How the range's sessions ended, for the outcome chart and its table."""
    names = {
        "completed": "Completed",
        "dropped": "Dropped",
        "failed": "Failed",
        "rejected": "Rejected",
        "expired": "Missed",
        "cancelled": "Cancelled",
        "in_progress": "In progress",
    }
    return [{"key": key, "label": names[key], "count": totals.get(key) or 0} for key in OUTCOMES]


def failure_breakdown(totals: dict) -> list[dict]:
    names = {
        "failed_unsupported_browser": "Unsupported browser",
        "failed_no_devices": "No camera or microphone",
        "failed_permission_denied": "Camera or microphone permission denied",
        "failed_connection": "Connection failed (ICE, timeout)",
        "failed_other": "Other",
    }
    return [{"key": key, "label": label_, "count": totals.get(key) or 0} for key, label_ in names.items()]


def verdict_breakdown(totals: dict) -> list[dict]:
    """Ended calls by the verdict of their diagnosis, for the reports page."""
    return [
        {"key": value, "label": label_, "count": totals.get(f"verdict_{value}") or 0}
        for value, label_ in Verdict.choices
    ]


READINESS_LABELS = {
    "readiness_unsupported_browser": "Unsupported browser or no WebRTC",
    "readiness_no_microphone": "No microphone",
    "readiness_no_camera": "No camera (audio only offered)",
    "readiness_network_blocked": "Network blocks calls (no STUN, no TURN)",
    "readiness_direct_blocked": "Network blocks direct calls (relayed)",
    "readiness_relay_unavailable": "Relay (TURN) not reachable",
}


def readiness_breakdown(totals: dict) -> list[dict]:
    """What the consumers' windows found before answering, by cause, for the reports page."""
    return [{"key": key, "label": name, "count": totals.get(key) or 0} for key, name in READINESS_LABELS.items()]


def iter_report_rows(*, account: Account, period: ReportRange, interval: str, group_by: str) -> Iterator[dict]:
    """Every row of a report, fetched in chunks (the CSV download streams these)."""
    rows = report_rows(account=account, period=period, interval=interval, group_by=group_by)
    for row in rows.iterator(chunk_size=2000) if isinstance(rows, QuerySet) else rows:
        yield report_row(row, zone_name=period.zone_name, interval=interval)


def default_period(*, zone_name: str, today: date, days: int = 7) -> tuple[date, date]:
    return today - timedelta(days=days - 1), today
