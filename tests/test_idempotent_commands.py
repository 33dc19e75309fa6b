"""Every socket command that writes is applied at most once per idempotency `key`: a resend answers
as the first did and writes nothing (calls/commands.py). And what `unavailable` means now: only
that nothing was written; a publish failing after the commit is not reported as one."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.utils import timezone
from redis.exceptions import ConnectionError as RedisConnectionError

from calls.models import Call, CallEvent, CommandReceipt, Conversation, Message

from .test_calls_protocol import CHROME, accept, online_agent_with_conversation, ring, start_conversation
from .ws import agent_socket, consumer_socket

pytestmark = pytest.mark.django_db(transaction=True)

CLIENT = {"user_agent": CHROME, "webrtc": True, "camera": True, "microphone": True}


def _snapshot() -> dict:
    """Everything a command can write."""
    return {
        "messages": list(Message.objects.order_by("id").values_list("id", "author", "text")),
        "events": CallEvent.objects.count(),
        "calls": list(Call.objects.order_by("id").values_list("id", "state", "end_reason")),
        "conversations": list(Conversation.objects.order_by("id").values_list("id", "state", "agent_id")),
        "receipts": CommandReceipt.objects.count(),
    }


snapshot = sync_to_async(_snapshot)


def _answer(frame: dict) -> dict:
    return {k: v for k, v in frame.items() if k != "re"}


async def reached(ws, state: str) -> None:
    """The socket was told of the call reaching `state` (maybe while it awaited an answer)."""
    if not any(f["type"] == "call.state" and f["call"]["state"] == state for f in ws.seen):
        await ws.until("call.state", state=state)


async def once_and_again(ws, frame: dict, key: str) -> dict:
    """Send `frame` with `key`, then resend it (another `id`, the same key): the resend gets the same
    answer and the database is exactly as the first left it. Returns the first answer."""
    first = await ws.request({**frame, "key": key}, f"{key}-first")
    after_first = await snapshot()
    again = await ws.request({**frame, "key": key}, f"{key}-again")
    assert _answer(again) == _answer(first), (frame["type"], first, again)
    assert await snapshot() == after_first, f"the resend of {frame['type']} wrote"
    return first


async def test_every_command_of_a_whole_call_is_applied_once_per_key(account, agent):
    """
    GIVEN an agent and a consumer in a conversation
    WHEN each command of a whole call (take, messages, invite, accept, connected, media, stats,
         hang-up, close) is sent with a key and then resent with the same key
    THEN each resend gets the first answer and writes nothing
    """
    agent_ws, _ = await agent_socket(agent)
    queued = await sync_to_async(start_conversation)(account.slug)  # routed to the online agent
    conversation_id = queued["id"]
    consumer_ws, _ = await consumer_socket(queued["consumer_token"])
    try:
        sent = await once_and_again(
            agent_ws, {"type": "message.send", "conversation_id": conversation_id, "text": "Hello"}, "a-msg-1"
        )
        assert sent["type"] == "ok" and sent["message_id"]
        sent = await once_and_again(consumer_ws, {"type": "message.send", "text": "Hi!"}, "c-msg-1")
        assert sent["type"] == "ok"

        invited = await once_and_again(
            agent_ws, {"type": "call.invite", "conversation_id": conversation_id, "media": "video"}, "a-invite"
        )
        call_id = invited["call_id"]
        accepted = await once_and_again(
            consumer_ws, {"type": "call.accept", "call_id": call_id, "client": CLIENT}, "c-accept"
        )
        assert accepted == {"type": "ok", "re": "c-accept-first", "call_id": call_id}
        await reached(agent_ws, "connecting")
        await reached(consumer_ws, "connecting")

        for ws, side in ((agent_ws, "a"), (consumer_ws, "c")):
            assert (await once_and_again(ws, {"type": "call.connected", "call_id": call_id}, f"{side}-conn"))[
                "type"
            ] == "ok"
        await reached(agent_ws, "active")
        await reached(consumer_ws, "active")
        for ws, side in ((agent_ws, "a"), (consumer_ws, "c")):
            media = {"type": "call.media", "call_id": call_id, "audio": False, "video": True, "camera": None}
            assert (await once_and_again(ws, media, f"{side}-mute"))["type"] == "ok"
            stats = {"type": "call.stats", "call_id": call_id, "stats": {"rtt_ms": 40, "packet_loss_pct": 0.5}}
            assert (await once_and_again(ws, stats, f"{side}-stats"))["type"] == "ok"

        hung_up = await once_and_again(consumer_ws, {"type": "call.hangup", "call_id": call_id}, "c-hangup")
        assert hung_up["type"] == "ok"
        call = await sync_to_async(Call.objects.get)(pk=call_id)
        assert (call.state, call.end_reason) == ("completed", "consumer_hangup")

        closed = await once_and_again(
            agent_ws, {"type": "conversation.close", "conversation_id": conversation_id}, "a-close"
        )
        assert closed["conversation_id"] == conversation_id

        stored = await snapshot()
        assert [text for _, author, text in stored["messages"] if author != "system"] == ["Hello", "Hi!"]
        # One event per state (ringing, connecting, active, completed), two connected, two media, two stats.
        assert stored["events"] == 10
    finally:
        await agent_ws.close()
        await consumer_ws.close()


async def test_taking_a_queued_conversation_and_rejecting_are_applied_once(account, agent):
    queued = await sync_to_async(start_conversation)(account.slug)  # nobody online: queued
    agent_ws, _ = await agent_socket(agent)
    consumer_ws, _ = await consumer_socket(queued["consumer_token"])
    try:
        taken = await once_and_again(
            agent_ws, {"type": "conversation.take", "conversation_id": queued["id"]}, "take-17"
        )
        assert taken["type"] == "ok"
        call_id = await ring(agent_ws, consumer_ws, queued["id"])
        rejected = await once_and_again(consumer_ws, {"type": "call.reject", "call_id": call_id}, "reject-1")
        assert rejected == {"type": "ok", "re": "reject-1-first", "call_id": call_id}
        assert await sync_to_async(lambda: Call.objects.get(pk=call_id).state)() == "rejected"
    finally:
        await agent_ws.close()
        await consumer_ws.close()


async def test_a_resend_from_a_new_socket_is_replayed_and_a_key_is_per_client(account, agent):
    """
    GIVEN a message sent with a key whose answer the client never read (its socket dropped)
    WHEN the client reconnects and resends it with the same key
    THEN it gets the first answer and the message is stored once; another conversation's consumer
         using the same key string is a different client, whose message is stored
    """
    agent_ws, consumer_ws, conversation_id = await online_agent_with_conversation(agent)
    await consumer_ws.send({"type": "message.send", "text": "Are you there?", "key": "k-1", "id": 1})
    first = await consumer_ws.until("ok")
    await consumer_ws.close()
    token = await sync_to_async(lambda: _token(conversation_id))()
    again_ws, hello = await consumer_socket(token)
    assert [m["text"] for m in hello["messages"]] == ["Are you there?"]  # the truth, from hello
    resent = await again_ws.request({"type": "message.send", "text": "Are you there?", "key": "k-1"}, "2")
    assert resent["message_id"] == first["message_id"]
    other = await sync_to_async(start_conversation)(account.slug)
    other_ws, _ = await consumer_socket(other["consumer_token"])
    theirs = await other_ws.request({"type": "message.send", "text": "Hello", "key": "k-1"}, "3")
    assert theirs["type"] == "ok" and theirs["message_id"] != first["message_id"]
    assert await sync_to_async(Message.objects.filter(author="consumer").count)() == 2
    for ws in (agent_ws, again_ws, other_ws):
        await ws.close()


def _token(conversation_id: int) -> str:
    from .test_calls_protocol import start_conversation_token

    return start_conversation_token(conversation_id)


async def test_a_key_used_for_another_command_is_refused_and_writes_nothing(agent):
    agent_ws, consumer_ws, conversation_id = await online_agent_with_conversation(agent)
    try:
        await consumer_ws.request({"type": "message.send", "text": "one", "key": "same"}, "1")
        before = await snapshot()
        call_id = await ring(agent_ws, consumer_ws, conversation_id)
        after_ring = await snapshot()
        refused = await consumer_ws.request(
            {"type": "call.accept", "call_id": call_id, "client": CLIENT, "key": "same"}
        )
        assert refused["type"] == "error" and refused["code"] == "bad_request"
        assert await snapshot() == after_ring != before
    finally:
        await agent_ws.close()
        await consumer_ws.close()


async def test_a_refused_command_keeps_no_receipt_so_its_resend_runs_again(agent):
    agent_ws, consumer_ws, conversation_id = await online_agent_with_conversation(agent)
    try:
        await sync_to_async(Conversation.objects.filter(pk=conversation_id).update)(state="closed")
        refused = await consumer_ws.request({"type": "message.send", "text": "late", "key": "k-late"})
        assert refused["code"] == "invalid_state"
        assert await sync_to_async(CommandReceipt.objects.count)() == 0
        await sync_to_async(Conversation.objects.filter(pk=conversation_id).update)(state="open")
        taken = await consumer_ws.request({"type": "message.send", "text": "late", "key": "k-late"}, "2")
        assert taken["type"] == "ok"
        assert await sync_to_async(Message.objects.filter(text="late").count)() == 1
    finally:
        await agent_ws.close()
        await consumer_ws.close()


async def test_concurrent_duplicates_of_one_key_write_once(agent):
    """Two sockets of the same consumer send the same keyed message at once (a resend racing the
    first attempt): one message, both answered with its id."""
    agent_ws, consumer_ws, conversation_id = await online_agent_with_conversation(agent)
    second_ws, _ = await consumer_socket(await sync_to_async(_token)(conversation_id))
    try:
        frame = {"type": "message.send", "text": "twice?", "key": "race-1"}
        answers = await asyncio.gather(consumer_ws.request(frame, "x"), second_ws.request(frame, "y"))
        assert answers[0]["message_id"] == answers[1]["message_id"]
        assert await sync_to_async(Message.objects.filter(text="twice?").count)() == 1
    finally:
        for ws in (agent_ws, consumer_ws, second_ws):
            await ws.close()


async def test_an_expired_invitation_is_refused_at_accept_without_any_timer(agent, settings):
    """
    GIVEN a ringing invitation whose deadline has passed, and no timer of any kind running (no
         in-process sweeper, eager Celery: no countdown, no beat)
    WHEN the consumer accepts it
    THEN the answer is `expired`, the call is ended as missed with the ring timeout's reason, both
         sides are told, and a resend of the accept answers the same
    """
    assert settings.CALL_TIMERS_IN_PROCESS is False and settings.CELERY_TASK_ALWAYS_EAGER
    agent_ws, consumer_ws, conversation_id = await online_agent_with_conversation(agent)
    try:
        call_id = await ring(agent_ws, consumer_ws, conversation_id)
        await consumer_ws.until("call.state", state="ringing")
        past = timezone.now() - timedelta(seconds=8)
        await sync_to_async(Call.objects.filter(pk=call_id).update)(ring_deadline=past)
        frame = {"type": "call.accept", "call_id": call_id, "client": CLIENT, "key": "acc-late"}
        refused = await consumer_ws.request(frame, "1")
        assert refused["type"] == "error" and refused["code"] == "expired"
        call = await sync_to_async(Call.objects.get)(pk=call_id)
        assert (call.state, call.end_reason, call.answered_at) == ("expired", "no_answer", None)
        await agent_ws.until("call.state", state="expired")
        again = await consumer_ws.request(frame, "2")
        assert _answer(again) == _answer(refused)
        system = await sync_to_async(
            lambda: list(Message.objects.filter(call_id=call_id).values_list("text", flat=True))
        )()
        assert len(system) == 2  # invited, missed: once
    finally:
        await agent_ws.close()
        await consumer_ws.close()


async def test_a_publish_failing_after_commit_is_not_unavailable_and_skips_nothing(agent, monkeypatch):
    """
    GIVEN the channel layer refusing every publish to the admins' live panel group (the first
          frame a call transition publishes after its commit)
    WHEN the agent invites and the consumer accepts
    THEN both are answered `ok` (the rows are written, so `unavailable` would invite a double
         write), and the frames after the failed one still reach both sides
    """
    agent_ws, consumer_ws, conversation_id = await online_agent_with_conversation(agent)
    layer = get_channel_layer()
    real_group_send = layer.group_send

    async def refusing_live(group, message):
        if group.endswith(".live"):
            raise RedisConnectionError("Connection closed by server.")  # fault injection: Redis gone
        await real_group_send(group, message)

    monkeypatch.setattr(layer, "group_send", refusing_live)
    try:
        invited = await agent_ws.request({"type": "call.invite", "conversation_id": conversation_id, "media": "voice"})
        assert invited["type"] == "ok"
        await agent_ws.until("call.state", state="ringing")
        await consumer_ws.until("call.state", state="ringing")
        await accept(consumer_ws, invited["call_id"])
        await consumer_ws.until("call.state", state="connecting")
        await agent_ws.until("call.state", state="connecting")
        assert not [f for f in consumer_ws.seen + agent_ws.seen if f.get("code") == "unavailable"]
        assert await sync_to_async(lambda: Call.objects.get(pk=invited["call_id"]).state)() == "connecting"
    finally:
        await agent_ws.close()
        await consumer_ws.close()


def test_receipts_are_forgotten_after_their_time_and_heartbeats_age(settings, db):
    """Receipts older than COMMAND_RECEIPT_TTL_S go; the clock heartbeats report their ages."""
    from calls import clock
    from calls.commands import receipts_purge

    now = timezone.now()
    old = CommandReceipt.objects.create(principal="agent.1", key="old", command="message.send")
    CommandReceipt.objects.filter(pk=old.pk).update(
        created_at=now - timedelta(seconds=settings.COMMAND_RECEIPT_TTL_S + 1)
    )
    CommandReceipt.objects.create(principal="agent.1", key="new", command="message.send")
    assert receipts_purge(now=now) == 1
    assert list(CommandReceipt.objects.values_list("key", flat=True)) == ["new"]

    assert clock.clock_heartbeats()["worker"]["status"] == "eager"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    assert clock.clock_heartbeats(now=now) == {
        "worker": {"age_s": None, "status": "unknown"},
        "beat": {"age_s": None, "status": "unknown"},
    }
    clock.heartbeat_record(name=clock.WORKER)
    clock.heartbeat_record(name=clock.BEAT)
    clock.ClockHeartbeat.objects.filter(name=clock.BEAT).update(
        beat_at=now - timedelta(seconds=settings.CLOCK_HEARTBEAT_MAX_AGE_S + 5)
    )
    report = clock.clock_heartbeats(now=now + timedelta(seconds=1))
    assert report["worker"]["status"] == "ok" and report["worker"]["age_s"] < 5
    assert report["beat"] == {"age_s": settings.CLOCK_HEARTBEAT_MAX_AGE_S + 6, "status": "stale"}
