#!/usr/bin/env python
"""The year read of bench/rollup.py: the reports API over a year of the bench's data, timed.

Each read goes through the whole Django and DRF stack (the test client, as the account's admin),
as an Analytics Builder pull would; the wall time is the median of `repeat` reads after a warm-up,
the CPU time that of this process and its PostgreSQL backend.

bench/rollup.py calls it after its full runs. Alone, it reads the data such a run left (run
without --drop), e.g. to measure the reads again on a quiet machine:

    .venv/bin/python bench/rollup_reads.py --database postgres://postgres@127.0.0.1:5432/vvc_bench --repeat 9
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

READS = [
    ("day", "media", "json"),
    ("day", "agent", "json"),
    ("hour", "media", "json"),
    ("week", "media", "json"),
    ("month", "media", "json"),
    ("month", "agent", "json"),
    ("month", "media", "csv"),
]


def year_reads(account, first: date, last: date, repeat: int, *, cpu_seconds: Callable[[], float]) -> dict:
    """The reports API over [first, last] as the account's admin: median wall time of each read."""
    from django.conf import settings
    from django.test import Client

    from accounts.models import User
    from tests.factories import AdminFactory

    admin = User.objects.filter(account=account, role="admin").first() or AdminFactory(
        account=account, email=f"admin@{account.slug}.example"
    )
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]  # the test client's host
    client = Client()
    client.force_login(admin)
    timings = {}
    for interval, group_by, fmt_ in READS:
        query = {"start": first, "end": last, "interval": interval, "group_by": group_by}
        if fmt_ == "csv":
            query["format"] = "csv"

        def read(query=query, fmt_=fmt_) -> None:
            response = client.get("/api/v1/reports/collaboration-sessions/", query)
            assert response.status_code == 200, response.content[:300]
            body = b"".join(response.streaming_content) if fmt_ == "csv" else response.content
            assert len(body) > 100

        read()  # warm: the first request loads URL conf, serializers and zone data
        reads = max(repeat, 5)
        before = cpu_seconds()
        runs = []
        for _ in range(reads):
            started = time.perf_counter()
            read()
            runs.append(time.perf_counter() - started)
        median = statistics.median(runs)
        cpu = (cpu_seconds() - before) / reads
        timings[f"{interval}/{group_by}/{fmt_}"] = {"median_s": median, "max_s": max(runs), "cpu_s": cpu}
        print(
            f"year read {interval} by {group_by} ({fmt_}): median {median * 1000:.0f} ms, "
            f"max {max(runs) * 1000:.0f} ms, CPU {cpu * 1000:.0f} ms a read (client + PostgreSQL backend)"
        )
    return timings


def main(argv: list[str] | None = None) -> dict:
    """The reads alone, on the data an earlier bench/rollup.py run left."""
    parser = argparse.ArgumentParser(description="The reports API over a year of bench/rollup.py's data, timed.")
    parser.add_argument(
        "--database", default="postgres://postgres@127.0.0.1:5432/vvc_bench", help="The bench's DATABASE_URL."
    )
    parser.add_argument("--repeat", type=int, default=5, help="Reads of each kind after a warm-up (at least 5).")
    parser.add_argument("--out", type=Path, help="Write rollup-reads.json into this folder.")
    args = parser.parse_args(argv)

    from rollup import FIRST_DAY, cpu_seconds, load_average, setup_django  # bench/ is on the path

    setup_django(args.database)
    from django.db import connection

    from accounts.models import Account
    from calls.models import Call
    from reporting.buckets import local_day
    from reporting.models import SessionRollup

    account = Account.objects.filter(slug="bench-1").first()  # the bench's Europe/Berlin account
    latest = Call.objects.filter(account=account).order_by("-created_at").values_list("created_at", flat=True).first()
    if account is None or latest is None:
        sys.exit(f"{args.database} holds no bench data: run bench/rollup.py --database ... (without --drop) first.")
    last = min(local_day(account.time_zone, latest), FIRST_DAY + timedelta(days=365))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # as autovacuum would leave the rollup table
            cursor.execute(f"VACUUM ANALYZE {SessionRollup._meta.db_table}")
    print(f"{account.slug} ({account.time_zone}), {FIRST_DAY} to {last}; load average {load_average()}")
    results = {
        "account": f"{account.slug} ({account.time_zone}), {FIRST_DAY} to {last}",
        "year_reads": year_reads(account, FIRST_DAY, last, args.repeat, cpu_seconds=cpu_seconds),
        "load_average": load_average(),
    }
    print(f"load average {results['load_average']}")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "rollup-reads.json").write_text(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
