"""Whole calls over the real ASGI application: every transition, every refusal, nothing leaked."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connection
from django.test import Client
from django.utils import timezone

from calls import services
from calls.models import AgentConnection, Call, CallEvent, Conversation, Message
from calls.push import agent_group, consumer_group
from calls.sockets import limits, relay
from consoleproj.asgi import application
from settings_profiles.models import AccountCallSettings

from .factories import AdminFactory, ProfileFactory, UserFactory
from .ws import HOST, ORIGIN, agent_socket, app_finished, consumer_socket, refused_code, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)

CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"
IE = "Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.1; Trident/6.0)"
OFFER_SDP = "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n"
ANSWER_SDP = "v=0\r\no=- 1234567890123456789 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=ice-ufrag:Zx9q\r\n"
CANDIDATES = [
    f"candidate:{n} 1 udp 2122260223 192.0.2.{n} {50000 + n} typ host generation 0 ufrag Zx9q" for n in range(1, 6)
]
TURN_SECRET = "turn-rest-secret-for-tests"


@pytest.fixture(autouse=True)
def _turn(settings):
    settings.TURN_REST_URLS = ["turn:127.0.0.1:3478?transport=udp"]
    settings.TURN_REST_SECRET = TURN_SECRET
    settings.ICE_SERVERS = [{"urls": "stun:127.0.0.1:3478"}]


def start_conversation(slug: str, channel: str = "web_messaging") -> dict:
    response = Client().post(
        "/api/v1/conversations/",
        {"account": slug, "channel": channel, "consumer_name": "Casey"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    return response.json()


async def online_agent_with_conversation(agent, *, channel="web_messaging"):
    """The agent's socket is connected, then a consumer starts a conversation routed to them."""
    agent_ws, hello = await agent_socket(agent)
    created = await sync_to_async(start_conversation)(agent.account.slug, channel)
    routed = await agent_ws.until("conversation")
    assert routed["conversation"]["id"] == created["id"]
    assert routed["conversation"]["state"] == "open" and routed["conversation"]["agent_id"] == agent.pk
    consumer_ws, consumer_hello = await consumer_socket(created["consumer_token"])
    assert consumer_hello["conversation"]["id"] == created["id"]
    return agent_ws, consumer_ws, created["id"]


async def ring(agent_ws, consumer_ws, conversation_id, media="video") -> int:
    answer = await agent_ws.request({"type": "call.invite", "conversation_id": conversation_id, "media": media})
    assert answer["type"] == "ok", answer
    await agent_ws.until("call.state", state="ringing")
    return answer["call_id"]


async def accept(consumer_ws, call_id, user_agent=CHROME):
    await consumer_ws.send(
        {
            "type": "call.accept",
            "call_id": call_id,
            "client": {"user_agent": user_agent, "webrtc": True, "camera": True, "microphone": True},
        }
    )


def transcript(conversation_id: int) -> list[str]:
    return list(Message.objects.filter(conversation_id=conversation_id).values_list("text", flat=True))


def states(call_id: int) -> list[str]:
    return list(CallEvent.objects.filter(call_id=call_id, kind="state").values_list("state", flat=True))


async def test_whole_video_call(agent):
    agent_ws, consumer_ws, conversation_id = await online_agent_with_conversation(agent)
    await sync_to_async(AccountCallSettings.objects.filter(account_id=agent.account_id).update)(
        consumer_camera_off_at_start=True,
        texts={"invitation_title_video": "See {agent_name} now"},
        sdk_style={"accept_button_background": "#00AA00"},
    )

    call_id = await ring(agent_ws, consumer_ws, conversation_id)
    ringing = await consumer_ws.until("call.state", state="ringing")
    invitation = ringing["invitation"]
    assert invitation["title"] == f"See {agent.display_name} now"
    assert invitation["accept"] == "Accept" and invitation["reject"] == "Decline"
    assert invitation["style"]["accept_button_background"] == "#00AA00"
    # The window prepares its peer connection while it rings (its own TURN credentials, never the agent's).
    ringing_turn = [s for s in ringing["ice"]["iceServers"] if "username" in s][0]
    assert ringing_turn["username"].endswith(f":call{call_id}-consumer")
    # What Accept will open: the window asks for the camera at the click only if it starts on.
    assert ringing["media"] == {"agent_camera_on": True, "consumer_camera_on": False}

    await accept(consumer_ws, call_id)
    agent_connecting = await agent_ws.until("call.state", state="connecting")
    consumer_connecting = await consumer_ws.until("call.state", state="connecting")
    agent_turn = [s for s in agent_connecting["ice"]["iceServers"] if "username" in s][0]
    consumer_turn = [s for s in consumer_connecting["ice"]["iceServers"] if "username" in s][0]
    assert agent_turn["username"].endswith(f":call{call_id}-agent")
    assert consumer_turn["username"].endswith(f":call{call_id}-consumer")
    assert agent_connecting["ice"]["iceTransportPolicy"] == "all"
    assert agent_connecting["media"] == {"agent_camera_on": True, "consumer_camera_on": False}

    # Offer and candidates from the agent arrive at the consumer verbatim and in order.
    await agent_ws.send(
        {"type": "call.signal", "call_id": call_id, "signal": {"sdp": {"type": "offer", "sdp": OFFER_SDP}}}
    )
    for candidate in CANDIDATES:
        await agent_ws.send(
            {
                "type": "call.signal",
                "call_id": call_id,
                "signal": {"candidate": {"candidate": candidate, "sdpMid": "0", "sdpMLineIndex": 0}},
            }
        )
    await agent_ws.send({"type": "call.signal", "call_id": call_id, "signal": {"candidate": None}})
    relayed = [await consumer_ws.until("call.signal") for _ in range(len(CANDIDATES) + 2)]
    assert relayed[0] == {
        "type": "call.signal",
        "call_id": call_id,
        "from": "agent",
        "signal": {"sdp": {"type": "offer", "sdp": OFFER_SDP}},
    }
    assert [r["signal"]["candidate"]["candidate"] for r in relayed[1:-1]] == CANDIDATES
    assert relayed[-1]["signal"] == {"candidate": None}
    await consumer_ws.send(
        {"type": "call.signal", "call_id": call_id, "signal": {"sdp": {"type": "answer", "sdp": ANSWER_SDP}}}
    )
    answer = await agent_ws.until("call.signal")
    assert answer["from"] == "consumer" and answer["signal"]["sdp"]["sdp"] == ANSWER_SDP
    assert await agent_ws.nothing()  # the agent never hears its own signals back

    await consumer_ws.send({"type": "call.connected", "call_id": call_id})
    assert (await agent_ws.until("call.state", state="active"))["call"]["started_at"]
    await consumer_ws.until("call.state", state="active")

    await consumer_ws.send({"type": "call.media", "call_id": call_id, "audio": False, "video": True, "camera": "back"})
    media = await agent_ws.until("call.media")
    assert media == {
        "type": "call.media",
        "call_id": call_id,
        "from": "consumer",
        "audio": False,
        "video": True,
        "camera": "back",
    }
    await agent_ws.send(
        {
            "type": "call.stats",
            "call_id": call_id,
            "stats": {"rtt_ms": 42.5, "packet_loss_pct": 0.4, "bitrate_kbps": 2100, "candidate_type": "host"},
        }
    )
    assert (await agent_ws.request({"type": "call.connected", "call_id": call_id}, "c2"))["type"] == "ok"

    # Pretend the call has been running for 65 s, then the consumer hangs up.
    await sync_to_async(Call.objects.filter(pk=call_id).update)(started_at=timezone.now() - timedelta(seconds=65))
    await consumer_ws.send({"type": "call.hangup", "call_id": call_id})
    ended = await agent_ws.until("call.state", state="completed")
    assert ended["call"]["duration_s"] >= 65 and ended["call"]["reason"] == "consumer_hangup"
    await consumer_ws.until("call.state", state="completed")
    # The transcript line came to the agent just before the state change.
    pushed = [f["message"]["text"] for f in agent_ws.seen if f["type"] == "message"]
    assert pushed[-1].startswith("The video call ended after 1:0")

    lines = await sync_to_async(transcript)(conversation_id)
    assert lines[0] == f"{agent.display_name} invited you to a video call."
    assert "The video call was accepted." in lines
    assert lines[-1].startswith("The video call ended after 1:0")
    assert await sync_to_async(states)(call_id) == ["ringing", "connecting", "active", "completed"]
    media_events = await sync_to_async(list)(
        CallEvent.objects.filter(call_id=call_id, kind="media").values("actor", "data")
    )
    assert media_events == [{"actor": "consumer", "data": {"audio": False, "video": True, "camera": "back"}}]
    stats = await sync_to_async(CallEvent.objects.get)(call_id=call_id, kind="stats")
    assert stats.data == {"rtt_ms": 42.5, "packet_loss_pct": 0.4, "bitrate_kbps": 2100, "candidate_type": "host"}
    # The database derives the typed quality columns the rollup sums (thousandths of each unit).
    assert (stats.rtt_us, stats.packet_loss_mpct, stats.bitrate_bps) == (42_500, 400, 2_100_000)

    secrets_seen = [
        OFFER_SDP.strip(),
        ANSWER_SDP.strip(),
        "ice-ufrag",
        "typ host",
        agent_turn["credential"],
        consumer_turn["credential"],
        TURN_SECRET,
    ]
    found = await sync_to_async(scan_database)(secrets_seen)
    assert found == [], found
    await agent_ws.close()
    await consumer_ws.close()


def scan_database(needles: list[str]) -> list[str]:
    """Every text column of every table, searched for session data."""
    hits = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - our own table names
            for row in cursor.fetchall():
                blob = " ".join(str(v) for v in row)
                hits.extend(f"{table}: {n[:20]}" for n in needles if n and n in blob)
    return hits


async def test_voice_call_rejected(agent):
    agent_ws, consumer_ws, conversation_id = await online_agent_with_conversation(agent)
    call_id = await ring(agent_ws, consumer_ws, conversation_id, media="voice")
    await consumer_ws.send({"type": "call.reject", "call_id": call_id})
    assert (await agent_ws.until("call.state", state="rejected"))["call"]["media"] == "voice"
    await consumer_ws.until("call.state", state="rejected")
    assert (await sync_to_async(transcript)(conversation_id))[-1] == "The voice call was declined."
    await agent_ws.close()
    await consumer_ws.close()


async def test_cancel_while_ringing(agent):
    agent_ws, consumer_ws, conversation_id = await online_agent_with_conversation(agent)
    call_id = await ring(agent_ws, consumer_ws, conversation_id)
    await agent_ws.send({"type": "call.hangup", "call_id": call_id, "reason": "user"})
    await consumer_ws.until("call.state", state="cancelled")
    cancelled = await sync_to_async(Call.objects.get)(pk=call_id)
    assert (cancelled.state, cancelled.end_reason) == ("cancelled", "agent_hangup")  # "user" says who
    assert (await sync_to_async(transcript)(conversation_id))[-1] == "The video call invitation was cancelled."
    await agent_ws.close()
    await consumer_ws.close()


async def test_unanswered_invitation_expires(agent):
    agent_ws, consumer_ws, conversation_id = await online_agent_with_conversation(agent)
    call_id = await ring(agent_ws, consumer_ws, conversation_id)
    call = await sync_to_async(Call.objects.get)(pk=call_id)
    assert await sync_to_async(services.call_sweep)(now=call.ring_deadline - timedelta(seconds=1)) == 0
    assert await sync_to_async(services.call_sweep)(now=call.ring_deadline + timedelta(seconds=1)) == 1
    expired = await consumer_ws.until("call.state", state="expired")
    assert expired["call"]["reason"] == "no_answer"
    await agent_ws.until("call.state", state="expired")
    assert (await sync_to_async(transcript)(conversation_id))[-1] == "Missed video call."
    await agent_ws.close()
    await consumer_ws.close()


async def test_unsupported_browser_gets_the_invitation_but_the_call_fails(agent):
    agent_ws, consumer_ws, conversation_id = await online_agent_with_conversation(agent)
    call_id = await ring(agent_ws, consumer_ws, conversation_id)
    assert "invitation" in await consumer_ws.until("call.state", state="ringing")
    await accept(consumer_ws, call_id, user_agent=IE)
    consumer_failed = await consumer_ws.until("call.state", state="failed")
    agent_failed = await agent_ws.until("call.state", state="failed")
    for frame in (consumer_failed, agent_failed):
        assert frame["call"]["reason"] == "unsupported_browser"
        assert frame["error"]["code"] == "unsupported_browser"
        assert "browser cannot take part in calls" in frame["error"]["text"]
        assert "ice" not in frame
    call = await sync_to_async(Call.objects.get)(pk=call_id)
    assert call.consumer_browser == "IE 10"
    assert "could not start" in (await sync_to_async(transcript)(conversation_id))[-1]
    await agent_ws.close()
    await consumer_ws.close()


async def test_party_gone_past_the_grace_drops_the_call_and_reconnect_within_it_does_not(agent):
    agent_ws, consumer_ws, conversation_id = await online_agent_with_conversation(agent)
    call_id = await ring(agent_ws, consumer_ws, conversation_id)
    await accept(consumer_ws, call_id)
    await consumer_ws.until("call.state", state="connecting")
    await consumer_ws.send({"type": "call.connected", "call_id": call_id})
    await agent_ws.until("call.state", state="active")
    token = await sync_to_async(start_conversation_token)(conversation_id)

    # The consumer's page reloads: the socket goes, a new one comes within the grace and rejoins.
    await consumer_ws.close()
    consumer_ws, hello = await consumer_socket(token)
    assert hello["call"]["id"] == call_id and hello["call"]["state"] == "active"
    assert hello["call"]["media"] == "video"  # the call's media, not the camera flags
    assert hello["call_extras"]["ice"]["iceServers"]  # fresh credentials for the rejoin
    assert set(hello["call_extras"]["media"]) == {"agent_camera_on", "consumer_camera_on"}
    call = await sync_to_async(Call.objects.get)(pk=call_id)
    soon = min(call.agent_deadline, call.consumer_deadline) - timedelta(seconds=1)
    assert await sync_to_async(services.call_sweep)(now=soon) == 0
    assert (await sync_to_async(Call.objects.get)(pk=call_id)).state == "active"

    # Then it vanishes for good: past the grace the call is dropped and the agent is told.
    await consumer_ws.close()
    await agent_ws.close()
    call = await sync_to_async(Call.objects.get)(pk=call_id)
    late = max(call.agent_deadline, call.consumer_deadline) + timedelta(seconds=1)
    assert await sync_to_async(services.call_sweep)(now=late) == 1
    call = await sync_to_async(Call.objects.get)(pk=call_id)
    assert call.state == "dropped" and call.end_reason in {"agent_gone", "consumer_gone"}
    assert "disconnected" in (await sync_to_async(transcript)(conversation_id))[-1]


async def test_ice_failure_of_an_active_call_drops_it_for_both_sides(agent):
    """The client gives up after its ICE restarts (`ice_failed`): an active call ends `dropped` with
    that reason on both sides and in the transcript, not `completed` as if someone hung up."""
    agent_ws, consumer_ws, conversation_id = await online_agent_with_conversation(agent)
    call_id = await ring(agent_ws, consumer_ws, conversation_id)
    await accept(consumer_ws, call_id)
    await consumer_ws.until("call.state", state="connecting")
    await consumer_ws.send({"type": "call.connected", "call_id": call_id})
    await agent_ws.until("call.state", state="active")
    await agent_ws.send({"type": "call.hangup", "call_id": call_id, "reason": "ice_failed", "id": "h1"})
    for ws in (agent_ws, consumer_ws):
        frame = await ws.until("call.state", state="dropped")
        assert frame["call"]["reason"] == "ice_failed"
    call = await sync_to_async(Call.objects.get)(pk=call_id)
    assert (call.state, call.end_reason) == ("dropped", "ice_failed")
    assert "disconnected" in (await sync_to_async(transcript)(conversation_id))[-1]
    await agent_ws.close()
    await consumer_ws.close()


def start_conversation_token(conversation_id: int) -> str:
    from calls.tokens import consumer_token_for

    conversation = Conversation.objects.get(pk=conversation_id)
    return consumer_token_for(conversation_id=conversation.pk, account_id=conversation.account_id)


async def test_closing_the_conversation_ends_the_live_call(agent):
    agent_ws, consumer_ws, conversation_id = await online_agent_with_conversation(agent)
    call_id = await ring(agent_ws, consumer_ws, conversation_id)
    await accept(consumer_ws, call_id)
    await consumer_ws.until("call.state", state="connecting")
    answer = await agent_ws.request({"type": "conversation.close", "conversation_id": conversation_id})
    assert answer["type"] == "ok"
    ended = await consumer_ws.until("call.state", state="cancelled")
    assert ended["call"]["reason"] == "conversation_closed"
    closed = await consumer_ws.until("conversation")
    assert closed["conversation"]["state"] == "closed"
    refused = await consumer_ws.request({"type": "message.send", "text": "hello?"})
    assert refused["code"] == "invalid_state"
    await agent_ws.close()
    await consumer_ws.close()


async def test_consumer_waiting_in_the_queue_is_told_when_an_agent_takes_it(account):
    created = await sync_to_async(start_conversation)(account.slug)
    consumer_ws, hello = await consumer_socket(created["consumer_token"])
    assert hello["conversation"]["state"] == "queued"
    agent = await sync_to_async(UserFactory)(account=account)
    agent_ws, _ = await agent_socket(agent)
    assert (await agent_ws.request({"type": "conversation.take", "conversation_id": created["id"]}))["type"] == "ok"
    frame = await consumer_ws.until("conversation")
    assert frame["conversation"]["state"] == "open" and frame["conversation"]["agent_id"] == agent.pk
    await agent_ws.close()
    await consumer_ws.close()


async def test_messages_flow_both_ways_and_queue_is_taken(account):
    # No agent online: the conversation waits in the queue until an agent takes it.
    created = await sync_to_async(start_conversation)(account.slug)
    assert created["state"] == "queued"
    agent = await sync_to_async(UserFactory)(account=account)
    agent_ws, hello = await agent_socket(agent)
    assert [c["id"] for c in hello["conversations"]] == [created["id"]]
    taken = await agent_ws.request({"type": "conversation.take", "conversation_id": created["id"]})
    assert taken["type"] == "ok"
    consumer_ws, _ = await consumer_socket(created["consumer_token"])
    await consumer_ws.send({"type": "message.send", "text": "My modem blinks red <b>help</b>"})
    received = await agent_ws.until("message")
    assert received["message"]["text"] == "My modem blinks red <b>help</b>"  # raw text; clients render escaped
    assert received["message"]["author"] == "consumer"
    await agent_ws.send({"type": "message.send", "conversation_id": created["id"], "text": "Let's call"})
    echoed = await consumer_ws.until("message")  # the consumer's own message, as stored
    assert echoed["message"]["author"] == "consumer"
    assert (await consumer_ws.until("message"))["message"] | {"id": 0, "created_at": ""} == {
        "id": 0,
        "created_at": "",
        "conversation_id": created["id"],
        "author": "agent",
        "kind": "text",
        "text": "Let's call",
        "call_id": None,
    }
    await agent_ws.close()
    await consumer_ws.close()


async def test_routing_prefers_the_least_busy_online_agent(account):
    busy = await sync_to_async(UserFactory)(account=account)
    idle = await sync_to_async(UserFactory)(account=account)
    busy_ws, _ = await agent_socket(busy)
    idle_ws, _ = await agent_socket(idle)
    await sync_to_async(Conversation.objects.create)(account=account, agent=busy, state="open")
    created = await sync_to_async(start_conversation)(account.slug)
    conversation = await sync_to_async(Conversation.objects.get)(pk=created["id"])
    assert conversation.agent_id == idle.pk and conversation.state == "open"
    await busy_ws.close()
    await idle_ws.close()


# --- refusals ------------------------------------------------------------------------------------


async def test_every_invite_refusal(agent, other_account):
    agent_ws, consumer_ws, conversation_id = await online_agent_with_conversation(agent)

    async def invite(socket, conv_id, media="video"):
        return await socket.request({"type": "call.invite", "conversation_id": conv_id, "media": media})

    # Another tenant's agent cannot even see the conversation.
    stranger = await sync_to_async(UserFactory)(account=other_account)
    stranger_ws, _ = await agent_socket(stranger)
    assert (await invite(stranger_ws, conversation_id))["code"] == "not_found"
    assert (await invite(agent_ws, 999999))["code"] == "not_found"
    # A colleague of the same account to whom it is not assigned.
    colleague = await sync_to_async(UserFactory)(account=agent.account)
    colleague_ws, _ = await agent_socket(colleague)
    assert (await invite(colleague_ws, conversation_id))["code"] == "forbidden"
    # Kill switch, then a profile without the grant.
    await sync_to_async(AccountCallSettings.objects.filter(account_id=agent.account_id).update)(video_enabled=False)
    assert (await invite(agent_ws, conversation_id))["code"] == "media_disabled"
    await sync_to_async(AccountCallSettings.objects.filter(account_id=agent.account_id).update)(video_enabled=True)
    voice_only = await sync_to_async(ProfileFactory)(account=agent.account, can_video=False)
    await sync_to_async(agent.profiles.set)([voice_only])
    refused = await invite(agent_ws, conversation_id)
    assert refused["code"] == "forbidden" and "Initiate live video conversation" in refused["message"]
    # A chat conversation.
    chat = await sync_to_async(Conversation.objects.create)(
        account=agent.account, agent=agent, state="open", channel="chat"
    )
    assert (await invite(agent_ws, chat.pk, "voice"))["code"] == "not_messaging"
    # A second live call (double click): exactly one per conversation.
    assert (await invite(agent_ws, conversation_id, "voice"))["type"] == "ok"
    assert (await invite(agent_ws, conversation_id, "voice"))["code"] == "invalid_state"
    assert await sync_to_async(Call.objects.filter(conversation_id=conversation_id).count)() == 1
    # The outsiders heard nothing of the call.
    assert await stranger_ws.nothing()
    for socket in (agent_ws, consumer_ws, stranger_ws, colleague_ws):
        await socket.close()


async def test_signals_only_for_calls_the_sender_is_in(agent, other_account):
    agent_ws, consumer_ws, conversation_id = await online_agent_with_conversation(agent)
    call_id = await ring(agent_ws, consumer_ws, conversation_id)
    signal = {"type": "call.signal", "call_id": call_id, "signal": {"sdp": {"type": "offer", "sdp": OFFER_SDP}}}
    # Ringing: the consumer may not signal yet.
    assert (await consumer_ws.request(signal))["code"] == "invalid_state"
    await accept(consumer_ws, call_id)
    await agent_ws.until("call.state", state="connecting")
    await consumer_ws.until("call.state", state="connecting")

    # Another consumer (another conversation) and another account's agent name this call.
    other_created = await sync_to_async(start_conversation)(agent.account.slug)
    other_consumer_ws, _ = await consumer_socket(other_created["consumer_token"])
    await agent_ws.until("conversation")  # the new conversation was routed to our agent
    stranger = await sync_to_async(UserFactory)(account=other_account)
    stranger_ws, _ = await agent_socket(stranger)
    assert (await other_consumer_ws.request(signal))["code"] == "not_found"
    assert (await stranger_ws.request(signal))["code"] == "not_found"
    assert (await stranger_ws.request({"type": "call.hangup", "call_id": call_id}))["code"] == "not_found"
    assert (await other_consumer_ws.request({"type": "call.ice", "call_id": call_id}))["code"] == "not_found"
    assert await consumer_ws.nothing() and await agent_ws.nothing()
    assert (await sync_to_async(Call.objects.get)(pk=call_id)).state == "connecting"
    for socket in (agent_ws, consumer_ws, other_consumer_ws, stranger_ws):
        await socket.close()


async def test_call_ice_hands_out_fresh_credentials(agent):
    agent_ws, consumer_ws, conversation_id = await online_agent_with_conversation(agent)
    call_id = await ring(agent_ws, consumer_ws, conversation_id)
    await accept(consumer_ws, call_id)
    await consumer_ws.until("call.state", state="connecting")
    answer = await consumer_ws.request({"type": "call.ice", "call_id": call_id}, "ice-1")
    assert answer["type"] == "call.ice" and answer["call_id"] == call_id
    [turn] = [s for s in answer["ice"]["iceServers"] if "username" in s]
    assert turn["username"].endswith(f"call{call_id}-consumer")
    assert await consumer_ws.nothing()  # answered once: no `ok` after the `call.ice`
    await agent_ws.close()
    await consumer_ws.close()


async def test_sockets_refused_with_codes(agent, settings):
    created = await sync_to_async(start_conversation)(agent.account.slug)
    token = created["consumer_token"]
    assert await refused_code("/ws/consumer/", [ORIGIN, HOST]) == 4401
    assert await refused_code(f"/ws/consumer/?token={token[:-2]}xx", [ORIGIN, HOST]) == 4401
    assert await refused_code("/ws/agent/", [ORIGIN, HOST]) == 4401
    # A foreign Origin is refused at the handshake.
    assert await refused_code(f"/ws/consumer/?token={token}", [(b"origin", b"https://evil.example"), HOST]) is None
    settings.CONSUMER_TOKEN_MAX_AGE_S = -1  # every token is now expired
    assert await refused_code(f"/ws/consumer/?token={token}", [ORIGIN, HOST]) == 4401


async def test_deactivated_account_consumer_is_refused(agent):
    created = await sync_to_async(start_conversation)(agent.account.slug)
    await sync_to_async(type(agent.account).objects.filter(pk=agent.account_id).update)(active=False)
    assert await refused_code(f"/ws/consumer/?token={created['consumer_token']}", [ORIGIN, HOST]) == 4403


async def test_agent_cannot_call_from_two_conversations_at_once(agent):
    agent_ws, consumer_ws, conversation_id = await online_agent_with_conversation(agent)
    await ring(agent_ws, consumer_ws, conversation_id)
    other = await sync_to_async(Conversation.objects.create)(account=agent.account, agent=agent, state="open")
    refused = await agent_ws.request({"type": "call.invite", "conversation_id": other.pk, "media": "voice"})
    assert refused["code"] == "invalid_state"
    await agent_ws.close()
    await consumer_ws.close()


async def test_sockets_per_consumer_token_and_per_agent_are_capped(agent, settings):
    """One token or one agent cannot pile up sockets: past the cap the next is closed with 4429,
    and a slot frees when a socket leaves."""
    settings.WS_MAX_SOCKETS_PER_CONVERSATION = 2
    settings.WS_MAX_SOCKETS_PER_AGENT = 2
    created = await sync_to_async(start_conversation)(agent.account.slug)
    path = f"/ws/consumer/?token={created['consumer_token']}"
    first, _ = await consumer_socket(created["consumer_token"])
    second, _ = await consumer_socket(created["consumer_token"])
    assert await refused_code(path, [ORIGIN, HOST]) == 4429
    await first.close()
    third, hello = await consumer_socket(created["consumer_token"])
    assert hello["conversation"]["id"] == created["id"]

    tabs = [await agent_socket(agent) for _ in range(2)]
    cookie = await sync_to_async(session_cookie)(agent)
    assert await refused_code("/ws/agent/", [ORIGIN, HOST, (b"cookie", cookie)]) == 4429
    for socket in (second, third, *(tab for tab, _ in tabs)):
        await socket.close()
    # Nothing of them stays behind in the process's table of local sockets.
    assert consumer_group(created["id"]) not in relay._local_members
    assert agent_group(agent.pk) not in relay._local_members
    assert consumer_group(created["id"]) not in limits._slots and agent_group(agent.pk) not in limits._slots


async def live_socket(user) -> WebsocketCommunicator:
    cookie = await sync_to_async(session_cookie)(user)
    return WebsocketCommunicator(application, "/ws/live/", headers=[ORIGIN, HOST, (b"cookie", cookie)])


async def test_admins_live_panel_hears_every_call_of_their_account_and_nothing_else(agent, other_account):
    """
    GIVEN an admin's live panel socket (the reports page) and one of another account
    WHEN an agent of the first account invites and the call is accepted and ended
    THEN the first panel gets `call.live` for each transition with the bare call (no invitation, no
         ICE credentials), the other account's panel hears nothing, and the admin is not made an
         online agent (conversations are not routed to someone watching reports)
    """
    admin = await sync_to_async(AdminFactory)(account=agent.account)
    stranger = await sync_to_async(AdminFactory)(account=other_account)
    panel, foreign_panel = await live_socket(admin), await live_socket(stranger)
    for communicator in (panel, foreign_panel):
        connected, _ = await communicator.connect()
        assert connected and (await communicator.receive_json_from())["type"] == "hello"
    assert not await sync_to_async(AgentConnection.objects.filter(agent=admin).exists)()

    agent_ws, consumer_ws, conversation_id = await online_agent_with_conversation(agent)
    call_id = await ring(agent_ws, consumer_ws, conversation_id)
    await accept(consumer_ws, call_id)
    await agent_ws.send({"type": "call.hangup", "call_id": call_id})
    states = []
    while len(states) < 3:
        frame = await panel.receive_json_from(timeout=3)
        assert frame["type"] == "call.live" and set(frame) == {"type", "call"}
        assert frame["call"]["id"] == call_id
        states.append(frame["call"]["state"])
    assert states == ["ringing", "connecting", "cancelled"]
    assert await foreign_panel.receive_nothing(timeout=0.3)

    # The panel only listens.
    await panel.send_json_to({"type": "call.invite", "conversation_id": conversation_id, "media": "voice"})
    assert (await panel.receive_json_from())["code"] == "unknown_type"
    for communicator in (panel, foreign_panel):
        await communicator.disconnect()
    await agent_ws.close()
    await consumer_ws.close()


async def test_live_panel_refuses_agents_and_strangers(agent):
    assert await refused_code("/ws/live/", [ORIGIN, HOST]) == 4401
    cookie = await sync_to_async(session_cookie)(agent)
    assert await refused_code("/ws/live/", [ORIGIN, HOST, (b"cookie", cookie)]) == 4403


async def test_agent_of_a_paused_account_cannot_open_the_agent_socket(agent):
    await sync_to_async(type(agent.account).objects.filter(pk=agent.account_id).update)(active=False)
    cookie = await sync_to_async(session_cookie)(agent)
    assert await refused_code("/ws/agent/", [ORIGIN, HOST, (b"cookie", cookie)]) == 4403


async def test_live_panel_sockets_are_capped_and_rate_limited(agent, settings):
    settings.WS_MAX_SOCKETS_PER_AGENT = 1
    settings.WS_RATE_BURST = 2
    admin = await sync_to_async(AdminFactory)(account=agent.account)
    panel = await live_socket(admin)
    assert (await panel.connect())[0] and (await panel.receive_json_from())["type"] == "hello"
    cookie = await sync_to_async(session_cookie)(admin)
    assert await refused_code("/ws/live/", [ORIGIN, HOST, (b"cookie", cookie)]) == 4429
    codes = []
    for _ in range(3):
        await panel.send_json_to({"type": "anything"})
        codes.append((await panel.receive_json_from())["code"])
    assert codes == ["unknown_type", "unknown_type", "rate_limited"]
    await panel.disconnect()
    assert f"live.{admin.pk}" not in limits._slots


async def test_open_sockets_close_when_their_user_loses_access(agent):
    """
    GIVEN an agent's socket and an admin's live panel, open
    WHEN the admin is demoted to agent, the agent is deactivated, and (with fresh sockets) the
         account is paused, each through the services or a save as the console and admin do
    THEN each socket concerned is closed at once (4403 demoted or paused, 4401 deactivated) and a
         socket of a user whose access did not change stays open
    """
    from accounts.models import Account, User
    from accounts.services import user_set_active

    admin = await sync_to_async(AdminFactory)(account=agent.account)
    colleague = await sync_to_async(UserFactory)(account=agent.account)
    agent_ws, _ = await agent_socket(agent)
    colleague_ws, _ = await agent_socket(colleague)
    panel = await live_socket(admin)
    assert (await panel.connect())[0] and (await panel.receive_json_from())["type"] == "hello"

    def demote() -> None:
        admin.role = User.Role.AGENT
        admin.save(update_fields=["role"])

    await sync_to_async(demote)()
    assert await panel.receive_output(timeout=3) == {"type": "websocket.close", "code": 4403}
    await sync_to_async(user_set_active)(user=agent, active=False)
    assert await agent_ws.communicator.receive_output(timeout=3) == {"type": "websocket.close", "code": 4401}
    assert await colleague_ws.nothing()

    def pause() -> None:
        account = Account.objects.get(pk=agent.account_id)
        account.active = False
        account.save()

    await sync_to_async(pause)()
    assert await colleague_ws.communicator.receive_output(timeout=3) == {"type": "websocket.close", "code": 4403}
    for communicator in (panel, agent_ws.communicator, colleague_ws.communicator):
        await app_finished(communicator)


async def test_while_ringing_only_the_agents_offer_goes_and_it_carries_no_address(agent):
    """Setup while ringing (docs/protocol.md): the agent's offer reaches the consumer's window before
    the accept, but no candidate and no address does; the window's answer may follow its accept's
    `ok` at once, before its own `connecting` frame."""
    agent_ws, consumer_ws, conversation_id = await online_agent_with_conversation(agent)
    call_id = await ring(agent_ws, consumer_ws, conversation_id)
    await consumer_ws.until("call.state", state="ringing")

    def signal(payload: dict) -> dict:
        return {"type": "call.signal", "call_id": call_id, "signal": payload}

    bare_offer = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n"
    assert (await agent_ws.request(signal({"sdp": {"type": "offer", "sdp": bare_offer}})))["type"] == "ok"
    relayed = await consumer_ws.until("call.signal")
    assert relayed == {
        "type": "call.signal",
        "call_id": call_id,
        "from": "agent",
        "signal": {"sdp": {"type": "offer", "sdp": bare_offer}},
    }

    refused = [
        {"candidate": {"candidate": CANDIDATES[0], "sdpMid": "0", "sdpMLineIndex": 0}},
        {"candidate": None},
        {"sdp": {"type": "offer", "sdp": bare_offer + f"a={CANDIDATES[0]}\r\n"}},
        {"sdp": {"type": "offer", "sdp": bare_offer.replace("c=IN IP4 0.0.0.0", "c=IN IP4 192.0.2.7")}},
        {"sdp": {"type": "offer", "sdp": "v=0\r\nc=IN IP6 2001:db8::7\r\n"}},
        {"sdp": {"type": "answer", "sdp": ANSWER_SDP}},
    ]
    for payload in refused:
        answer = await agent_ws.request(signal(payload))
        assert answer["code"] == "invalid_state", (payload, answer)
    assert (await consumer_ws.request(signal({"sdp": {"type": "answer", "sdp": ANSWER_SDP}})))[
        "code"
    ] == "invalid_state"
    assert await consumer_ws.nothing() and await agent_ws.nothing()

    # The accept's `ok`, then the answer at once: relayed, not refused for a `connecting` not yet seen.
    accepted = await consumer_ws.request(
        {
            "type": "call.accept",
            "call_id": call_id,
            "client": {"user_agent": CHROME, "webrtc": True, "camera": True, "microphone": True},
        }
    )
    assert accepted["type"] == "ok", accepted
    await consumer_ws.send(signal({"sdp": {"type": "answer", "sdp": ANSWER_SDP}}))
    answer = await agent_ws.until("call.signal")
    assert answer["from"] == "consumer" and answer["signal"]["sdp"] == {"type": "answer", "sdp": ANSWER_SDP}
    # Nothing of any of it was stored.
    events = await sync_to_async(
        lambda: list(CallEvent.objects.filter(call_id=call_id).values_list("data", flat=True))
    )()
    assert "v=0" not in json.dumps(events)
    await agent_ws.close()
    await consumer_ws.close()
