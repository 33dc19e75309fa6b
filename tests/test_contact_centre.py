"""Issue 16 on the real stack: the conversation starts with the consumer's first message (once, even
when retried), busy agents are routed to last, transfers, and messages during a call."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.core.cache import cache
from django.test import Client

from calls.models import Call, Conversation, Message
from calls.schemas import ConversationTransfer
from calls.tokens import conversation_id_from_token

from .factories import UserFactory
from .test_calls_protocol import (
    CHROME,
    accept,
    online_agent_with_conversation,
    ring,
    start_conversation,
    transcript,
)
from .ws import agent_socket, consumer_socket

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/conversations/"
KEY = "k3y-0f-the-w1ndow-start"


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()


@pytest.fixture(autouse=True)
def _turn(settings):
    settings.TURN_REST_URLS = ["turn:127.0.0.1:3478?transport=udp"]
    settings.TURN_REST_SECRET = "turn-rest-secret-for-tests"
    settings.ICE_SERVERS = [{"urls": "stun:127.0.0.1:3478"}]


def first_message(slug: str, text: str, key: str = KEY):
    return Client().post(
        URL, {"account": slug, "text": text, "idempotency_key": key, "locale": "en"}, content_type="application/json"
    )


# --- 1. the first message starts the conversation ---------------------------------------------------


def test_first_message_creates_the_conversation_and_its_message_together(account):
    """
    GIVEN no conversation
    WHEN the window posts the consumer's first message with an idempotency key, then retries it
    THEN one conversation exists with that one message; the retry answers 200 with the same conversation
    and a working token
    """
    created = first_message(account.slug, "My modem blinks red")
    assert created.status_code == 201, created.content
    body = created.json()
    assert conversation_id_from_token(body["consumer_token"]) == (body["id"], account.pk)
    assert transcript(body["id"]) == ["My modem blinks red"]
    assert Message.objects.get(conversation_id=body["id"]).author == "consumer"

    retried = first_message(account.slug, "My modem blinks red")
    assert retried.status_code == 200
    assert retried.json()["id"] == body["id"]
    assert conversation_id_from_token(retried.json()["consumer_token"])[0] == body["id"]
    assert Conversation.objects.count() == 1 and Message.objects.count() == 1


def test_the_same_key_in_another_account_is_another_conversation(account, other_account):
    first = first_message(account.slug, "Hello").json()
    second = first_message(other_account.slug, "Hello")
    assert second.status_code == 201 and second.json()["id"] != first["id"]
    assert Conversation.objects.get(pk=second.json()["id"]).account == other_account


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"text": "Hi"}, "idempotency_key"),
        ({"idempotency_key": KEY}, "text"),
        ({"text": "Hi", "idempotency_key": "short"}, "idempotency_key"),
        ({"text": "Hi", "idempotency_key": "has spaces in it, sixteen+"}, "idempotency_key"),
        ({"text": "   ", "idempotency_key": KEY}, "text"),
        ({"text": "x" * 4001, "idempotency_key": KEY}, "text"),
    ],
)
def test_a_bad_first_message_is_400_and_writes_nothing(account, payload, field):
    response = Client().post(URL, {"account": account.slug, **payload}, content_type="application/json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Conversation.objects.exists() and not Message.objects.exists()


async def test_the_first_message_reaches_the_routed_agent_and_the_window(agent):
    agent_ws, _ = await agent_socket(agent)
    response = await sync_to_async(first_message)(agent.account.slug, "Serial AB-1234")
    body = response.json()
    routed = await agent_ws.until("conversation")
    assert routed["conversation"]["id"] == body["id"] and routed["conversation"]["agent_id"] == agent.pk
    consumer_ws, hello = await consumer_socket(body["consumer_token"])
    assert [m["text"] for m in hello["messages"]] == ["Serial AB-1234"]
    await agent_ws.close()
    await consumer_ws.close()


# --- 7. busy agents ------------------------------------------------------------------------------------


async def test_an_agent_in_a_call_is_routed_to_last(account):
    """
    GIVEN two online agents; the one with fewer open conversations is in a live call
    WHEN a new conversation starts
    THEN it goes to the other (free) agent; when both are in calls, the fewest-open rule applies again
    """
    in_call = await sync_to_async(UserFactory)(account=account)
    free = await sync_to_async(UserFactory)(account=account)
    in_call_ws, _ = await agent_socket(in_call)
    free_ws, _ = await agent_socket(free)
    # `free` has two open conversations, `in_call` one, with a ringing call in it.
    for _ in range(2):
        await sync_to_async(Conversation.objects.create)(account=account, agent=free, state="open")
    own = await sync_to_async(Conversation.objects.create)(account=account, agent=in_call, state="open")
    await sync_to_async(Call.objects.create)(
        account=account, conversation=own, agent=in_call, media="video", state="ringing"
    )

    created = await sync_to_async(start_conversation)(account.slug)
    assert (await sync_to_async(Conversation.objects.get)(pk=created["id"])).agent_id == free.pk

    await sync_to_async(Call.objects.filter(conversation=own).update)(state="completed")
    created = await sync_to_async(start_conversation)(account.slug)
    assert (await sync_to_async(Conversation.objects.get)(pk=created["id"])).agent_id == in_call.pk
    await in_call_ws.close()
    await free_ws.close()


# --- 6. transfer -----------------------------------------------------------------------------------------


def system_lines(conversation_id: int) -> list[str]:
    return list(Message.objects.filter(conversation_id=conversation_id, kind="system").values_list("text", flat=True))


async def test_transfer_to_an_online_colleague_and_to_the_queue(agent):
    """
    GIVEN an open conversation of the agent and an online colleague
    WHEN the agent transfers it to the colleague, who transfers it to the queue
    THEN the colleague owns it, then nobody (queued); the consumer reads both system lines; every agent
    of the account hears the new owner
    """
    agent_ws, consumer_ws, conversation_id = await online_agent_with_conversation(agent)
    colleague = await sync_to_async(UserFactory)(account=agent.account, name="Robin Colleague")
    colleague_ws, _ = await agent_socket(colleague)

    answer = await agent_ws.request(
        {"type": "conversation.transfer", "conversation_id": conversation_id, "to_agent_id": colleague.pk}
    )
    assert answer == {
        "type": "ok",
        "re": "r1",
        "conversation_id": conversation_id,
        "state": "open",
        "agent_id": colleague.pk,
    }
    told = await consumer_ws.until("message")
    assert (
        told["message"]["kind"] == "system" and told["message"]["text"] == "You are now talking with Robin Colleague."
    )
    assert (await colleague_ws.until("conversation"))["conversation"]["agent_id"] == colleague.pk
    assert (await agent_ws.until("conversation"))["conversation"]["agent_id"] == colleague.pk
    # The previous agent no longer writes in it.
    refused = await agent_ws.request({"type": "message.send", "conversation_id": conversation_id, "text": "hi"})
    assert refused["code"] == "forbidden"

    to_queue = await colleague_ws.request({"type": "conversation.transfer", "conversation_id": conversation_id})
    assert (to_queue["state"], to_queue["agent_id"]) == ("queued", None)
    conversation = await sync_to_async(Conversation.objects.get)(pk=conversation_id)
    assert (conversation.state, conversation.agent_id) == ("queued", None)
    assert await sync_to_async(system_lines)(conversation_id) == [
        "You are now talking with Robin Colleague.",
        "We are passing your conversation to a colleague, who will be with you shortly.",
    ]
    for socket in (agent_ws, colleague_ws, consumer_ws):
        await socket.close()


async def test_every_transfer_refusal_changes_nothing(agent, other_account):
    agent_ws, consumer_ws, conversation_id = await online_agent_with_conversation(agent)
    offline = await sync_to_async(UserFactory)(account=agent.account)
    stranger = await sync_to_async(UserFactory)(account=other_account)
    stranger_ws, _ = await agent_socket(stranger)

    async def transfer(socket, **fields):
        return await socket.request({"type": "conversation.transfer", "conversation_id": conversation_id, **fields})

    assert (await transfer(stranger_ws))["code"] == "not_found"  # another tenant's conversation
    assert (await transfer(agent_ws, to_agent_id=stranger.pk))["code"] == "not_found"  # another tenant's agent
    assert (await transfer(agent_ws, to_agent_id=999999))["code"] == "not_found"
    refused = await transfer(agent_ws, to_agent_id=offline.pk)
    assert refused["code"] == "invalid_state" and "not online" in refused["message"]
    assert (await transfer(agent_ws, to_agent_id=agent.pk))["code"] == "invalid_state"
    assert (await transfer(agent_ws, to_agent_id="2"))["code"] == "bad_request"  # strict: no strings for ids
    assert (await transfer(agent_ws, to="queue"))["code"] == "bad_request"  # unknown field
    # A live call: the agent is told to end it first.
    call_id = await ring(agent_ws, consumer_ws, conversation_id, media="voice")
    refused = await transfer(agent_ws)
    assert (
        refused["code"] == "invalid_state"
        and refused["message"] == "End the call before transferring the conversation."
    )
    conversation = await sync_to_async(Conversation.objects.get)(pk=conversation_id)
    assert (conversation.state, conversation.agent_id) == ("open", agent.pk)
    assert not [
        line
        for line in await sync_to_async(system_lines)(conversation_id)
        if "colleague" in line or "now talking" in line
    ]
    await agent_ws.request({"type": "call.hangup", "call_id": call_id})
    for socket in (agent_ws, consumer_ws, stranger_ws):
        await socket.close()


def test_transfer_schema_is_strict():
    with pytest.raises(Exception):
        ConversationTransfer.model_validate({"type": "conversation.transfer", "conversation_id": 1, "extra": 1})
    with pytest.raises(Exception):
        ConversationTransfer.model_validate({"type": "conversation.transfer", "conversation_id": 0})


# --- 2. messages during a call -------------------------------------------------------------------------


async def test_messages_flow_both_ways_while_the_call_is_live(agent):
    agent_ws, consumer_ws, conversation_id = await online_agent_with_conversation(agent)
    call_id = await ring(agent_ws, consumer_ws, conversation_id)
    await accept(consumer_ws, call_id)
    await agent_ws.until("call.state", state="connecting")
    await consumer_ws.send({"type": "message.send", "text": "Serial number: AB-1234-XY"})
    assert (await agent_ws.until("message", timeout=5))["message"]["text"] == "Serial number: AB-1234-XY"
    await agent_ws.send({"type": "message.send", "conversation_id": conversation_id, "text": "https://acme.test/fix"})
    received = []
    while len(received) < 2:  # its own echo, then the reply (after the call's system lines)
        message = (await consumer_ws.until("message"))["message"]
        if message["kind"] == "text":
            received.append(message)
    assert [(m["author"], m["text"]) for m in received] == [
        ("consumer", "Serial number: AB-1234-XY"),
        ("agent", "https://acme.test/fix"),
    ]
    call = await sync_to_async(Call.objects.get)(pk=call_id)
    assert call.state in Call.LIVE_STATES
    await agent_ws.request({"type": "call.hangup", "call_id": call_id})
    await agent_ws.close()
    await consumer_ws.close()


def test_the_transfer_dialog_lists_online_colleagues_of_the_account_only(agent, other_account, login):
    """
    GIVEN the agent, an online colleague in a call, an offline colleague and an online agent of another account
    WHEN the workspace asks for transfer targets
    THEN only the online colleague is listed (with in_call); anonymous gets 401
    """
    from datetime import timedelta

    from django.utils import timezone

    from calls.models import AgentConnection

    soon = timezone.now() + timedelta(minutes=1)
    online = UserFactory(account=agent.account, name="Robin Online")
    UserFactory(account=agent.account, name="Olly Offline")
    stranger = UserFactory(account=other_account, name="Sam Stranger")
    for user, channel in ((agent, "a"), (online, "b"), (stranger, "c")):
        AgentConnection.objects.create(agent=user, channel_name=f"specific.{channel}", lease_until=soon)
    own = Conversation.objects.create(account=agent.account, agent=online, state="open")
    Call.objects.create(account=agent.account, conversation=own, agent=online, media="voice", state="active")

    assert Client().get("/workspace/colleagues/").status_code == 401
    response = login(agent).get("/workspace/colleagues/")
    assert response.status_code == 200
    assert response.json() == {"colleagues": [{"id": online.pk, "name": "Robin Online", "in_call": True}]}


# --- 3. answer with audio only -------------------------------------------------------------------------


async def accept_with(consumer_ws, call_id, *, camera=True, audio_only=None):
    frame = {
        "type": "call.accept",
        "call_id": call_id,
        "client": {"user_agent": CHROME, "webrtc": True, "camera": camera, "microphone": True},
    }
    if audio_only is not None:
        frame["audio_only"] = audio_only
    return await consumer_ws.request(frame)


@pytest.mark.parametrize(
    ("media", "camera", "audio_only", "expected"),
    [
        ("video", True, True, True),  # "Audio only" chosen
        ("video", False, None, True),  # no camera: audio only instead of a failure
        ("video", True, None, False),
        ("voice", True, True, False),  # a voice call is audio anyway: not counted
    ],
)
async def test_a_video_call_answered_with_audio_only(agent, media, camera, audio_only, expected):
    """
    GIVEN a ringing call
    WHEN the consumer accepts with audio_only and/or without a camera
    THEN the call connects (not failed); it is marked audio only for video calls, the agent's frame
    says so, and the consumer's side starts with its camera off
    """
    agent_ws, consumer_ws, conversation_id = await online_agent_with_conversation(agent)
    call_id = await ring(agent_ws, consumer_ws, conversation_id, media=media)
    assert (await accept_with(consumer_ws, call_id, camera=camera, audio_only=audio_only))["type"] == "ok"
    agent_frame = await agent_ws.until("call.state", state="connecting")
    consumer_frame = await consumer_ws.until("call.state", state="connecting")
    assert agent_frame["call"]["consumer_audio_only"] is expected
    assert consumer_frame["media"]["consumer_camera_on"] is (media == "video" and not expected)
    assert (await sync_to_async(Call.objects.get)(pk=call_id)).consumer_audio_only is expected
    await agent_ws.request({"type": "call.hangup", "call_id": call_id})
    await agent_ws.close()
    await consumer_ws.close()


async def test_audio_only_must_be_a_boolean(agent):
    agent_ws, consumer_ws, conversation_id = await online_agent_with_conversation(agent)
    call_id = await ring(agent_ws, consumer_ws, conversation_id)
    refused = await accept_with(consumer_ws, call_id, audio_only="yes")
    assert refused["code"] == "bad_request"
    call = await sync_to_async(Call.objects.get)(pk=call_id)
    assert (call.state, call.consumer_audio_only) == ("ringing", False)
    await agent_ws.close()
    await consumer_ws.close()


def test_the_rollup_counts_video_calls_answered_with_audio_only(account, agent):
    """
    GIVEN three answered calls of one day: a video call answered with audio only, a video call with
    video, a voice call
    WHEN the day is rolled up
    THEN the video day row counts one accepted_audio_only, the voice row none, and the report shows it
    """
    from datetime import UTC, date, datetime, timedelta

    from reporting import services as reporting
    from reporting.models import SessionRollup

    at = datetime(2025, 5, 1, 10, tzinfo=UTC)
    for media, audio_only in (("video", True), ("video", False), ("voice", False)):
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
            consumer_audio_only=audio_only,
        )
    reporting.rollup_days(accounts=[account], first=date(2025, 5, 1), last=date(2025, 5, 1))
    days = {row.media: row for row in SessionRollup.objects.filter(account=account, interval="day")}
    assert days["video"].accepted_audio_only == 1 and days["video"].accepted == 2
    assert days["voice"].accepted_audio_only == 0
