"""`rollup_metrics` (the backfill) and support's admin of the rollups."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.models import Account
from reporting.models import SessionRollup
from reporting.testing import plan_calls, write_calls
from tests.factories import UserFactory

from .test_reporting import expected_rows, stored_rows

NOW = datetime(2025, 5, 20, 12, tzinfo=UTC)


def seed(account, *, first=date(2025, 5, 1), days=10, seed=1):
    agent = UserFactory(account=account, email=f"agent-{account.slug}@example.com")
    write_calls(
        account=account,
        calls=plan_calls(
            seed=seed, agent_ids=[agent.pk], zone_name=account.time_zone, first_day=first, days=days, calls_per_day=12
        ),
    )


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        call_command("rollup_metrics", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_backfill_builds_every_bucket_of_every_account(account, other_account):
    """
    GIVEN two accounts (one in Los Angeles time) with ten days of calls and no rollups
    WHEN rollup_metrics --since the first day runs
    THEN both accounts' rows equal the independent computation, with a progress bar on stderr
    """
    Account.objects.filter(pk=other_account.pk).update(time_zone="America/Los_Angeles")
    other_account.refresh_from_db()
    seed(account)
    seed(other_account, seed=2)

    out, err = run("--since", "2025-04-30")

    assert stored_rows(account) == expected_rows(account)
    assert stored_rows(other_account) == expected_rows(other_account)
    assert "acme: 21 day(s) recomputed (UTC)" in out and "globex: 21 day(s) recomputed (America/Los_Angeles)" in out
    assert "Done: 2 account(s), 2025-04-30 to 2025-05-20" in out
    assert "100%" in err and "day" in err  # tqdm's bar


@pytest.mark.django_db
def test_backfill_of_one_account_and_rerun_is_identical(account, other_account):
    seed(account)
    seed(other_account, seed=2)
    run("--since", "2025-05-01", "--account", "acme", "--no-progress", "--chunk-days", "3")
    first = list(SessionRollup.objects.order_by("pk").values_list())
    assert not SessionRollup.objects.filter(account=other_account).exists()

    out, err = run("--since", "2025-05-01", "--account", "acme", "--no-progress")

    assert list(SessionRollup.objects.order_by("pk").values_list()) == first
    assert err == "" and "acme: 20 day(s)" in out


@pytest.mark.django_db
def test_until_limits_the_backfill(account):
    seed(account)
    run("--since", "2025-05-01", "--until", "2025-05-03", "--no-progress")
    days = SessionRollup.objects.filter(account=account, interval="day")
    assert {d.bucket_start.date() for d in days} == {date(2025, 5, 1), date(2025, 5, 2), date(2025, 5, 3)}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "last week"], "--since must be a date like 2025-01-31"),
        (["--since", "2025-05-01", "--until", "2025-02-30"], "--until must be a date"),
        (["--since", "2025-05-05", "--until", "2025-05-01"], "--until is before --since"),
        (["--since", "2025-05-01", "--account", "nope"], "There is no account 'nope'"),
        (["--since", "2025-05-01", "--chunk-days", "0"], "--chunk-days must be between 1 and 31"),
        (["--since", "2030-01-01", "--account", "acme"], "nothing to recompute"),
    ],
)
def test_bad_arguments_fail_with_a_message(account, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_a_bad_since_exits_non_zero_in_a_real_process():
    import subprocess
    import sys

    result = subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", "rollup_metrics", "--since", "someday"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0 and "--since must be a date" in result.stderr


@pytest.mark.django_db
def test_support_sees_rollups_read_only_and_can_recompute(support_client, account):
    seed(account, days=1)
    run("--since", "2025-05-01", "--no-progress")
    row = SessionRollup.objects.filter(account=account, interval="day").first()
    SessionRollup.objects.filter(pk=row.pk).update(sessions=0)  # a damaged row

    listing = support_client.get(reverse("admin:reporting_sessionrollup_changelist"))
    assert listing.status_code == 200 and "Acme Telecom" in listing.content.decode()
    assert support_client.get(reverse("admin:reporting_sessionrollup_add")).status_code == 403
    support_client.post(
        reverse("admin:reporting_sessionrollup_changelist"),
        {"action": "recompute", "_selected_action": [row.pk]},
    )
    row.refresh_from_db()
    assert row.sessions == expected_rows(account)[("day", row.bucket_start, row.media, row.agent_key)]["sessions"] > 0
