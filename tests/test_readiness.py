"""Readiness before accept (issue 18 item 1): the consumer's window reports what it found while the
invitation rang (`call.readiness`), the server keeps causes only, tells the agent, and the rollup
counts readiness problems by cause per bucket (API, CSV, reports page)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from calls import services
from calls.models import Call, CallEvent
from calls.readiness import CAUSES, Facts, readiness_causes
from reporting import services as reporting_services
from reporting.models import SessionRollup
from reporting.rollup_sql import READINESS_CLASSES

from .factories import UserFactory
from .test_calls_protocol import CHROME, IE, accept, online_agent_with_conversation, ring
from .test_reporting_api import URL as REPORT_URL

CASES = json.loads((Path(__file__).parents[1] / "static/tests/readiness_cases.json").read_text())["cases"]
OK_CLIENT = {"user_agent": CHROME, "webrtc": True, "camera": True, "microphone": True}
OK_NETWORK = {"stun": "reachable", "turn": "reachable"}


@pytest.fixture(autouse=True)
def _servers(settings):
    """The platform's STUN server and TURN REST relay (the account brings none of its own)."""
    settings.TURN_REST_URLS = ["turn:127.0.0.1:3478?transport=udp"]
    settings.TURN_REST_SECRET = "turn-rest-secret-for-tests"
    settings.ICE_SERVERS = [{"urls": "stun:127.0.0.1:3478"}]


def report(call_id: int, client: dict | None = None, network: dict | None = None, **extra) -> dict:
    return {
        "type": "call.readiness",
        "call_id": call_id,
        "client": {**OK_CLIENT, **(client or {})},
        "network": {**OK_NETWORK, **(network or {})},
        **extra,
    }


# --- the causes: one table for the server and the window -------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_causes_follow_the_shared_table(case):
    """The server's causes are the window's (static/tests/readiness.test.js runs the same table)."""
    assert readiness_causes(Facts(**case["facts"]), media=case["media"]) == case["causes"]


def test_every_cause_is_counted_by_some_rollup_column():
    counted = {cause for causes in READINESS_CLASSES.values() for cause in causes}
    assert counted == set(CAUSES)


# --- the socket frame ---------------------------------------------------------------------------------


def _events(call_id: int) -> list[dict]:
    return list(CallEvent.objects.filter(call_id=call_id, kind="readiness").values("actor", "data"))


def _readiness(call_id: int) -> tuple[str, datetime | None]:
    call = Call.objects.get(pk=call_id)
    return call.consumer_readiness, call.consumer_readiness_at


@pytest.mark.django_db(transaction=True)
async def test_the_ringing_consumer_gets_an_ice_configuration_to_check_with_short_lived_credentials(agent):
    """
    GIVEN an account with a STUN server and a TURN REST relay
    WHEN the agent invites
    THEN the consumer's ringing frame (and its hello on a reload) carries `ice_check`: the call's servers
         and policy, TURN credentials of their own (`call<id>-consumer-check`) that expire shortly after
         the invitation; the agent's frame carries no `ice_check` but its own `ice`; both sides prepare
         while ringing, so the consumer's frame carries its own call `ice` too (`call<id>-consumer`,
         not the check's, not the agent's), and so does its hello on a reload
    """
    from .test_calls_protocol import start_conversation_token
    from .ws import consumer_socket

    agent_ws, consumer_ws, conversation_id = await online_agent_with_conversation(agent)
    call_id = await ring(agent_ws, consumer_ws, conversation_id)
    ringing = await consumer_ws.until("call.state", state="ringing")
    check = ringing["ice_check"]
    assert check["iceTransportPolicy"] == "all"
    assert check["iceServers"][0] == {"urls": ["stun:127.0.0.1:3478"]}
    turn = check["iceServers"][1]
    expiry, who = turn["username"].split(":")
    assert who == f"call{call_id}-consumer-check"
    call = await sync_to_async(Call.objects.get)(pk=call_id)
    assert int(expiry) <= call.ring_deadline.timestamp() + 31
    [own_turn] = [s for s in ringing["ice"]["iceServers"] if "username" in s]
    assert own_turn["username"].endswith(f":call{call_id}-consumer")
    assert own_turn["username"] != turn["username"]
    agent_frame = [f for f in agent_ws.seen if f["type"] == "call.state"][-1]
    assert "ice_check" not in agent_frame
    [agent_turn] = [s for s in agent_frame["ice"]["iceServers"] if "username" in s]
    assert agent_turn["username"].endswith(f":call{call_id}-agent")

    token = await sync_to_async(start_conversation_token)(conversation_id)
    second, hello = await consumer_socket(token)
    assert hello["call_extras"]["ice_check"]["iceServers"][1]["username"].endswith(f"call{call_id}-consumer-check")
    [rejoin_turn] = [s for s in hello["call_extras"]["ice"]["iceServers"] if "username" in s]
    assert rejoin_turn["username"].endswith(f":call{call_id}-consumer")
    await second.close()
    await agent_ws.close()
    await consumer_ws.close()


@pytest.mark.django_db(transaction=True)
async def test_a_report_is_stored_as_causes_and_the_agent_is_told(agent):
    """
    GIVEN a ringing video invitation
    WHEN the consumer's window reports no camera and a network whose STUN server did not answer
    THEN the answer carries the causes the server found; one `readiness` event holds facts and causes
         (the browser as "Chrome 156", never the user agent string or any address); the call keeps the
         causes; the agent gets `call.readiness` at once, and its frames and hello carry them later
    """
    agent_ws, consumer_ws, conversation_id = await online_agent_with_conversation(agent)
    call_id = await ring(agent_ws, consumer_ws, conversation_id)
    answer = await consumer_ws.request(report(call_id, {"camera": False}, {"stun": "unreachable"}))
    assert answer == {"type": "ok", "re": "r1", "call_id": call_id, "causes": ["no_camera", "direct_blocked"]}

    told = await agent_ws.until("call.readiness")
    assert told == {
        "type": "call.readiness",
        "call_id": call_id,
        "readiness": {"causes": ["no_camera", "direct_blocked"]},
    }
    events = await sync_to_async(_events)(call_id)
    assert events == [
        {
            "actor": "consumer",
            "data": {
                "causes": ["no_camera", "direct_blocked"],
                "browser": "Chrome 156",
                "webrtc": True,
                "camera": False,
                "microphone": True,
                "stun": "unreachable",
                "turn": "reachable",
            },
        }
    ]
    causes, at = await sync_to_async(_readiness)(call_id)
    assert causes == "no_camera,direct_blocked" and at is not None
    assert await consumer_ws.nothing()  # the consumer is not told its own report back

    # A later report (a camera plugged in) replaces the causes; the agent hears again.
    again = await consumer_ws.request(report(call_id, network={"stun": "unreachable"}), "r2")
    assert again["causes"] == ["direct_blocked"]
    assert (await agent_ws.until("call.readiness"))["readiness"] == {"causes": ["direct_blocked"]}
    assert (await sync_to_async(_readiness)(call_id))[0] == "direct_blocked"

    # The agent's next frames, and its hello after a reload, carry what the consumer's check said.
    await accept(consumer_ws, call_id)
    connecting = await agent_ws.until("call.state", state="connecting")
    assert connecting["readiness"] == {"causes": ["direct_blocked"]}
    from .ws import agent_socket

    reloaded, hello = await agent_socket(agent)
    assert hello["call_extras"]["readiness"] == {"causes": ["direct_blocked"]}
    consumer_frames = [f for f in consumer_ws.seen if f["type"] == "call.state"]
    assert all("readiness" not in f for f in consumer_frames)
    for ws in (reloaded, agent_ws, consumer_ws):
        await ws.close()


@pytest.mark.django_db(transaction=True)
async def test_a_ready_device_and_an_unsupported_browser_are_judged_by_the_server(agent):
    agent_ws, consumer_ws, conversation_id = await online_agent_with_conversation(agent)
    call_id = await ring(agent_ws, consumer_ws, conversation_id, media="voice")
    ready = await consumer_ws.request(report(call_id, {"camera": False}, {"stun": "not_configured"}))
    assert ready["causes"] == []  # no camera is no problem for a voice call
    assert await sync_to_async(_readiness)(call_id) != ("", None)
    assert (await agent_ws.until("call.readiness"))["readiness"] == {"causes": []}
    old = await consumer_ws.request(report(call_id, {"user_agent": IE}), "r2")
    assert old["causes"] == ["unsupported_browser"]
    await agent_ws.close()
    await consumer_ws.close()


REFUSED_SCHEMA = [
    ("unknown field", {"extra": 1}),
    ("a list as the network", {"network": ["reachable"]}),
    ("missing network", {"network": None}),
    ("a value outside the set", {"network": {"stun": "refused", "turn": "reachable"}}),
    ("a string for a boolean", {"client": {**OK_CLIENT, "camera": "no"}}),
    ("an unknown client field", {"client": {**OK_CLIENT, "labels": ["FaceTime HD"]}}),
    ("an unknown network field", {"network": {**OK_NETWORK, "candidates": ["192.0.2.1"]}}),
    ("a NUL in the user agent", {"client": {**OK_CLIENT, "user_agent": "Chrome\x00"}}),
    ("a string id", {"call_id": "7"}),
    ("a bad key", {"key": "no spaces allowed"}),
]


@pytest.mark.django_db(transaction=True)
async def test_bad_reports_are_refused_with_an_error_frame_and_write_nothing(agent, other_account):
    """
    GIVEN a ringing invitation
    WHEN the consumer sends malformed reports, reports about another conversation's call or an unknown
         call, or the agent sends one
    THEN each gets an `error` frame with the protocol's code (bad_request, not_found, unknown_type), no
         event is written, the call's readiness stays unset and the agent hears nothing
    """
    agent_ws, consumer_ws, conversation_id = await online_agent_with_conversation(agent)
    call_id = await ring(agent_ws, consumer_ws, conversation_id)
    for n, (_, change) in enumerate(REFUSED_SCHEMA):
        frame = report(call_id)
        for key, value in change.items():
            if value is None:
                del frame[key]
            else:
                frame[key] = value
        answer = await consumer_ws.request(frame, f"b{n}")
        assert (answer["type"], answer["code"]) == ("error", "bad_request"), (change, answer)

    assert (await consumer_ws.request(report(call_id + 1000), "nf"))["code"] == "not_found"
    wrong_role = await agent_ws.request(report(call_id), "role")
    assert (wrong_role["code"], wrong_role["message"]) == ("unknown_type", "Unknown frame type for a agent socket.")

    # Another conversation's ringing call is not this consumer's to report on.
    other_agent = await sync_to_async(UserFactory)(account=agent.account, email="second@acme.example")
    other_agent_ws, other_consumer_ws, other_conversation = await online_agent_with_conversation(other_agent)
    other_call = await ring(other_agent_ws, other_consumer_ws, other_conversation)
    assert (await consumer_ws.request(report(other_call), "x"))["code"] == "not_found"

    assert await sync_to_async(_events)(call_id) == [] and await sync_to_async(_events)(other_call) == []
    assert await sync_to_async(_readiness)(call_id) == ("", None)
    assert not [f for f in agent_ws.seen + other_agent_ws.seen if f["type"] == "call.readiness"]
    for ws in (agent_ws, consumer_ws, other_agent_ws, other_consumer_ws):
        await ws.close()


@pytest.mark.django_db(transaction=True)
async def test_reports_only_while_ringing_a_bounded_number_and_resends_apply_once(agent):
    """
    GIVEN a ringing invitation
    WHEN a report is resent with the same key, more than ten are sent, and one comes after the accept
    THEN the resend gets the first answer and writes nothing; the eleventh is refused `invalid_state`;
         after the accept a report is refused `invalid_state`; nothing of the refused ones is written
    """
    agent_ws, consumer_ws, conversation_id = await online_agent_with_conversation(agent)
    call_id = await ring(agent_ws, consumer_ws, conversation_id)
    first = await consumer_ws.request(report(call_id, key="k-1"), "a")
    resent = await consumer_ws.request(report(call_id, key="k-1"), "b")
    assert {k: v for k, v in resent.items() if k != "re"} == {k: v for k, v in first.items() if k != "re"}
    assert len(await sync_to_async(_events)(call_id)) == 1
    for n in range(services.MAX_READINESS_REPORTS - 1):
        assert (await consumer_ws.request(report(call_id), f"n{n}"))["type"] == "ok"
    capped = await consumer_ws.request(report(call_id, {"camera": False}), "cap")
    assert capped["code"] == "invalid_state"
    assert len(await sync_to_async(_events)(call_id)) == services.MAX_READINESS_REPORTS
    assert (await sync_to_async(_readiness)(call_id))[0] == ""  # the refused one changed nothing

    await accept(consumer_ws, call_id)
    await consumer_ws.until("call.state", state="connecting")
    late = await consumer_ws.request(report(call_id), "late")
    assert late["code"] == "invalid_state"
    await agent_ws.close()
    await consumer_ws.close()


@pytest.mark.django_db(transaction=True)
async def test_a_report_that_meets_an_overdue_invitation_ends_it_as_missed(agent):
    agent_ws, consumer_ws, conversation_id = await online_agent_with_conversation(agent)
    call_id = await ring(agent_ws, consumer_ws, conversation_id)
    await sync_to_async(Call.objects.filter(pk=call_id).update)(ring_deadline=timezone.now() - timedelta(seconds=1))
    answer = await consumer_ws.request(report(call_id))
    assert answer["code"] == "expired"
    ended = await consumer_ws.until("call.state", state="expired")
    assert ended["call"]["reason"] == "no_answer"
    assert await sync_to_async(_events)(call_id) == []
    await agent_ws.close()
    await consumer_ws.close()


# --- the rollup, the API, the CSV and the page ----------------------------------------------------------


def _open_conversation(account, agent) -> int:
    """An open web messaging conversation assigned to `agent` (no socket needed)."""
    from calls.models import Conversation

    conversation = services.conversation_create(account=account, channel="web_messaging", consumer_name="Casey")
    Conversation.objects.filter(pk=conversation.pk).update(agent=agent, state="open")
    return conversation.pk


def _invite_with_report(agent, conversation_id: int, media: str, causes: list[str] | None, at: datetime) -> Call:
    """A call as the services leave it, invited at `at`, with the consumer's report (None: no report)."""
    call = services.call_invite(agent=agent, conversation_id=conversation_id, media=media)
    Call.objects.filter(pk=call.pk).update(
        created_at=at,
        consumer_readiness="" if causes is None else ",".join(causes),
        consumer_readiness_at=None if causes is None else at + timedelta(seconds=2),
    )
    services.call_hangup(call_id=call.pk, party="agent", agent=agent)
    return call


@pytest.mark.django_db
def test_the_rollup_counts_readiness_problems_by_cause_per_bucket(account, agent, admin_client):
    """
    GIVEN invitations of one day: reported ready, reported with each kind of problem (one with two),
         and one never reported, spread over two hours and both media
    WHEN the day is rolled up
    THEN each hour row counts the checked invitations, those with problems, and each cause (an
         unsupported browser and no WebRTC in one column); the day adds its hours; the API's rows and
         totals, the CSV and the reports page show the same numbers
    """
    day = datetime(2026, 3, 2, tzinfo=UTC)
    plan = [
        ("video", [], 9),
        ("video", ["no_camera", "direct_blocked"], 9),
        ("video", ["network_blocked"], 9),
        ("voice", ["no_microphone"], 9),
        ("voice", ["unsupported_browser"], 10),
        ("voice", ["no_webrtc", "no_microphone"], 10),
        ("video", ["relay_unavailable"], 10),
        ("video", None, 10),
    ]
    for media, causes, hour in plan:
        _invite_with_report(
            agent, _open_conversation(account, agent), media, causes, day + timedelta(hours=hour, minutes=5)
        )
    reporting_services.rollup_days(accounts=[account], first=day.date(), last=day.date())

    def hour_rows(hour: int) -> dict[str, dict]:
        start = day + timedelta(hours=hour)
        rows = SessionRollup.objects.filter(account=account, interval="hour", bucket_start=start)
        return {r.media: r for r in rows}

    nine, ten = hour_rows(9), hour_rows(10)
    video9 = nine["video"]
    assert (video9.readiness_checked, video9.readiness_problems) == (3, 2)
    assert (video9.readiness_no_camera, video9.readiness_direct_blocked, video9.readiness_network_blocked) == (1, 1, 1)
    assert nine["voice"].readiness_no_microphone == 1
    assert (ten["voice"].readiness_checked, ten["voice"].readiness_unsupported_browser) == (2, 2)
    assert ten["voice"].readiness_no_microphone == 1
    assert (ten["video"].readiness_checked, ten["video"].readiness_relay_unavailable) == (1, 1)
    assert ten["video"].sessions == 2  # the unreported invitation counts as a session, not as checked

    days = {r.media: r for r in SessionRollup.objects.filter(account=account, interval="day")}
    assert days["video"].readiness_checked == 4 and days["voice"].readiness_no_microphone == 2

    query = {"start": "2026-03-02", "end": "2026-03-02"}
    body = admin_client.get(REPORT_URL, query).json()
    totals = body["totals"]
    assert (totals["readiness_checked"], totals["readiness_problems"]) == (7, 6)
    assert {k: totals[k] for k in READINESS_CLASSES} == {
        "readiness_unsupported_browser": 2,
        "readiness_no_microphone": 2,
        "readiness_no_camera": 1,
        "readiness_network_blocked": 1,
        "readiness_direct_blocked": 1,
        "readiness_relay_unavailable": 1,
    }
    video_row = next(r for r in body["results"] if r["media"] == "video")
    assert (video_row["readiness_checked"], video_row["readiness_no_camera"]) == (4, 1)

    csv_body = b"".join(admin_client.get(REPORT_URL, {**query, "format": "csv"}).streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(csv_body)))
    assert sum(int(r["readiness_problems"]) for r in rows) == 6
    assert sum(int(r["readiness_network_blocked"]) for r in rows) == 1

    page = admin_client.get("/console/reports/", query).content.decode()
    assert "Before answering: readiness" in page
    assert "6 of 7 checked invitations had a problem" in page
    assert 'data-cause="readiness_no_microphone"' in page


@pytest.mark.django_db
def test_the_call_detail_shows_the_report_without_anything_else(account, agent, admin_client):
    """The API's call detail gives the latest causes and each report's facts; the console page shows them."""
    conversation_id = _open_conversation(account, agent)
    call = services.call_invite(agent=agent, conversation_id=conversation_id, media="video")
    services.call_readiness_report(
        conversation_id=conversation_id,
        call_id=call.pk,
        client=services.ClientInfo(user_agent=CHROME, webrtc=True, camera=False, microphone=True),
        stun="unreachable",
        turn="reachable",
    )
    detail = admin_client.get(f"/api/v1/reports/calls/{call.pk}/").json()
    assert detail["call"]["consumer_readiness"] == ["no_camera", "direct_blocked"]
    event = next(e for e in detail["events"] if e["kind"] == "readiness")
    assert event["data"] == {
        "causes": ["no_camera", "direct_blocked"],
        "browser": "Chrome 156",
        "webrtc": True,
        "camera": False,
        "microphone": True,
        "stun": "unreachable",
        "turn": "reachable",
    }
    page = admin_client.get(f"/console/reports/calls/{call.pk}/").content.decode()
    assert "No camera (audio only), Direct calls blocked (relayed)" in page
    assert 'data-cause="direct_blocked">Direct calls blocked (relayed)</span>' in page

    colleague = UserFactory(account=account, email="colleague@acme.example")
    unreported = services.call_invite(
        agent=colleague, conversation_id=_open_conversation(account, colleague), media="voice"
    )
    assert admin_client.get(f"/api/v1/reports/calls/{unreported.pk}/").json()["call"]["consumer_readiness"] is None
