"""Distinct consumers of a report: over the whole range, and per week or month row, in one query.

A consumer is the conversation's `consumer_ref` when the brand sent one, else the conversation
(docs/metrics.md; the rollup's rollup_sql.CONSUMER_KEY). Distinct consumers do not add up across
buckets, so the totals and the week and month rows count them from the calls of their range, not
from the rollup rows. One statement answers both: it reads the range's calls once (one range
scan of the (account, created_at) index, each call's conversation by its primary key) and groups
them twice, by period and media or agent, and over everything (GROUPING SETS on PostgreSQL; a
UNION ALL over the same rows on SQLite). Week and month boundaries are the day buckets' (the
period's first local day's start), as for the sums of the rows.

Measured on a year of bench/rollup.py's data (bench/README.md): the two counts of a month report
took 2 x ~90 ms of PostgreSQL time; this one ~45-60 ms.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from django.db import connection, transaction

from .buckets import local_day, period_first_day
from .rollup_sql import CALL_TABLE, CONVERSATION_TABLE


@dataclass(frozen=True)
class Consumers:
    """Distinct consumers over the range (`total`) and per (first day of the week or month, media
    or agent key) for the rows of a week or month report (`rows`; empty for the totals alone)."""

    total: int
    rows: dict[tuple[date, object], int] = field(default_factory=dict)


def count_consumers(
    *, account_id: int, period, interval: str | None = None, group_by: str = "media", total: bool = True
) -> Consumers:
    """Distinct consumers of the account's calls in `period` (a queries.ReportRange): the total,
    and with `interval` (week or month) also per period and media (or agent), in one query.
    `total=False` leaves the total out (0) where only the rows are wanted (the CSV)."""
    starts = [b.start for b in period.buckets(interval)] if interval else [period.start]
    adapt = connection.ops.adapt_datetimefield_value
    postgres = connection.vendor == "postgresql"
    period_params: list = []
    if postgres:
        # Each call's period by a binary search of the periods' starts (contiguous from the range's
        # start), so the range's calls are one range scan of the (account, created_at) index.
        period_of, period_params = "width_bucket(c.created_at, %s::timestamptz[]) - 1", [_array(starts)]
    else:  # SQLite has no width_bucket: the periods' ends in turn (a range has at most 54 weeks)
        whens = [f"WHEN c.created_at < %s THEN {n}" for n in range(len(starts) - 1)]
        period_of = f"CASE {' '.join(whens)} ELSE {len(starts) - 1} END" if whens else "0"
        period_params = [adapt(after) for after in starts[1:]]
    group = "c.media" if group_by == "media" else "COALESCE(c.agent_id, 0)"
    if postgres:
        # Each call's conversation by its primary key (LATERAL: a nested loop of index probes, so
        # the cost follows the account's calls, never the size of the conversations table, which
        # the planner would otherwise hash whole). The reference compares bytewise ("C"): a
        # distinct count needs equality only, and byte order sorts several times faster.
        ref = f'SELECT v.consumer_ref COLLATE "C" AS consumer_ref FROM {CONVERSATION_TABLE} v'  # noqa: S608
        conversation = f"CROSS JOIN LATERAL ({ref} WHERE v.id = c.conversation_id OFFSET 0) v"
    else:
        conversation = f"JOIN {CONVERSATION_TABLE} v ON v.id = c.conversation_id"
    keyed = f"""SELECT {period_of} AS n, {group} AS grp, v.consumer_ref AS ref, c.conversation_id AS conversation
    FROM {CALL_TABLE} c {conversation}
    WHERE c.account_id = %s AND c.created_at >= %s AND c.created_at < %s"""  # noqa: S608 - constants only
    # A consumer is their reference, or an anonymous conversation (rollup_sql.CONSUMER_KEY), counted
    # as two distinct counts rather than one over a built text key (cheaper, same number).
    distinct = (
        "COUNT(DISTINCT CASE WHEN k.ref <> '' THEN k.ref END)"
        " + COUNT(DISTINCT CASE WHEN k.ref = '' THEN k.conversation END)"
    )
    everything = f"SELECT NULL, NULL, {distinct} FROM k"  # noqa: S608 - constants only
    per_period = f"SELECT k.n, k.grp, {distinct} FROM k GROUP BY"  # noqa: S608 - constants only
    if interval is None:
        select = everything
    elif not total:
        select = f"{per_period} k.n, k.grp"
    elif postgres:  # one pass over the calls for both groupings
        select = f"{per_period} GROUPING SETS ((k.n, k.grp), ())"
    else:
        select = f"{per_period} k.n, k.grp UNION ALL {everything}"
    with transaction.atomic(), connection.cursor() as cursor:
        if postgres:
            # The probes' cost estimate passes jit_above_cost: compiling would take longer (tens of
            # ms) than the query needs. As in the rollup (reporting.services), off for this one.
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(
            f"WITH k AS ({keyed})\n{select}",  # noqa: S608 - only our own constants; every value is a parameter
            [*period_params, account_id, adapt(period.start), adapt(period.end)],
        )
        found = cursor.fetchall()
    firsts = [period_first_day(interval, local_day(period.zone_name, start)) for start in starts] if interval else []
    counts = {(firsts[n], grp): count for n, grp, count in found if n is not None}
    return Consumers(total=next((count for n, _, count in found if n is None), 0), rows=counts)


def _array(instants: list[datetime]) -> str:
    """A timestamptz[] literal of our own instants (one bound string instead of one per instant)."""
    return "{" + ",".join(instant.astimezone(UTC).isoformat() for instant in instants) + "}"
