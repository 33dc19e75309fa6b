"""The year read of bench/rollup.py: the reports API over a year of the bench's data, timed.

Each read goes through the whole Django and DRF stack (the test client, as the account's admin),
as an Analytics Builder pull would; the wall time is the median of `repeat` reads after a warm-up,
the CPU time that of this process and its PostgreSQL backend.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import date

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
