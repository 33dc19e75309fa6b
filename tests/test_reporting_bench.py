"""bench/rollup.py runs end to end at a tiny size (SQLite; PostgreSQL too when the suite runs on it),
so it does not rot. No timing is asserted; the bench itself checks that the task and the bare SQL
leave identical rows and that a rerun changes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from tests.conftest import require_service

ROOT = Path(__file__).resolve().parent.parent


def run_bench(database: str, out: Path, *extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}}
    return subprocess.run(  # noqa: S603 - our own script
        [sys.executable, "bench/rollup.py", "--events", "2500", "--new-events", "300", "--repeat", "1",
         "--days", "3", "--database", database, "--out", str(out), *extra],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


def test_rollup_bench_tiny_on_sqlite(tmp_path):
    result = run_bench(f"sqlite:///{tmp_path / 'bench.sqlite3'}", tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    numbers = json.loads((tmp_path / "rollup.json").read_text())
    assert numbers["events"] >= 2500 and numbers["rows"] > 0 and numbers["new_events"] > 0
    assert "task (rollup_metrics" in result.stdout and "incremental:" in result.stdout

    # The year read alone, on the data the run left (how it is re-measured on a quiet machine).
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}}
    reads = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, "bench/rollup_reads.py", "--database", f"sqlite:///{tmp_path / 'bench.sqlite3'}",
         "--out", str(tmp_path)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert reads.returncode == 0, reads.stderr[-3000:]
    timed = json.loads((tmp_path / "rollup-reads.json").read_text())["year_reads"]
    assert set(timed) == set(numbers["year_reads"]) and "year read month by agent (json)" in reads.stdout


@pytest.mark.django_db
def test_rollup_bench_tiny_on_postgres(tmp_path):
    require_service("PostgreSQL", connection.vendor == "postgresql", "the bare-SQL comparison needs DATABASE_URL")
    settings = connection.settings_dict
    url = f"postgres://{settings['USER'] or 'postgres'}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/vvc_bench_smoke"
    result = run_bench(url, tmp_path, "--drop")
    assert result.returncode == 0, result.stderr[-3000:]
    numbers = json.loads((tmp_path / "rollup.json").read_text())
    assert numbers["bare_s"] > 0 and numbers["ratio"] > 0
    assert "identical rows: yes" in result.stdout
