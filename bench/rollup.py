#!/usr/bin/env python
"""Rollup benchmark: the rollup as the project runs it vs the bare SQL GROUP BY upsert, same data.

    .venv/bin/python bench/rollup.py --events 1000000            # PostgreSQL database vvc_bench
    .venv/bin/python bench/rollup.py --events 3000 --database sqlite:////tmp/rollup-bench.sqlite3

It creates the database if missing (and migrates it), writes realistic calls until it has
`--events` call events (reporting.testing's generator: every outcome, both media, quality samples,
four accounts in four time zones, `--days` days), then measures, each `--repeat` times (median):

- task: `manage.py rollup_metrics --since FIRST --until LAST` (reporting.services.rollup_keys, the
  code path of every rollup task), rebuilding every hour and day bucket of every account;
- bare: one hand-written INSERT ... SELECT ... GROUP BY ... ON CONFLICT DO UPDATE over the same
  calls, bucketing with PostgreSQL's date_trunc in each account's zone (PostgreSQL only);
- incremental: `--new-events` more events (new calls in the hour after the data), then the beat
  sweep's run (reporting.services.rollup_recent) over them; and one call's end-of-call rollup.

- year read: the reports API (GET /api/v1/reports/collaboration-sessions/, the whole Django and DRF
  stack through the test client, as the account's admin) over the data's span (at most 366 days),
  by day, hour, week and month, by media and by agent, and the month CSV.

Both full runs must leave identical rows (checked). The default dates cross the autumn changes of
Europe/Berlin (2025-10-26) and America/New_York (2025-11-02), and a year crosses the spring ones:
the bare statement keeps the repeated hour as two buckets (each real hour, by its UTC offset).
`--drop` drops the database afterwards. Not a test: no assertion on times;
tests/test_reporting_bench.py runs it tiny so it does not rot.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path

from rollup_data import generate, write  # bench/ is on the path: this file runs as a script
from rollup_reads import year_reads

ROOT = Path(__file__).resolve().parent.parent
ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata")
# 28 days from here cross the autumn DST changes of Berlin and New York; 365 days the spring ones too.
FIRST_DAY = date(2025, 10, 13)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="Call events to generate (default 1,000,000).")
    parser.add_argument("--new-events", type=int, default=10_000, help="Events of the incremental run.")
    parser.add_argument("--days", type=int, default=28, help="Days the calls spread over.")
    parser.add_argument("--repeat", type=int, default=3, help="Runs of each measurement (the median is reported).")
    parser.add_argument(
        "--database", default="postgres://postgres@127.0.0.1:5432/vvc_bench", help="DATABASE_URL of a scratch database."
    )
    parser.add_argument("--drop", action="store_true", help="Drop the PostgreSQL database at the end.")
    parser.add_argument("--reuse", action="store_true", help="Measure on the data an earlier run left (no --drop).")
    parser.add_argument("--out", type=Path, help="Write rollup.json and rollup.md into this folder.")
    return parser.parse_args(argv)


def create_database(url: str) -> None:
    """Create the scratch PostgreSQL database when it does not exist."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')


def drop_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "consoleproj.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def timed(fn, repeat: int) -> tuple[float, list[float]]:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs), runs


def cpu_seconds() -> float:
    """CPU time used so far by this process and by its PostgreSQL backend (Linux /proc): unlike
    wall time, it does not grow when other programs share the machine's two cores."""
    from django.db import connection

    own = time.process_time()
    if connection.vendor != "postgresql":
        return own
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return own + (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_average() -> str:
    return " ".join(f"{n:.1f}" for n in os.getloadavg())


# --- the two full runs --------------------------------------------------------------------------------


def bare_sql() -> str:
    """The same aggregation as the project's statement, with buckets by PostgreSQL's date_trunc in
    each account's zone instead of a list of buckets: no bucket list, no lock, no stale-row delete,
    no days from hours; both intervals straight from the calls and events in one statement.

    An hour is the call's instant minus the minutes and seconds its local clock shows past the
    hour, so each real hour is its own bucket, the repeated one too (truncating the local time and
    converting it back, `date_trunc(...) AT TIME ZONE`, would merge the two 02:00s of an autumn
    night into one). Exact for the bench's zones, whose offsets change by whole hours on the hour."""
    from reporting import rollup_sql

    local = "(c.created_at AT TIME ZONE a.time_zone)"
    hour_start = f"c.created_at - ({local} - date_trunc('hour', {local}))"
    day_start = f"date_trunc('day', {local}) AT TIME ZONE a.time_zone"
    day_end = f"(date_trunc('day', {local}) + interval '1 day') AT TIME ZONE a.time_zone"
    bucketed = f"""
    SELECT c.*, i.iv AS bucket_interval,
           CASE i.iv WHEN 'hour' THEN {hour_start} ELSE {day_start} END AS bucket_start,
           CASE i.iv WHEN 'hour' THEN {hour_start} + interval '1 hour' ELSE {day_end} END AS bucket_end
    FROM ({rollup_sql.calls_with_consumer("1 = 1")}) c
    JOIN accounts_account a ON a.id = c.account_id
    CROSS JOIN (VALUES ('hour'), ('day')) AS i (iv)"""  # noqa: S608 - constants only
    return rollup_sql.aggregate_upsert_sql(bucketed)


def snapshot() -> list[tuple]:
    from reporting.models import SessionRollup

    return list(
        SessionRollup.objects.order_by("account_id", "interval", "bucket_start", "media", "agent_key").values_list(
            *[f.attname for f in SessionRollup._meta.concrete_fields if f.attname != "id"]
        )
    )


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    postgres = args.database.startswith(("postgres://", "postgresql://"))
    if postgres:
        create_database(args.database)
    setup_django(args.database)

    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from accounts.models import Account
    from calls.models import Call, CallEvent
    from reporting import services
    from reporting.models import SessionRollup
    from reporting.testing import plan_call
    from tests.factories import AccountFactory, UserFactory

    last_day = FIRST_DAY + timedelta(days=args.days - 1)
    # The data stops at noon (UTC) of its last day: the incremental run adds the next hour's calls
    # to a day that already has its morning.
    data_end = datetime.combine(last_day, clock(12), tzinfo=UTC)
    existing = list(Account.objects.filter(slug__startswith="bench-").order_by("slug"))
    if Call.objects.exists() and not (args.reuse and existing):
        sys.exit(f"{args.database} already holds calls: give a scratch database, --drop it, or --reuse a bench's data.")
    started = time.perf_counter()
    if args.reuse and existing:
        accounts = existing
        agents = {a.pk: list(a.users.filter(role="agent").values_list("pk", flat=True)) for a in accounts}
        # Remove what an earlier run's incremental step added after the data.
        Call.objects.filter(created_at__gte=data_end).delete()
        events = CallEvent.objects.count()
    else:
        accounts, agents = [], {}
        for n, zone_name in enumerate(ZONES):
            account = AccountFactory(slug=f"bench-{n}", name=f"Bench {n}")
            Account.objects.filter(pk=account.pk).update(time_zone=zone_name)
            account.refresh_from_db()
            accounts.append(account)
            agents[account.pk] = [
                UserFactory(account=account, email=f"agent{i}@bench-{n}.example").pk for i in range(8)
            ]
        events = generate(accounts, agents, events=args.events, days=args.days, first=FIRST_DAY, seed=1, now=data_end)
    generated_s = time.perf_counter() - started
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")  # fresh statistics, as autovacuum would have by now
    calls = Call.objects.count()
    print(f"data: {calls:,} calls, {events:,} events, {len(accounts)} accounts, {args.days} days ({generated_s:.0f} s)")

    def task_run() -> None:
        call_command(
            "rollup_metrics", "--since", str(FIRST_DAY - timedelta(days=1)), "--until", str(last_day + timedelta(days=1)),
            "--no-progress", stdout=open(os.devnull, "w"),  # noqa: SIM115
        )  # fmt: skip

    def clear() -> None:
        SessionRollup.objects.all().delete()

    results: dict = {"calls": calls, "events": events, "accounts": len(accounts), "days": args.days}
    task_times, task_cpu = [], 0.0
    for _ in range(args.repeat):
        clear()
        before = cpu_seconds()
        task_times.append(timed(task_run, 1)[0])
        task_cpu += cpu_seconds() - before
    results["task_cpu_s"] = task_cpu / args.repeat
    results["task_s"] = statistics.median(task_times)
    results["task_runs_s"] = task_times
    task_rows = snapshot()
    results["rows"] = len(task_rows)
    print(
        f"task (rollup_metrics, every bucket): {results['task_s'] * 1000:.0f} ms, CPU "
        f"{results['task_cpu_s'] * 1000:.0f} ms  runs {fmt(task_times)}; load average {load_average()}"
    )
    before = cpu_seconds()
    rerun = timed(task_run, 1)[0]
    results["task_rerun_s"], results["task_rerun_cpu_s"] = rerun, cpu_seconds() - before
    assert snapshot() == task_rows, "a rerun changed the rows"
    print(
        f"task again over the same rows (upsert, nothing changes): {rerun * 1000:.0f} ms, "
        f"CPU {results['task_rerun_cpu_s'] * 1000:.0f} ms; load average {load_average()}"
    )

    if postgres:
        sql = bare_sql()

        def bare_run() -> None:
            with connection.cursor() as cursor:
                cursor.execute(sql)

        bare_times, bare_cpu = [], 0.0
        for _ in range(args.repeat):
            clear()
            before = cpu_seconds()
            bare_times.append(timed(bare_run, 1)[0])
            bare_cpu += cpu_seconds() - before
        results["bare_cpu_s"] = bare_cpu / args.repeat
        results["bare_s"] = statistics.median(bare_times)
        results["bare_runs_s"] = bare_times
        assert snapshot() == task_rows, "the bare SQL and the task disagree"
        results["ratio"] = results["task_s"] / results["bare_s"]
        results["cpu_ratio"] = results["task_cpu_s"] / results["bare_cpu_s"]
        print(
            f"bare SQL GROUP BY upsert: {results['bare_s'] * 1000:.0f} ms, CPU {results['bare_cpu_s'] * 1000:.0f} ms"
            f"  runs {fmt(bare_times)}; load average {load_average()}"
        )
        print(
            f"ratio task / bare: {results['ratio']:.2f}x wall, {results['cpu_ratio']:.2f}x CPU (target <= 1.5x); "
            "identical rows: yes"
        )

    if postgres:
        with connection.cursor() as cursor:
            # The full runs above left the rollup table with dead rows and no statistics; reads
            # are measured on it as autovacuum would leave it.
            cursor.execute(f"VACUUM ANALYZE {SessionRollup._meta.db_table}")
    read_last = min(last_day, FIRST_DAY + timedelta(days=365))
    read_account = accounts[1 % len(accounts)]  # Europe/Berlin
    results["year_read_account"] = f"{read_account.slug} ({read_account.time_zone}), {FIRST_DAY} to {read_last}"
    results["year_reads"] = year_reads(read_account, FIRST_DAY, read_last, args.repeat, cpu_seconds=cpu_seconds)

    # Incremental: new calls in the hour after the data (noon to 12:55 UTC), then the sweep over them.
    mark = data_end
    assert not CallEvent.objects.filter(created_at__gte=mark).exists()
    rng = random.Random(99)  # noqa: S311 - test data
    new_events = 0
    for n, account in enumerate(accounts):
        kept, count, budget = [], 0, (args.new_events - new_events) // (len(accounts) - n)
        while True:
            at = mark + timedelta(seconds=rng.uniform(0, 3300))
            media = rng.choice(["voice", "video"])
            call = plan_call(rng, media=media, agent_id=rng.choice(agents[account.pk]), created_at=at)
            if count + len(call.events) > budget:
                break
            kept.append(call)
            count += len(call.events)
        new_events += write(account, kept)
    results["new_events"] = new_events
    first_run = timed(lambda: services.rollup_recent(since=mark), 1)[0]
    repeats = max(args.repeat, 10)
    cpu_before = cpu_seconds()
    incremental, runs = timed(lambda: services.rollup_recent(since=mark), repeats)
    cpu = (cpu_seconds() - cpu_before) / repeats
    results.update(
        incremental_first_s=first_run,
        incremental_s=incremental,
        incremental_min_s=min(runs),
        incremental_runs_s=runs,
        incremental_cpu_s=cpu,
        load_average=load_average(),
    )
    print(
        f"incremental: {new_events:,} new events, sweep over them: first {first_run * 1000:.1f} ms, "
        f"median {incremental * 1000:.1f} ms, fastest {min(runs) * 1000:.1f} ms, CPU {cpu * 1000:.1f} ms a run "
        f"(client + PostgreSQL backend; target < 50 ms)  runs {fmt(runs)}; load average {load_average()}"
    )
    recent = list(Call.objects.filter(created_at__gte=mark).order_by("?").values_list("account_id", "created_at")[:20])
    one, runs = timed(lambda: [services.rollup_instant(account_id=a, instant=t) for a, t in recent], 1)
    results["one_call_s"] = one / max(len(recent), 1)
    print(f"one call's end-of-call rollup (its hour and day): {results['one_call_s'] * 1000:.1f} ms")
    results["database"] = connection.vendor
    results["at"] = timezone.now().isoformat()
    assert CallEvent.objects.count() == events + new_events

    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "rollup.json").write_text(json.dumps(results, indent=2))
    connection.close()
    if args.drop and postgres:
        drop_database(args.database)
    return results


def fmt(runs: list[float]) -> str:
    return "[" + ", ".join(f"{r * 1000:.0f}" for r in runs) + "] ms"


if __name__ == "__main__":
    main()
