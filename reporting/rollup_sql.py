"""The SQL of the rollups: one INSERT ... SELECT ... GROUP BY ... ON CONFLICT DO UPDATE statement per
kind of bucket (hours from the calls and their events, days from their hours), the stale-row delete,
and the bucket list they join to. reporting.services runs them; the bench reuses the aggregates.

A bucket list reaches PostgreSQL as four arrays (one text literal each, built here), not as a
VALUES list of four bound parameters per bucket: a year of buckets is 35,000 rows, and binding
(and parsing the placeholders of) 140,000 parameters cost more than the statement itself.
SQLite, which has no arrays, gets the VALUES list in chunks under its parameter limit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from django.db import connection

from calls.models import Call, CallEvent, Conversation

from .buckets import Bucket
from .diagnosis import Verdict
from .models import ADDITIVE_FIELDS, MAX_FIELDS, READINESS_CLASSES, CallDiagnosis, Interval, SessionRollup  # noqa: F401

TERMINAL_STATES = ("rejected", "cancelled", "expired", "failed", "completed", "dropped")
LIVE_STATES = ("ringing", "connecting", "active")
# Client-reported failure reasons (calls.services.FAILURE_REASONS) grouped as the console shows them.
FAILURE_CLASSES = {
    "failed_unsupported_browser": ("unsupported_browser", "no_webrtc"),
    "failed_no_devices": ("no_devices", "no_camera", "no_microphone"),
    "failed_permission_denied": ("permission_denied",),
    "failed_connection": ("ice_failed", "connect_timeout"),
}
# Buckets per statement on SQLite: below its 32,766 bound parameters (4 per bucket, and up to 3
# more for its span in the stale-row delete). PostgreSQL takes any number in its array parameters.
SQLITE_BUCKETS_PER_STATEMENT = 4000

ROLLUP_TABLE = SessionRollup._meta.db_table
CALL_TABLE = Call._meta.db_table
EVENT_TABLE = CallEvent._meta.db_table
CONVERSATION_TABLE = Conversation._meta.db_table
DIAGNOSIS_TABLE = CallDiagnosis._meta.db_table

OUTPUT_COLUMNS = (
    "account_id",
    "interval",
    "bucket_start",
    "bucket_end",
    "media",
    "agent_key",
    "agent_id",
    *ADDITIVE_FIELDS,
    *MAX_FIELDS,
)
KEY_COLUMNS = ("account_id", "interval", "bucket_start", "media", "agent_key")


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _in(values: Iterable[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)  # only our own constants, never input


def _answer_ms() -> str:
    """Milliseconds from invitation to answer of the call `bc` (the one expression that differs
    between PostgreSQL and SQLite)."""
    if connection.vendor == "postgresql":
        return "ROUND(EXTRACT(EPOCH FROM (bc.answered_at - bc.created_at)) * 1000)"
    # julianday() is exact to the millisecond for the timestamps Django stores.
    return "ROUND((julianday(bc.answered_at) - julianday(bc.created_at)) * 86400000.0)"


def _has_cause(causes: Iterable[str]) -> str:
    """The call `bc` has one of `causes` (our own constants) among its comma-separated readiness
    causes. `%%` is a literal `%` for the driver (the statements are run with parameters)."""
    return "(" + " OR ".join(f"',' || bc.consumer_readiness || ',' LIKE '%%,{cause},%%'" for cause in causes) + ")"


class AccountBucket(NamedTuple):
    """One bucket of one account: what a run recomputes."""

    account_id: int
    bucket: Bucket


def _utc(instant) -> str:
    return instant.astimezone(UTC).isoformat()


def row_source(columns: Sequence[Sequence], types: Sequence[str]) -> tuple[str, list]:
    """Rows given column by column as a row source, and its parameters. On PostgreSQL one array
    literal per column, built by hand (no element is ever input: ids, our interval names, and ISO
    instants), so the driver binds one string per column instead of one parameter per value; on
    SQLite a VALUES list."""
    if connection.vendor == "postgresql":
        text = [_utc if t == "timestamptz" else str for t in types]
        arrays = ["{" + ",".join(map(show, column)) + "}" for show, column in zip(text, columns, strict=True)]
        unnest = ", ".join(f"%s::{t}[]" for t in types)  # our own type names
        return f"SELECT * FROM unnest({unnest})", arrays  # noqa: S608
    adapt = connection.ops.adapt_datetimefield_value
    params: list = [adapt(v) if isinstance(v, datetime) else v for row in zip(*columns, strict=True) for v in row]
    placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
    return "VALUES " + ", ".join([placeholders] * len(columns[0])), params


def _values(keys: Sequence[AccountBucket]) -> tuple[str, list]:
    """The bucket list `keys` as a row source with the columns (account_id, bucket_interval,
    bucket_start, bucket_end), and its parameters."""
    columns = (
        [k.account_id for k in keys],
        [str(k.bucket.interval) for k in keys],
        [k.bucket.start for k in keys],
        [k.bucket.end for k in keys],
    )
    return row_source(columns, ("bigint", "varchar", "timestamptz", "timestamptz"))


def chunks(keys: Sequence[AccountBucket]) -> Iterable[Sequence[AccountBucket]]:
    """The keys in lists one statement can take (all of them on PostgreSQL)."""
    size = len(keys) if connection.vendor == "postgresql" else SQLITE_BUCKETS_PER_STATEMENT
    for offset in range(0, len(keys), max(size, 1)):
        yield keys[offset : offset + size]


EVENT_FIELDS = (
    "participants",
    "rtt_samples",
    "rtt_us_sum",
    "packet_loss_samples",
    "packet_loss_mpct_sum",
    "bitrate_samples",
    "bitrate_bps_sum",
)


def call_aggregates() -> dict[str, str]:
    """Each call-level column as an aggregate over the calls `bc` of a group."""
    terminal, live = _in(TERMINAL_STATES), _in(LIVE_STATES)
    every_reason = _in(r for reasons in FAILURE_CLASSES.values() for r in reasons)
    ended_connected = f"bc.started_at IS NOT NULL AND bc.state IN ({terminal})"
    count = lambda condition: f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)"  # noqa: E731
    aggregates = {
        "sessions": "COUNT(*)",
        "accepted": count("bc.answered_at IS NOT NULL"),
        "rejected": count("bc.state = 'rejected'"),
        "expired": count("bc.state = 'expired'"),
        "cancelled": count("bc.state = 'cancelled'"),
        "failed": count("bc.state = 'failed'"),
        **{
            name: count(f"bc.state = 'failed' AND bc.end_reason IN ({_in(reasons)})")
            for name, reasons in FAILURE_CLASSES.items()
        },
        "failed_other": count(f"bc.state = 'failed' AND bc.end_reason NOT IN ({every_reason})"),
        "connected": count("bc.started_at IS NOT NULL"),
        "completed": count("bc.state = 'completed'"),
        "dropped": count("bc.state = 'dropped'"),
        "in_progress": count(f"bc.state IN ({live})"),
        "ended_connected": count(ended_connected),
        "accepted_audio_only": count("bc.media = 'video' AND bc.consumer_audio_only"),
        "readiness_checked": count("bc.consumer_readiness_at IS NOT NULL"),
        "readiness_problems": count("bc.consumer_readiness <> ''"),
        **{name: count(_has_cause(causes)) for name, causes in READINESS_CLASSES.items()},
        "handed_off": count("bc.consumer_device > 0"),
        "screen_shared": count("bc.screen_shared"),
        "duration_s_sum": f"SUM(CASE WHEN {ended_connected} THEN COALESCE(bc.duration_s, 0) ELSE 0 END)",
        "answer_ms_sum": f"SUM(CASE WHEN bc.answered_at IS NOT NULL THEN {_answer_ms()} ELSE 0 END)",
        "distinct_consumers": "COUNT(DISTINCT bc.consumer_key)",
        "duration_s_max": f"MAX(CASE WHEN {ended_connected} THEN COALESCE(bc.duration_s, 0) ELSE 0 END)",
        # Ended calls by their stored verdict (a call still live, or not diagnosed yet, counts in none).
        **{f"verdict_{v}": count(f"bc.verdict = '{v}' AND bc.state IN ({terminal})") for v in Verdict.values},
    }
    assert set(aggregates) | set(EVENT_FIELDS) == set(ADDITIVE_FIELDS) | set(MAX_FIELDS)
    return aggregates


def event_values(per_call: bool = False) -> str:
    """The events that count of the calls `bc` (quality samples and "side connected" reports), with
    the calls' group columns. The sample values are the typed columns the database filled in when
    the event was written (calls.models.CallEvent.rtt_us and its siblings): no JSON is read here.

    `per_call` (PostgreSQL): each call's events by the call_id index (LATERAL). A week of buckets
    is estimated at 40 times its calls (the range estimate of a bucket knows no bounds), so the
    planner otherwise hashes the events table whole, once per statement: a backfill in weekly
    chunks then read every event of the table 52 times for a year."""
    columns = """SELECT bc.account_id, bc.bucket_interval, bc.bucket_start, bc.bucket_end, bc.media, bc.agent_id,
               bc.id AS call_id, e.kind, e.actor, e.rtt_us AS rtt, e.packet_loss_mpct AS loss, e.bitrate_bps AS bitrate"""
    wanted = "e.kind IN ('stats', 'connected')"
    if per_call and connection.vendor == "postgresql":
        return f"""{columns}
        FROM bc CROSS JOIN LATERAL (
            SELECT * FROM {EVENT_TABLE} e WHERE e.call_id = bc.id AND {wanted} OFFSET 0) e"""  # noqa: S608
    return f"""{columns}
        FROM bc JOIN {EVENT_TABLE} e ON e.call_id = bc.id
        WHERE {wanted}"""  # noqa: S608 - constants only


def event_aggregates() -> dict[str, str]:
    """Each event-level column as an aggregate over the events `e` (event_values) of a group's calls."""
    stats = lambda column: f"CASE WHEN e.kind = 'stats' THEN e.{column} END"  # noqa: E731
    return {
        # The sides that joined the media: a side of a call counts once however often it reported.
        "participants": "COUNT(DISTINCT CASE WHEN e.kind = 'connected' THEN CAST(e.call_id AS TEXT) || e.actor END)",
        "rtt_samples": f"COUNT({stats('rtt')})",
        "rtt_us_sum": f"COALESCE(SUM({stats('rtt')}), 0)",
        "packet_loss_samples": f"COUNT({stats('loss')})",
        "packet_loss_mpct_sum": f"COALESCE(SUM({stats('loss')}), 0)",
        "bitrate_samples": f"COUNT({stats('bitrate')})",
        "bitrate_bps_sum": f"COALESCE(SUM({stats('bitrate')}), 0)",
    }


def aggregate_upsert_sql(bucketed_calls: str, prefix: str = "", per_call: bool = False) -> str:
    """WITH [prefix] bc AS (bucketed_calls) ... INSERT ... SELECT ... GROUP BY ... ON CONFLICT: the
    metrics of every (account, interval, bucket, media, agent) group of the calls `bc`, which carry
    account_id, bucket_interval, bucket_start, bucket_end, consumer_key and the Call columns.

    Calls and events are aggregated separately per group (no per-call step), then joined on the
    group: linear in calls and events whatever plan the database picks.
    """
    group = "bc.account_id, bc.bucket_interval, bc.bucket_start, bc.bucket_end, bc.media, COALESCE(bc.agent_id, 0)"
    calls = call_aggregates()
    events = event_aggregates()
    columns, conflict = upsert_clause()
    # Computed once each, then joined: with rows newer than the table statistics PostgreSQL may
    # expect one group and re-run the events' aggregation for every group of calls.
    once = "MATERIALIZED " if connection.vendor == "postgresql" else ""
    picked = [f"cg.{_q(f)}" if f in calls else f"COALESCE(eg.{_q(f)}, 0)" for f in (*ADDITIVE_FIELDS, *MAX_FIELDS)]
    on = " AND ".join(
        f"eg.{k} = cg.{k}" for k in ("account_id", "bucket_interval", "bucket_start", "media", "agent_key")
    )
    return f"""
WITH {prefix}bc AS ({bucketed_calls}),
cg AS {once}(
    SELECT bc.account_id, bc.bucket_interval, bc.bucket_start, bc.bucket_end, bc.media,
           COALESCE(bc.agent_id, 0) AS agent_key, MAX(bc.agent_id) AS agent_id,
           {", ".join(f"{expr} AS {_q(name)}" for name, expr in calls.items())}
    FROM bc
    GROUP BY {group}
),
eg AS {once}(
    SELECT e.account_id, e.bucket_interval, e.bucket_start, e.media, COALESCE(e.agent_id, 0) AS agent_key,
           {", ".join(f"{expr} AS {_q(name)}" for name, expr in events.items())}
    FROM ({event_values(per_call)}) e
    GROUP BY {group.replace("bc.", "e.")}
)
INSERT INTO {ROLLUP_TABLE} ({columns})
SELECT cg.account_id, cg.bucket_interval, cg.bucket_start, cg.bucket_end, cg.media, cg.agent_key, cg.agent_id,
       {", ".join(picked)}
FROM cg LEFT JOIN eg ON {on}
WHERE 1 = 1
{conflict}
"""  # noqa: S608 - only quoted identifiers and our own constants


def upsert_clause() -> tuple[str, str]:
    """The INSERT column list and the ON CONFLICT ... DO UPDATE clause of the rollup table."""
    columns = ", ".join(_q(c) for c in OUTPUT_COLUMNS)
    updates = ", ".join(f"{_q(c)} = excluded.{_q(c)}" for c in OUTPUT_COLUMNS if c not in KEY_COLUMNS)
    conflict = f"ON CONFLICT ({', '.join(_q(c) for c in KEY_COLUMNS)}) DO UPDATE SET {updates}"
    return columns, conflict


# Who the consumer is: the brand's own reference when it sent one, else the conversation.
CONSUMER_KEY = "CASE WHEN v.consumer_ref <> '' THEN 'r:' || v.consumer_ref ELSE 'c:' || CAST(v.id AS TEXT) END"


def calls_with_consumer(where: str) -> str:
    """The calls `c` matching `where`, each with its `consumer_key` (from its conversation `v`) and
    the `verdict` of its diagnosis (NULL when it has none: live, or not diagnosed yet)."""
    join = f"JOIN {CONVERSATION_TABLE} v ON v.id = c.conversation_id LEFT JOIN {DIAGNOSIS_TABLE} d ON d.call_id = c.id"
    columns = f"c.*, {CONSUMER_KEY} AS consumer_key, d.verdict AS verdict"
    return f"SELECT {columns} FROM {CALL_TABLE} c {join} WHERE {where}"  # noqa: S608


def _calls_in_bucket() -> str:
    """Join each bucket `b` to its calls `c`. On PostgreSQL a LATERAL subquery, so every bucket is
    one range scan of the (account, created_at) index whatever the planner guesses about the VALUES
    list (a hash join over every call of every account otherwise); SQLite has no LATERAL and runs a
    join with VALUES as such a nested loop anyway."""
    where = "c.account_id = b.account_id AND c.created_at >= b.bucket_start AND c.created_at < b.bucket_end"
    if connection.vendor == "postgresql":
        # OFFSET 0 keeps the planner from flattening the subquery back into a plain join.
        return f"CROSS JOIN LATERAL ({calls_with_consumer(where)} OFFSET 0) c"
    return f"JOIN ({calls_with_consumer('1 = 1')}) c ON {where}"


def rollup_sql(keys: Sequence[AccountBucket]) -> tuple[str, list]:
    """The single recompute-and-upsert statement for these buckets (exposed for the bench)."""
    values, params = _values(keys)
    bucketed = f"""
    SELECT c.*, b.bucket_interval, b.bucket_start, b.bucket_end
    FROM b {_calls_in_bucket()}"""  # noqa: S608 - constants only
    prefix = f"b (account_id, bucket_interval, bucket_start, bucket_end) AS ({values}),\n"
    return aggregate_upsert_sql(bucketed, prefix, per_call=True), params


# The longest bucket of each interval (a 25-hour day; a 90-minute hour in the one zone with a
# 30-minute DST shift), with room to spare: bounds the stale-row scan.
LONGEST: dict[str, timedelta] = {Interval.HOUR: timedelta(hours=2), Interval.DAY: timedelta(hours=26)}


def spans(keys: Sequence[AccountBucket]) -> list[tuple[int, datetime, datetime]]:
    """The buckets of each account merged where they touch or overlap, as (account_id, start, end):
    a row overlaps one of the buckets exactly when it overlaps one of these. A backfill's chunk of
    days is one span per account; a sweep's scattered buckets are a few."""
    merged: list[tuple[int, datetime, datetime]] = []
    for account_id, bucket in sorted(keys, key=lambda k: (k.account_id, k.bucket.start)):
        if merged and merged[-1][0] == account_id and bucket.start <= merged[-1][2]:
            merged[-1] = (account_id, merged[-1][1], max(merged[-1][2], bucket.end))
        else:
            merged.append((account_id, bucket.start, bucket.end))
    return merged


def stale_sql(keys: Sequence[AccountBucket]) -> tuple[str, list]:
    """Delete the rows of these buckets (all of one interval) whose group lost its last call, and
    rows of other bounds overlapping them (left by an earlier time zone of the account).

    Set-based: overlap is checked against the buckets merged into spans (spans()), and "is one of
    the buckets" is an equality anti-join on (account, start, end), which the database hashes. (It
    was one range condition against the whole bucket list: a nested loop of every existing row
    over every bucket of the chunk, which made rerunning a backfill slower than running it.)"""
    (interval,) = {k.bucket.interval for k in keys}
    values, params = _values(keys)
    merged = spans(keys)
    span_rows, span_params = row_source(list(zip(*merged, strict=True)), ("bigint", "timestamptz", "timestamptz"))
    adapt = connection.ops.adapt_datetimefield_value
    accounts = sorted({k.account_id for k in keys})
    lowest, highest = min(k.bucket.start for k in keys), max(k.bucket.end for k in keys)
    r, i = ROLLUP_TABLE, _q("interval")
    sql = f"""
WITH b (account_id, bucket_interval, bucket_start, bucket_end) AS ({values}),
s (account_id, span_start, span_end) AS ({span_rows})
DELETE FROM {r}
WHERE {r}.account_id IN ({", ".join(["%s"] * len(accounts))}) AND {r}.{i} = %s
  AND {r}.bucket_start >= %s AND {r}.bucket_start < %s AND {r}.bucket_end > %s
  AND EXISTS (SELECT 1 FROM s WHERE s.account_id = {r}.account_id
              AND s.span_start < {r}.bucket_end AND s.span_end > {r}.bucket_start)
  AND NOT EXISTS (
      SELECT 1 FROM b WHERE b.account_id = {r}.account_id
        AND b.bucket_start = {r}.bucket_start AND b.bucket_end = {r}.bucket_end
        AND EXISTS (SELECT 1 FROM {CALL_TABLE} c
                    WHERE c.account_id = {r}.account_id AND c.created_at >= {r}.bucket_start
                      AND c.created_at < {r}.bucket_end AND c.media = {r}.media
                      AND COALESCE(c.agent_id, 0) = {r}.agent_key))
"""  # noqa: S608 - only quoted identifiers; every value is a bound parameter
    bounds = [adapt(lowest - LONGEST[interval]), adapt(highest), adapt(lowest)]
    return sql, [*params, *span_params, *accounts, str(interval), *bounds]


def day_sql(keys: Sequence[AccountBucket]) -> tuple[str, list]:
    """Recompute day buckets from their hour rows and upsert them.

    Hour buckets partition time and nest exactly in day buckets (reporting.buckets), so every
    additive column of a day is the sum of its hours' and the longest duration their maximum. Only
    distinct consumers do not add up: they are counted from the day's calls (no events needed).
    Callers recompute the day's changed hours first, in the same transaction.
    """
    values, params = _values(keys)
    columns, conflict = upsert_clause()
    r, i = ROLLUP_TABLE, _q("interval")
    sums = [f"SUM(r.{_q(f)}) AS {_q(f)}" for f in ADDITIVE_FIELDS if f != "distinct_consumers"]
    maxes = [f"MAX(r.{_q(f)}) AS {_q(f)}" for f in MAX_FIELDS]
    picked = [f"h.{_q(f)}" if f != "distinct_consumers" else "COALESCE(dc.consumers, 0)" for f in ADDITIVE_FIELDS]
    picked += [f"h.{_q(f)}" for f in MAX_FIELDS]
    in_day = f"r.account_id = b.account_id AND r.{i} = 'hour' AND r.bucket_start >= b.bucket_start AND r.bucket_start < b.bucket_end"
    if connection.vendor == "postgresql":
        # As for the calls: one range scan of the rollup key per day, not a scan of every hour row.
        hours_in_day = f"CROSS JOIN LATERAL (SELECT * FROM {r} r WHERE {in_day} OFFSET 0) r"  # noqa: S608
    else:
        hours_in_day = f"JOIN {r} r ON {in_day}"
    sql = f"""
WITH b (account_id, bucket_interval, bucket_start, bucket_end) AS ({values}),
h AS (
    SELECT b.account_id, b.bucket_start, b.bucket_end, r.media, r.agent_key, MAX(r.agent_id) AS agent_id,
           {", ".join(sums + maxes)}
    FROM b {hours_in_day}
    GROUP BY b.account_id, b.bucket_start, b.bucket_end, r.media, r.agent_key
),
dc AS (
    SELECT b.account_id, b.bucket_start, c.media, COALESCE(c.agent_id, 0) AS agent_key,
           COUNT(DISTINCT c.consumer_key) AS consumers
    FROM b {_calls_in_bucket()}
    GROUP BY b.account_id, b.bucket_start, c.media, COALESCE(c.agent_id, 0)
)
INSERT INTO {r} ({columns})
SELECT h.account_id, 'day', h.bucket_start, h.bucket_end, h.media, h.agent_key, h.agent_id, {", ".join(picked)}
FROM h
LEFT JOIN dc ON dc.account_id = h.account_id AND dc.bucket_start = h.bucket_start AND dc.media = h.media
             AND dc.agent_key = h.agent_key
WHERE 1 = 1
{conflict}
"""  # noqa: S608 - only quoted identifiers and our own constants; every value is a bound parameter
    return sql, params
