"""Support's changes reach open sockets at once: kill switches, profiles, grants and texts push a
`settings` frame to every open agent and consumer socket of the account (and no other), and a ringing
invitation of a media the agent may no longer use is cancelled with reason `media_disabled`."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from calls.models import Call
from settings_profiles.models import AccountCallSettings, Profile
from settings_profiles.services import call_settings_update, profile_assign, profile_update

from .factories import ProfileFactory, UserFactory
from .test_calls_protocol import _turn, online_agent_with_conversation, ring, transcript  # noqa: F401
from .ws import agent_socket

pytestmark = pytest.mark.django_db(transaction=True)


def _support_sets(account_id: int, **data) -> None:
    call_settings = AccountCallSettings.objects.get(account_id=account_id)
    call_settings_update(call_settings=call_settings, data=data, changed_by=None, source="admin")


async def test_video_switched_off_cancels_the_ringing_video_invitation_and_updates_both_sides(agent, other_account):
    """
    GIVEN an agent's workspace socket and a consumer's window, a video invitation ringing, and an agent
          of another account online
    WHEN support switches video calls off for the account
    THEN the agent gets `settings` without video (with the reason), the consumer gets `settings` with
         video_enabled false, both get the invitation cancelled with reason media_disabled, the
         transcript says so; the other account's agent hears nothing
    """
    stranger = await sync_to_async(UserFactory)(account=other_account, email="s@globex.example")
    stranger_ws, _ = await agent_socket(stranger)
    agent_ws, consumer_ws, conversation_id = await online_agent_with_conversation(agent)
    call_id = await ring(agent_ws, consumer_ws, conversation_id)

    await sync_to_async(_support_sets)(agent.account_id, video_enabled=False)

    settings = await agent_ws.until("settings")
    assert settings["permissions"] == {"voice": True, "video": False, "share": True}
    assert "switched off" in settings["permission_reasons"]["video"]
    assert settings["texts"]["call_end"]
    consumer_settings = await consumer_ws.until("settings")
    assert (consumer_settings["voice_enabled"], consumer_settings["video_enabled"]) == (True, False)
    for ws in (agent_ws, consumer_ws):
        # The cancellation is sent before the settings frame: look among the frames already received.
        earlier = [f for f in ws.seen if f["type"] == "call.state" and f["call"]["state"] == "cancelled"]
        cancelled = earlier[0] if earlier else await ws.until("call.state", state="cancelled")
        assert cancelled["call"]["id"] == call_id and cancelled["call"]["reason"] == "media_disabled"
    call = await sync_to_async(Call.objects.get)(pk=call_id)
    assert (call.state, call.end_reason) == ("cancelled", "media_disabled")
    assert (await sync_to_async(transcript)(conversation_id))[-1] == "The video call invitation was cancelled."
    assert await stranger_ws.nothing()
    # The switch is enforced, not only shown: a new video invitation is refused.
    answer = await agent_ws.request({"type": "call.invite", "conversation_id": conversation_id, "media": "video"})
    assert answer["type"] == "error"
    for ws in (agent_ws, consumer_ws, stranger_ws):
        await ws.close()


async def test_a_ringing_voice_invitation_survives_video_being_switched_off(agent):
    agent_ws, consumer_ws, conversation_id = await online_agent_with_conversation(agent)
    call_id = await ring(agent_ws, consumer_ws, conversation_id, media="voice")
    await sync_to_async(_support_sets)(agent.account_id, video_enabled=False)
    await agent_ws.until("settings")
    await consumer_ws.until("settings")
    assert (await sync_to_async(Call.objects.get)(pk=call_id)).state == "ringing"
    await agent_ws.close()
    await consumer_ws.close()


async def test_a_profile_losing_its_grant_and_an_agent_losing_a_profile_reach_the_workspace(agent, account):
    """
    GIVEN an agent whose only video grant comes from profile "Video" (the default profile: voice only)
    WHEN the profile loses its video grant; later the agent gets it back and then loses the profile
    THEN each change pushes `settings` with the new permissions, without a reconnect
    """
    default = await sync_to_async(Profile.objects.get)(account=account, is_default=True)
    await sync_to_async(profile_update)(profile=default, name=default.name, can_voice=True, can_video=False)
    video = await sync_to_async(ProfileFactory)(account=account, name="Video", can_voice=False, can_video=True)
    await sync_to_async(profile_assign)(user=agent, profiles=[default, video])
    agent_ws, hello = await agent_socket(agent)
    assert hello["permissions"] == {"voice": True, "video": True, "share": True}

    await sync_to_async(profile_update)(profile=video, name="Video", can_voice=False, can_video=False)
    assert (await agent_ws.until("settings"))["permissions"] == {"voice": True, "video": False, "share": True}
    await sync_to_async(profile_update)(profile=video, name="Video", can_voice=False, can_video=True)
    assert (await agent_ws.until("settings"))["permissions"] == {"voice": True, "video": True, "share": True}
    await sync_to_async(profile_assign)(user=agent, profiles=[default])
    frame = await agent_ws.until("settings")
    while frame["permissions"]["video"]:  # profile_assign may save more than once: the last frame counts
        frame = await agent_ws.until("settings")
    assert frame["permissions"] == {"voice": True, "video": False, "share": True}
    await agent_ws.close()


async def test_new_texts_reach_the_window_and_the_next_invitation(agent):
    agent_ws, consumer_ws, conversation_id = await online_agent_with_conversation(agent)
    await sync_to_async(_support_sets)(
        agent.account_id, texts={"invitation_title_video": "Video with {agent_name}", "call_end": "Auflegen"}
    )
    settings = await consumer_ws.until("settings")
    assert settings["texts"]["call_end"] == "Auflegen"
    assert (await agent_ws.until("settings"))["texts"]["call_end"] == "Auflegen"
    await ring(agent_ws, consumer_ws, conversation_id)
    ringing = await consumer_ws.until("call.state", state="ringing")
    assert ringing["invitation"]["title"] == "Video with Andy Agent"
    await agent_ws.close()
    await consumer_ws.close()
