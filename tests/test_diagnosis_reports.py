"""Calls that explain themselves, end to end on the server: the verdict stored when a call ends,
counted by the rollups, shown by the call detail (API and console) and the reports (API, CSV,
page); the backfill command, the sweep's repair, and the stats frame's new fields over the socket."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from calls import services
from calls.models import Call, CallEvent, Conversation
from calls.services.call_commands import ClientInfo
from reporting import queries
from reporting import services as rollups
from reporting.diagnosis import Verdict
from reporting.models import CallDiagnosis, SessionRollup
from reporting.tasks import rollup_sweep_task
from reporting.testing import plan_calls, write_calls
from tests.factories import UserFactory

CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"
REPORT = "/api/v1/reports/collaboration-sessions/"
RELAY_UDP = {"candidate_type": "relay", "remote_candidate_type": "relay", "relay_protocol": "udp"}
GOOD = {"rtt_ms": 38, "packet_loss_pct": 0, "bitrate_kbps": 1900, "frames_per_second": 30, **RELAY_UDP}


def run_call(agent, *, media="video", samples=(), hangup_reason="", ended=True, commit=None) -> Call:
    """A call through the state machine: invited, accepted, both sides connected, `samples` (party,
    stats) reported, then the consumer hangs up with `hangup_reason` (unless not `ended`)."""
    conversation = Conversation.objects.create(account=agent.account, agent=agent, state="open")
    call = services.call_invite(agent=agent, conversation_id=conversation.pk, media=media)
    client = ClientInfo(user_agent=CHROME, webrtc=True, camera=True, microphone=True)
    services.call_accept(conversation_id=conversation.pk, call_id=call.pk, client=client)
    services.call_connected(call_id=call.pk, party="agent", agent=agent)
    services.call_connected(call_id=call.pk, party="consumer", conversation_id=conversation.pk)
    for party, stats in samples:
        side = {"agent": agent} if party == "agent" else {"conversation_id": conversation.pk}
        services.call_stats_sample(call_id=call.pk, party=party, stats=stats, **side)
    if ended:
        services.call_hangup(call_id=call.pk, party="consumer", reason=hangup_reason, conversation_id=conversation.pk)
    return Call.objects.get(pk=call.pk)


def good_samples(count: int = 4) -> list[tuple[str, dict]]:
    return [(side, GOOD) for _ in range(count) for side in ("agent", "consumer")]


def hour_rows(account) -> dict:
    return SessionRollup.objects.filter(account=account, interval="hour").aggregate(
        **{f"verdict_{v}": Sum(f"verdict_{v}") for v in Verdict.values}, sessions=Sum("sessions")
    )


# --- stored at the end of the call, counted by the rollups ---------------------------------------------


@pytest.mark.django_db
def test_the_end_of_a_call_stores_its_verdict_and_its_buckets_count_it(
    account, agent, django_capture_on_commit_callbacks
):
    """
    GIVEN a video call relayed over UDP without loss, a call dropped by ICE, and a declined one
    WHEN each ends (the state machine's call_ended, after commit)
    THEN each has its diagnosis row (verdict, words, path, relay protocol, who ended it) and the
         hour and day rows count one call per verdict
    """
    with django_capture_on_commit_callbacks(execute=True):
        good = run_call(agent, samples=good_samples())
    stored = CallDiagnosis.objects.get(call=good)
    assert (stored.verdict, stored.path, stored.relay_protocol, stored.ended_by) == ("good", "relay", "udp", "consumer")
    assert stored.summary.startswith("good: relayed over UDP, no loss")

    lossy = [("consumer", {**GOOD, "packet_loss_pct": 15, "ice_restarts": 2}) for _ in range(4)]
    with django_capture_on_commit_callbacks(execute=True):
        dropped = run_call(agent, samples=lossy, hangup_reason="ice_failed")
    assert dropped.state == "dropped"
    assert CallDiagnosis.objects.get(call=dropped).summary.startswith(
        "dropped: the consumer's connection lost over 10% of packets"
    )
    with django_capture_on_commit_callbacks(execute=True):
        conversation = Conversation.objects.create(account=account, agent=agent, state="open")
        declined = services.call_invite(agent=agent, conversation_id=conversation.pk, media="voice")
    with django_capture_on_commit_callbacks(execute=True):
        services.call_reject(conversation_id=conversation.pk, call_id=declined.pk)
    assert CallDiagnosis.objects.get(call=declined).verdict == Verdict.NOT_CONNECTED

    counts = hour_rows(account)
    assert counts["sessions"] == 3
    assert (counts["verdict_good"], counts["verdict_dropped"], counts["verdict_not_connected"]) == (1, 1, 1)
    assert sum(counts[f"verdict_{v}"] for v in Verdict.values) == 3
    day = SessionRollup.objects.filter(account=account, interval="day").aggregate(good=Sum("verdict_good"))
    assert day["good"] == 1


@pytest.mark.django_db
def test_a_live_call_is_counted_in_no_verdict(account, agent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run_call(agent, samples=good_samples(1), ended=False)
    rollups.rollup_instant(account_id=account.pk, instant=timezone.now())
    assert CallDiagnosis.objects.count() == 0
    counts = hour_rows(account)
    assert counts["sessions"] == 1 and not any(counts[f"verdict_{v}"] for v in Verdict.values)


@pytest.mark.django_db
def test_the_sweep_diagnoses_an_ended_call_whose_end_it_missed(account, agent):
    """GIVEN a call that ended without its end-of-call receiver (no commit callbacks ran: a crash
    after commit) WHEN the beat's sweep runs THEN it diagnoses the call and its buckets count it."""
    call = run_call(agent, samples=good_samples())
    assert not CallDiagnosis.objects.filter(call=call).exists()
    rollup_sweep_task(window_s=600)
    assert CallDiagnosis.objects.get(call=call).verdict == Verdict.GOOD
    assert hour_rows(account)["verdict_good"] == 1


# --- the call detail -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_call_detail_api_explains_the_call_and_is_account_scoped(
    account, agent, other_account, admin_client, login, support, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call = run_call(agent, samples=good_samples())
    # A stray field (an address) in an event never reaches the answer.
    CallEvent.objects.create(call=call, kind="stats", actor="agent", data={**GOOD, "address": "192.0.2.77"})
    url = reverse("api-report-call", args=[call.pk])
    body = admin_client.get(url).json()
    diagnosis = body["diagnosis"]
    assert diagnosis["verdict"] == "good" and diagnosis["verdict_label"] == "Good" and diagnosis["stored"]
    assert diagnosis["summary"].startswith("good: relayed over UDP, no loss")
    assert diagnosis["path"] == "relay" and diagnosis["relay_protocol"] == "udp"
    assert diagnosis["sides"]["consumer"] == {"local": "relay", "remote": "relay", "relay_protocol": "udp"}
    assert diagnosis["ice_restarts"] == 0
    assert diagnosis["ended_by"] == "consumer" and diagnosis["ended_text"].startswith("The consumer hung up")
    assert body["samples"][0]["remote_candidate_type"] == "relay" and body["samples"][0]["relay_protocol"] == "udp"
    assert "192.0.2.77" not in admin_client.get(url).content.decode()

    stranger = UserFactory(account=other_account, email="boss@globex.example", role="admin")
    assert login(stranger).get(url).status_code == 404
    assert login(agent).get(url).status_code == 403  # agents read no reports, their own calls included
    as_support = login(support).get(url)
    assert as_support.status_code == 200 and as_support.json()["diagnosis"] == diagnosis


@pytest.mark.django_db
def test_a_live_call_detail_is_computed_not_stored(agent, admin_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call = run_call(agent, samples=good_samples(2), ended=False)
    diagnosis = admin_client.get(reverse("api-report-call", args=[call.pk])).json()["diagnosis"]
    assert diagnosis["verdict"] is None and diagnosis["verdict_label"] == "In progress" and not diagnosis["stored"]
    assert diagnosis["path"] == "relay" and diagnosis["ended_by"] is None
    assert not CallDiagnosis.objects.exists()


@pytest.mark.django_db
def test_console_call_detail_shows_the_diagnosis_and_an_inline_svg_chart(
    account, agent, admin_client, django_capture_on_commit_callbacks
):
    samples = [("consumer", {**GOOD, "packet_loss_pct": 8}) for _ in range(3)] + [("agent", GOOD)] * 3
    with django_capture_on_commit_callbacks(execute=True):
        call = run_call(agent, samples=samples)
    html = admin_client.get(reverse("reports:call", args=[call.pk])).content.decode()
    assert 'data-verdict="poor_connection"' in html
    assert "Poor connection: over 5% of the packets to the consumer were lost for 100% of the call" in html
    assert "Relayed: the agent&#x27;s and the consumer&#x27;s media through TURN over UDP" in html
    assert '<svg id="quality-chart"' in html and html.count('class="qc-line qc-consumer"') >= 3
    assert "chart-4.6.1" not in html and "reporting/reports.js" not in html  # no script draws it


# --- the reports: API rows and totals, CSV, page -------------------------------------------------------


@pytest.fixture
def history(account, agent, other_account):
    """Three days of generated calls (every outcome) for both accounts, rolled up without verdicts."""
    first = date(2025, 5, 5)
    for acc, seed in ((account, 1), (other_account, 2)):
        owner = agent if acc == account else UserFactory(account=acc, email="g@globex.example")
        write_calls(
            account=acc,
            calls=plan_calls(
                seed=seed, agent_ids=[owner.pk], zone_name=acc.time_zone, first_day=first, days=3, calls_per_day=40
            ),
        )
        rollups.rollup_days(accounts=[acc], first=first, last=first + timedelta(days=2))
    return first


def verdict_total(body: dict) -> int:
    return sum(body["totals"][f"verdict_{v}"] for v in Verdict.values)


@pytest.mark.django_db
def test_the_backfill_diagnoses_old_calls_and_the_reports_count_them(account, history, admin_client):
    """
    GIVEN three days of calls that ended before diagnoses existed (rolled up, no verdict)
    WHEN `diagnose_calls --since` runs for the account (and again)
    THEN every ended call has a verdict, the report's rows and totals count them (adding up to the
         ended sessions), the CSV has a column per verdict, and a rerun changes nothing
    """
    params = {"start": "2025-05-05", "end": "2025-05-07"}
    before = admin_client.get(REPORT, params).json()
    assert verdict_total(before) == 0
    call_command("diagnose_calls", since="2025-05-01", account=account.slug, stdout=io.StringIO())
    ended = Call.objects.filter(account=account).exclude(state__in=Call.LIVE_STATES)
    assert CallDiagnosis.objects.filter(call__account=account).count() == ended.count() > 50
    assert not CallDiagnosis.objects.exclude(call__account=account).exists()  # only the named account
    after = admin_client.get(REPORT, params).json()
    assert verdict_total(after) == after["totals"]["sessions"] - after["totals"]["in_progress"]
    assert after["totals"]["verdict_not_connected"] > 0 and after["totals"]["verdict_dropped"] > 0
    assert sum(sum(r[f"verdict_{v}"] for v in Verdict.values) for r in after["results"]) == verdict_total(after)
    by_verdict = {v: CallDiagnosis.objects.filter(call__account=account, verdict=v).count() for v in Verdict.values}
    assert {v: after["totals"][f"verdict_{v}"] for v in Verdict.values} == by_verdict

    rows = list(
        csv.reader(
            io.StringIO(b"".join(admin_client.get(REPORT, {**params, "format": "csv"}).streaming_content).decode())
        )
    )
    header = rows[0]
    assert [h for h in header if h.startswith("verdict_")] == [f"verdict_{v}" for v in Verdict.values]
    column = header.index("verdict_good")
    assert sum(int(r[column]) for r in rows[1:]) == after["totals"]["verdict_good"]

    stamps = dict(CallDiagnosis.objects.values_list("call_id", "summary"))
    call_command("diagnose_calls", since="2025-05-01", account=account.slug, all=True, stdout=io.StringIO())
    assert dict(CallDiagnosis.objects.values_list("call_id", "summary")) == stamps
    assert admin_client.get(REPORT, params).json()["totals"] == after["totals"]


@pytest.mark.django_db
def test_the_backfill_refuses_bad_arguments(history):
    with pytest.raises(CommandError, match="--since must be a date"):
        call_command("diagnose_calls", since="yesterday")
    with pytest.raises(CommandError, match="no account 'nope'"):
        call_command("diagnose_calls", since="2025-05-01", account="nope")
    assert not CallDiagnosis.objects.exists()


@pytest.mark.django_db
def test_the_reports_page_counts_calls_by_verdict(account, history, admin_client):
    call_command("diagnose_calls", since="2025-05-01", stdout=io.StringIO())
    response = admin_client.get("/console/reports/", {"start": "2025-05-05", "end": "2025-05-07"})
    html = response.content.decode()
    assert "How calls went" in html
    verdicts = {v["key"]: v["count"] for v in response.context["verdicts"]}
    period = queries.ReportRange(zone_name=account.time_zone, first=history, last=history + timedelta(days=2))
    totals = queries.report_totals(account=account, period=period)
    assert verdicts == {v: totals[f"verdict_{v}"] for v in Verdict.values} and sum(verdicts.values()) > 0
    assert '<div data-verdict="good">' in html
    assert 'class="badge badge-' in html and 'data-verdict="' in html.split("recent-table")[1]
