"""Screen sharing over the real ASGI application (issue 16 item 5): `call.share` (both sides),
`call.share.request` (agent) and `call.share.decline` (consumer). Permitted, refused by the profile,
by the kill switch, with a bad schema, from the wrong role and without a live call; every refusal
writes nothing; events and the call's share fields hold what happened; settings reach open sockets."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from calls.models import Call, CallEvent
from settings_profiles.models import AccountCallSettings, Profile
from settings_profiles.services import call_settings_update

from .factories import ProfileFactory, UserFactory
from .test_calls_protocol import _turn, accept, online_agent_with_conversation, ring  # noqa: F401
from .ws import agent_socket

pytestmark = pytest.mark.django_db(transaction=True)


async def live_call(agent, media="video"):
    """An agent and a consumer in a connected call; returns (agent_ws, consumer_ws, call_id)."""
    agent_ws, consumer_ws, conversation_id = await online_agent_with_conversation(agent)
    call_id = await ring(agent_ws, consumer_ws, conversation_id, media=media)
    await accept(consumer_ws, call_id)
    await agent_ws.until("call.state", state="connecting")
    await consumer_ws.until("call.state", state="connecting")
    return agent_ws, consumer_ws, call_id


def share_events(call_id: int) -> list[tuple[str, dict]]:
    return [(e.actor, e.data) for e in CallEvent.objects.filter(call_id=call_id, kind="share").order_by("id")]


def share_fields(call_id: int) -> tuple[bool, bool, bool, bool]:
    call = Call.objects.get(pk=call_id)
    return call.agent_sharing, call.consumer_sharing, call.share_requested, call.screen_shared


def set_settings(account_id: int, **values) -> None:
    AccountCallSettings.objects.filter(account_id=account_id).update(**values)


async def test_agent_shares_and_stops_the_consumer_sees_both(agent):
    """
    GIVEN a connected video call
    WHEN the agent starts sharing (the browser picked a whole screen), then stops
    THEN each is `ok`, the consumer gets `call.share` from the agent with the agent's name, the call
         records who shares and that a screen was shared, and two share events hold start and stop
    """
    agent_ws, consumer_ws, call_id = await live_call(agent)

    answer = await agent_ws.request({"type": "call.share", "call_id": call_id, "sharing": True, "surface": "monitor"})
    assert answer == {"type": "ok", "re": "r1"}
    relayed = await consumer_ws.until("call.share")
    assert relayed == {
        "type": "call.share",
        "call_id": call_id,
        "from": "agent",
        "sharing": True,
        "surface": "monitor",
        "agent_name": agent.display_name,
    }
    assert await sync_to_async(share_fields)(call_id) == (True, False, False, True)

    assert (await agent_ws.request({"type": "call.share", "call_id": call_id, "sharing": False}, "r2"))["type"] == "ok"
    assert (await consumer_ws.until("call.share"))["sharing"] is False
    assert await sync_to_async(share_fields)(call_id) == (False, False, False, True)
    assert await sync_to_async(share_events)(call_id) == [
        ("agent", {"action": "start", "surface": "monitor"}),
        ("agent", {"action": "stop"}),
    ]
    for ws in (agent_ws, consumer_ws):
        await ws.close()


async def test_consumer_shares_only_when_asked_and_the_agent_sees_it(agent):
    """
    GIVEN a connected video call
    WHEN the consumer tries to share unasked, then the agent asks and the consumer shares
    THEN the unasked share is `forbidden` and writes nothing; the request reaches the consumer (with
         the agent's name), the consumer's share is `ok`, answers the request, and the agent gets it;
         the consumer stops, and a second share needs a new request
    """
    agent_ws, consumer_ws, call_id = await live_call(agent)

    unasked = await consumer_ws.request({"type": "call.share", "call_id": call_id, "sharing": True})
    assert unasked["code"] == "forbidden"
    assert await sync_to_async(share_events)(call_id) == []

    assert (await agent_ws.request({"type": "call.share.request", "call_id": call_id}))["type"] == "ok"
    request = await consumer_ws.until("call.share.request")
    assert request == {
        "type": "call.share.request",
        "call_id": call_id,
        "from": "agent",
        "agent_name": agent.display_name,
    }
    assert await sync_to_async(share_fields)(call_id) == (False, False, True, False)

    shared = await consumer_ws.request(
        {"type": "call.share", "call_id": call_id, "sharing": True, "surface": "window"}, "s1"
    )
    assert shared["type"] == "ok"
    seen = await agent_ws.until("call.share")
    assert (seen["from"], seen["sharing"], seen["surface"]) == ("consumer", True, "window")
    assert "agent_name" not in seen
    assert await sync_to_async(share_fields)(call_id) == (False, True, False, True)

    assert (await consumer_ws.request({"type": "call.share", "call_id": call_id, "sharing": False}, "s2"))[
        "type"
    ] == "ok"
    assert (await agent_ws.until("call.share"))["sharing"] is False
    again = await consumer_ws.request({"type": "call.share", "call_id": call_id, "sharing": True}, "s3")
    assert again["code"] == "forbidden", "one request, one share"
    assert [data["action"] for _, data in await sync_to_async(share_events)(call_id)] == ["request", "start", "stop"]
    for ws in (agent_ws, consumer_ws):
        await ws.close()


async def test_consumer_declines_and_the_agent_sees_the_refusal(agent):
    """
    GIVEN the agent asked the consumer to share
    WHEN the consumer answers "Not now", and a phone answers a second request as unsupported
    THEN the agent gets `call.share.decline` with the reason each time, the request is cleared,
         nobody shared; a decline without a request is `invalid_state`
    """
    agent_ws, consumer_ws, call_id = await live_call(agent)
    await agent_ws.request({"type": "call.share.request", "call_id": call_id})
    await consumer_ws.until("call.share.request")

    assert (await consumer_ws.request({"type": "call.share.decline", "call_id": call_id}))["type"] == "ok"
    declined = await agent_ws.until("call.share.decline")
    assert declined == {"type": "call.share.decline", "call_id": call_id, "from": "consumer", "reason": "declined"}
    assert await sync_to_async(share_fields)(call_id) == (False, False, False, False)

    await agent_ws.request({"type": "call.share.request", "call_id": call_id}, "r2")
    phone = await consumer_ws.request({"type": "call.share.decline", "call_id": call_id, "reason": "unsupported"}, "d2")
    assert phone["type"] == "ok"
    assert (await agent_ws.until("call.share.decline"))["reason"] == "unsupported"

    late = await consumer_ws.request({"type": "call.share.decline", "call_id": call_id}, "d3")
    assert late["code"] == "invalid_state"
    assert [data for _, data in await sync_to_async(share_events)(call_id)] == [
        {"action": "request"},
        {"action": "decline", "reason": "declined"},
        {"action": "request"},
        {"action": "decline", "reason": "unsupported"},
    ]
    for ws in (agent_ws, consumer_ws):
        await ws.close()


async def test_a_profile_without_the_grant_refuses_every_share_start_but_not_a_stop(agent):
    """
    GIVEN a connected video call whose agent shares, and the agent's profile then loses "Share screen in calls"
    WHEN the agent starts sharing again, asks the consumer, or the consumer shares on an older request
    THEN each is `forbidden` naming the permission, writes nothing and relays nothing; stopping works
    """
    agent_ws, consumer_ws, call_id = await live_call(agent)
    await agent_ws.request({"type": "call.share.request", "call_id": call_id})
    await consumer_ws.until("call.share.request")
    await agent_ws.request({"type": "call.share", "call_id": call_id, "sharing": True}, "a1")
    await consumer_ws.until("call.share")
    no_share = await sync_to_async(ProfileFactory)(account=agent.account, can_share_screen=False)
    await sync_to_async(agent.profiles.set)([no_share])

    assert (await agent_ws.request({"type": "call.share", "call_id": call_id, "sharing": False}, "a2"))["type"] == "ok"
    await consumer_ws.until("call.share")
    before = await sync_to_async(share_events)(call_id)
    for ws, frame in (
        (agent_ws, {"type": "call.share", "call_id": call_id, "sharing": True}),
        (agent_ws, {"type": "call.share.request", "call_id": call_id}),
        (consumer_ws, {"type": "call.share", "call_id": call_id, "sharing": True}),
    ):
        refused = await ws.request(frame, "x")
        assert refused["code"] == "forbidden", frame
        assert "Share screen in calls" in refused["message"]
    assert await sync_to_async(share_events)(call_id) == before
    assert await sync_to_async(share_fields)(call_id) == (False, False, True, True)
    assert await consumer_ws.nothing() and await agent_ws.nothing()
    for ws in (agent_ws, consumer_ws):
        await ws.close()


async def test_the_kill_switch_refuses_share_starts_with_media_disabled(agent):
    """
    GIVEN a connected video call and support switched screen sharing off for the account
    WHEN the agent shares or asks, or the consumer shares on a request made before
    THEN each is `media_disabled`, nothing is written or relayed; the consumer may still decline
    """
    agent_ws, consumer_ws, call_id = await live_call(agent)
    await agent_ws.request({"type": "call.share.request", "call_id": call_id})
    await consumer_ws.until("call.share.request")
    await sync_to_async(set_settings)(agent.account_id, screen_share_enabled=False)

    for ws, frame in (
        (agent_ws, {"type": "call.share", "call_id": call_id, "sharing": True}),
        (agent_ws, {"type": "call.share.request", "call_id": call_id}),
        (consumer_ws, {"type": "call.share", "call_id": call_id, "sharing": True}),
    ):
        assert (await ws.request(frame, "k"))["code"] == "media_disabled", frame
    assert [d["action"] for _, d in await sync_to_async(share_events)(call_id)] == ["request"]
    assert await sync_to_async(share_fields)(call_id) == (False, False, True, False)
    assert await agent_ws.nothing()
    assert (await consumer_ws.request({"type": "call.share.decline", "call_id": call_id}, "d"))["type"] == "ok"
    for ws in (agent_ws, consumer_ws):
        await ws.close()


async def test_bad_schemas_and_the_wrong_role_are_refused(agent):
    """Strict schemas as for every frame: wrong types, unknown fields, unknown surfaces or reasons
    are `bad_request`; the agent cannot decline and the consumer cannot ask (`unknown_type`)."""
    agent_ws, consumer_ws, call_id = await live_call(agent)
    bad = [
        {"type": "call.share", "call_id": call_id},
        {"type": "call.share", "call_id": call_id, "sharing": "yes"},
        {"type": "call.share", "call_id": call_id, "sharing": 1},
        {"type": "call.share", "call_id": str(call_id), "sharing": True},
        {"type": "call.share", "call_id": call_id, "sharing": True, "surface": "application"},
        {"type": "call.share", "call_id": call_id, "sharing": True, "extra": 1},
        {"type": "call.share.request", "call_id": call_id, "media": "screen"},
        {"type": "call.share.request"},
    ]
    for n, frame in enumerate(bad):
        assert (await agent_ws.request(frame, f"b{n}"))["code"] == "bad_request", frame
    for n, frame in enumerate(
        [
            {"type": "call.share.decline", "call_id": call_id, "reason": "busy"},
            {"type": "call.share.decline", "call_id": call_id, "reason": None},
            {"type": "call.share.decline", "call_id": call_id, "note": "no"},
        ]
    ):
        assert (await consumer_ws.request(frame, f"c{n}"))["code"] == "bad_request", frame
    assert (await agent_ws.request({"type": "call.share.decline", "call_id": call_id}, "w1"))["code"] == "unknown_type"
    assert (await consumer_ws.request({"type": "call.share.request", "call_id": call_id}, "w2"))[
        "code"
    ] == "unknown_type"
    # A colleague of the same account has no part in the call: it does not exist for them.
    colleague = await sync_to_async(UserFactory)(account=agent.account)
    colleague_ws, _ = await agent_socket(colleague)
    for n, frame in enumerate(
        [
            {"type": "call.share", "call_id": call_id, "sharing": True},
            {"type": "call.share.request", "call_id": call_id},
        ]
    ):
        assert (await colleague_ws.request(frame, f"o{n}"))["code"] == "not_found"
    await colleague_ws.close()
    assert await sync_to_async(share_events)(call_id) == []
    assert await sync_to_async(share_fields)(call_id) == (False, False, False, False)
    for ws in (agent_ws, consumer_ws):
        await ws.close()


async def test_no_live_video_call_no_share(agent):
    """
    GIVEN a ringing call, a voice call, an ended call, and a call that does not exist
    WHEN either side sends share frames for them
    THEN ringing and voice are `invalid_state`, the ended and the unknown call `not_found`; nothing is written
    """
    agent_ws, consumer_ws, conversation_id = await online_agent_with_conversation(agent)
    ringing = await ring(agent_ws, consumer_ws, conversation_id)
    assert (await agent_ws.request({"type": "call.share", "call_id": ringing, "sharing": True}))[
        "code"
    ] == "invalid_state"
    assert (await agent_ws.request({"type": "call.share.request", "call_id": ringing}, "r2"))["code"] == "invalid_state"
    await agent_ws.request({"type": "call.hangup", "call_id": ringing}, "h")
    await consumer_ws.until("call.state", state="cancelled")

    voice = await ring(agent_ws, consumer_ws, conversation_id, media="voice")
    await accept(consumer_ws, voice)
    await consumer_ws.until("call.state", state="connecting")
    await agent_ws.until("call.state", state="connecting")
    refused = await agent_ws.request({"type": "call.share", "call_id": voice, "sharing": True}, "v1")
    assert refused["code"] == "invalid_state" and "video" in refused["message"]
    assert (await agent_ws.request({"type": "call.share.request", "call_id": voice}, "v2"))["code"] == "invalid_state"
    assert (await consumer_ws.request({"type": "call.share.decline", "call_id": voice}, "v3"))[
        "code"
    ] == "invalid_state"
    await agent_ws.request({"type": "call.hangup", "call_id": voice}, "h2")
    await consumer_ws.until("call.state", state="cancelled")
    # An ended call is no longer one of this side's calls (as for call.media).
    ended = await consumer_ws.request({"type": "call.share", "call_id": voice, "sharing": False}, "e1")
    assert ended["code"] == "not_found"

    assert (await agent_ws.request({"type": "call.share", "call_id": 999999, "sharing": True}, "f2"))[
        "code"
    ] == "not_found"
    assert await sync_to_async(CallEvent.objects.filter(kind="share").count)() == 0
    for ws in (agent_ws, consumer_ws):
        await ws.close()


async def test_the_end_of_the_call_ends_its_share(agent):
    """A call that ends while the agent shares and a request waits keeps `screen_shared` for the
    reports, and no longer says anyone shares (its `call.state` ended frame says so too)."""
    agent_ws, consumer_ws, call_id = await live_call(agent)
    await agent_ws.request({"type": "call.share", "call_id": call_id, "sharing": True})
    await agent_ws.request({"type": "call.share.request", "call_id": call_id}, "r2")
    await agent_ws.request({"type": "call.hangup", "call_id": call_id}, "h")
    ended = await consumer_ws.until("call.state", state="cancelled")
    assert (ended["call"]["agent_sharing"], ended["call"]["share_requested"]) == (False, False)
    assert await sync_to_async(share_fields)(call_id) == (False, False, False, True)
    for ws in (agent_ws, consumer_ws):
        await ws.close()


def _support_sets(account_id: int, **data) -> None:
    call_settings = AccountCallSettings.objects.get(account_id=account_id)
    call_settings_update(call_settings=call_settings, data=data, changed_by=None, source="admin")


async def test_settings_push_the_share_permission_to_open_sockets(agent):
    """
    GIVEN open agent and consumer sockets
    WHEN support switches screen sharing off, and later a profile loses the grant
    THEN the agent's `settings` frame has permissions.share false with the reason, the consumer's has
         share_enabled false; the hello of a new socket says the same
    """
    agent_ws, consumer_ws, _ = await online_agent_with_conversation(agent)
    await sync_to_async(_support_sets)(agent.account_id, screen_share_enabled=False)
    settings = await agent_ws.until("settings")
    assert settings["permissions"] == {"voice": True, "video": True, "share": False}
    assert "screen sharing is switched off" in settings["permission_reasons"]["share"]
    assert (await consumer_ws.until("settings"))["share_enabled"] is False

    await sync_to_async(_support_sets)(agent.account_id, screen_share_enabled=True)
    assert (await agent_ws.until("settings"))["permissions"]["share"] is True
    assert (await consumer_ws.until("settings"))["share_enabled"] is True
    default = await sync_to_async(Profile.objects.get)(account=agent.account, is_default=True)
    default.can_share_screen = False
    await sync_to_async(default.save)()
    withdrawn = await agent_ws.until("settings")
    assert withdrawn["permissions"]["share"] is False
    assert "Share screen in calls" in withdrawn["permission_reasons"]["share"]
    for ws in (agent_ws, consumer_ws):
        await ws.close()


def _calls_of_one_day(account, agent) -> None:
    """Four answered calls of 1 May 2025: video shared, video not shared, video shared, voice."""
    from datetime import UTC, datetime, timedelta

    from calls.models import Conversation

    at = datetime(2025, 5, 1, 10, tzinfo=UTC)
    for media, shared in (("video", True), ("video", False), ("video", True), ("voice", False)):
        conversation = Conversation.objects.create(account=account, agent=agent, state="open", created_at=at)
        Call.objects.create(
            account=account,
            conversation=conversation,
            agent=agent,
            media=media,
            state="completed",
            created_at=at,
            answered_at=at + timedelta(seconds=5),
            started_at=at + timedelta(seconds=6),
            ended_at=at + timedelta(seconds=60),
            duration_s=54,
            screen_shared=shared,
        )


def test_reports_count_the_calls_with_a_shared_screen(account, agent, admin_client):
    """
    GIVEN one day with two video calls that showed a screen, one that did not, and a voice call
    WHEN the day is rolled up
    THEN the video day row counts 2 `screen_shared`, voice 0; the API's rows and totals, the CSV's
         column and the console's reports page say 2
    """
    import csv
    import io
    from datetime import date

    from reporting import services as reporting
    from reporting.models import SessionRollup

    _calls_of_one_day(account, agent)
    reporting.rollup_days(accounts=[account], first=date(2025, 5, 1), last=date(2025, 5, 1))
    days = {row.media: row for row in SessionRollup.objects.filter(account=account, interval="day")}
    assert (days["video"].screen_shared, days["voice"].screen_shared) == (2, 0)

    params = {"start": "2025-05-01", "end": "2025-05-01"}
    answer = admin_client.get("/api/v1/reports/collaboration-sessions/", params).json()
    assert answer["totals"]["screen_shared"] == 2
    assert {row["media"]: row["screen_shared"] for row in answer["results"]} == {"video": 2, "voice": 0}
    response = admin_client.get("/api/v1/reports/collaboration-sessions/", {**params, "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert {row["media"]: row["screen_shared"] for row in rows} == {"video": "2", "voice": "0"}
    page = admin_client.get("/console/reports/", params).content.decode()
    assert '<span data-measure="screen_shared">2 with a shared screen</span>' in page


# --- The permission where admins and support set it: REST API, console, Django admin --------------


def test_the_profile_api_grants_and_withdraws_share_screen_and_refuses_a_non_boolean(admin_user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_login(admin_user)
    created = client.post("/api/v1/profiles/", {"name": "No screens", "can_share_screen": False}, format="json")
    assert created.status_code == 201, created.json()
    profile = Profile.objects.get(pk=created.json()["id"])
    assert (profile.can_voice, profile.can_video, profile.can_share_screen) == (True, True, False)
    default = client.post("/api/v1/profiles/", {"name": "Plain"}, format="json").json()
    assert default["can_share_screen"] is True, "granted unless said otherwise"

    patched = client.patch(f"/api/v1/profiles/{profile.pk}/", {"can_share_screen": True}, format="json")
    assert patched.status_code == 200 and patched.json()["can_share_screen"] is True
    refused = client.patch(f"/api/v1/profiles/{profile.pk}/", {"can_share_screen": "sometimes"}, format="json")
    assert refused.status_code == 400 and "can_share_screen" in refused.json()
    profile.refresh_from_db()
    assert profile.can_share_screen is True

    agents = client.get("/api/v1/agents/").json()["results"]
    assert all(a["permissions"]["share"] == {"allowed": True, "reason": ""} for a in agents)


def test_support_switches_sharing_off_in_the_api_with_an_audit_row_and_agents_show_why(support, admin_user, account):
    from rest_framework.test import APIClient

    from settings_profiles.models import SettingsChange

    staff = APIClient()
    staff.force_login(support)
    response = staff.patch(
        f"/api/v1/accounts/{account.slug}/call-settings/", {"screen_share_enabled": False}, format="json"
    )
    assert response.status_code == 200 and response.json()["screen_share_enabled"] is False
    change = SettingsChange.objects.get()
    assert (change.field, change.old_value, change.new_value, change.source) == (
        "screen_share_enabled",
        "True",
        "False",
        "api",
    )
    admin = APIClient()
    admin.force_login(admin_user)
    decision = admin.get("/api/v1/agents/").json()["results"][0]["permissions"]["share"]
    assert decision == {"allowed": False, "reason": "screen sharing is switched off for the account by support"}
    assert admin.get("/api/v1/sdk/config", {"account": account.slug}).json()["share_enabled"] is False


def test_the_console_profile_form_sets_share_screen_and_the_agent_page_shows_it(admin_client, account, agent):
    from django.urls import reverse

    profile = Profile.objects.get(account=account, is_default=True)
    page = admin_client.get(reverse("console:profile_edit", args=[profile.pk])).content.decode()
    assert 'name="can_share_screen"' in page and "Share screen in calls" in page
    response = admin_client.post(
        reverse("console:profile_edit", args=[profile.pk]),
        {"name": profile.name, "description": "", "can_voice": "on", "can_video": "on"},
    )
    assert response.status_code == 302
    profile.refresh_from_db()
    assert (profile.can_voice, profile.can_video, profile.can_share_screen) == (True, True, False)
    detail = admin_client.get(reverse("console:agent_detail", args=[agent.pk])).content.decode()
    assert "<dt>Screen sharing</dt>" in detail and "Share screen in calls" in detail


def test_support_switches_sharing_off_in_the_django_admin_through_the_audit(support_client, support, account):
    import re

    from django.urls import reverse

    from settings_profiles.models import SettingsChange

    url = reverse("admin:settings_profiles_accountcallsettings_change", args=[account.call_settings.pk])
    page = support_client.get(url).content.decode()
    assert 'name="screen_share_enabled"' in page and "Screen sharing enabled" in page
    # Post the form as shown, with the screen-sharing box cleared.
    from tests.test_admin import form_data, set_checkbox

    data = form_data(page, "accountcallsettings_form")
    set_checkbox(data, "screen_share_enabled", False)
    assert support_client.post(url, data).status_code == 302
    change = SettingsChange.objects.get()
    assert (change.field, change.changed_by, change.source) == ("screen_share_enabled", support, "admin")
    assert AccountCallSettings.objects.get(account=account).screen_share_enabled is False
    profile_page = support_client.get(
        reverse("admin:settings_profiles_profile_change", args=[Profile.objects.get(account=account).pk])
    ).content.decode()
    assert re.search(r'name="can_share_screen"[^>]*checked', profile_page)
