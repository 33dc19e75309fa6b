"""Continue on my phone (issue 18 item 2), over the real ASGI application: a live call moves from the
consumer's computer to their phone with a one-time code, the call row and the agent's side go on,
and every bad code is refused with the protocol's error codes and changes nothing."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django.utils import timezone

from calls import services
from calls.models import Call, CallEvent, CallHandoff, CommandReceipt, Message
from calls.services.handoffs import CODE_ALPHABET, code_hash, normalise_code
from calls.tokens import consumer_token_for, read_consumer_token
from consoleproj.logscrub import scrub

from .factories import UserFactory
from .test_calls_protocol import accept, online_agent_with_conversation, ring
from .ws import consumer_socket

pytestmark = pytest.mark.django_db(transaction=True)

PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 15; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/156.0.0.0 Mobile Safari/537.36"
)
PHONE = {"user_agent": PHONE_UA, "webrtc": True, "camera": True, "microphone": True}


async def active_call(agent):
    """An agent and the consumer's computer in an active video call."""
    agent_ws, desktop_ws, conversation_id = await online_agent_with_conversation(agent)
    call_id = await ring(agent_ws, desktop_ws, conversation_id)
    await accept(desktop_ws, call_id)
    await desktop_ws.until("call.state", state="connecting")
    await desktop_ws.send({"type": "call.connected", "call_id": call_id})
    await agent_ws.until("call.state", state="active")
    await desktop_ws.until("call.state", state="active")
    return agent_ws, desktop_ws, conversation_id, call_id


def claim(code: str, call_id: int, account: str, client: dict | None = None):
    return Client().post(
        "/api/v1/handoffs/claim",
        {"code": code, "call_id": call_id, "account": account, "client": client or PHONE},
        content_type="application/json",
    )


def snapshot(call_id: int) -> dict:
    """What a refused claim must leave as it was."""
    call = Call.objects.get(pk=call_id)
    return {
        "call": (call.state, call.consumer_device, call.consumer_audio_only, call.agent_id),
        "events": CallEvent.objects.filter(call_id=call_id).count(),
        "messages": Message.objects.filter(conversation_id=call.conversation_id).count(),
        "claimed": list(CallHandoff.objects.filter(call_id=call_id).values_list("pk", "claimed_at")),
    }


async def test_the_call_moves_to_the_phone_and_the_computer_lets_go(agent, caplog):
    caplog.set_level(logging.DEBUG)
    agent_ws, desktop_ws, conversation_id, call_id = await active_call(agent)

    asked = await desktop_ws.request({"type": "call.handoff", "call_id": call_id}, "h1")
    assert asked["type"] == "ok", asked
    code = asked["code"].replace("-", "")
    assert len(code) == 12 and set(code) <= set(CODE_ALPHABET)
    assert asked["url"] == f"http://127.0.0.1:8000/go/{code}"
    assert asked["qr"].startswith("data:image/svg+xml")
    assert asked["ttl_s"] == 300
    # Stored as a keyed hash only: the code is in no column, not in a command receipt.
    handoff = await sync_to_async(CallHandoff.objects.get)(call_id=call_id)
    assert handoff.code_hash == code_hash(code) and code not in handoff.code_hash
    assert not await sync_to_async(CommandReceipt.objects.filter(answer__icontains=code).exists)()

    # Opening the link changes nothing (link previews, QR scanners): the account's words and the button.
    page = await sync_to_async(Client().get)(f"/go/{asked['code'].lower()}")
    assert page.status_code == 200
    assert page["Referrer-Policy"] == "no-referrer"
    assert b"Continue the call on this phone" in page.content and b"Back camera" in page.content
    assert (await sync_to_async(Call.objects.get)(pk=call_id)).consumer_device == 0

    answer = await sync_to_async(claim)(asked["code"], call_id, agent.account.slug)
    assert answer.status_code == 200, answer.content
    body = answer.json()
    phone_token = body["consumer_token"]
    assert read_consumer_token(phone_token) == (conversation_id, agent.account_id, handoff.pk)
    assert body["call_id"] == call_id and body["conversation_id"] == conversation_id

    # The computer hears the transcript line and `call.moved`, then its call frames are refused.
    line = await desktop_ws.until("message")
    assert line["message"]["text"] == "You continued the video call on your phone."
    moved = await desktop_ws.until("call.moved")
    assert moved["call"]["id"] == call_id and moved["call"]["consumer_device"] == handoff.pk
    peer = await agent_ws.until("call.peer")
    assert peer["connection"] == "moved" and peer["call"]["state"] == "active"
    refused = await desktop_ws.request({"type": "call.hangup", "call_id": call_id}, "h2")
    assert refused["type"] == "error" and refused["code"] == "invalid_state"
    signal = {"type": "call.signal", "call_id": call_id, "signal": {"candidate": None}}
    assert (await desktop_ws.request(signal, "s1"))["code"] == "not_found"
    media = {"type": "call.media", "call_id": call_id, "audio": True, "video": True}
    assert (await desktop_ws.request(media, "m1"))["code"] == "not_found"  # not a call of this device

    # The phone joins the same call: its hello carries the call with fresh ICE for the consumer side.
    phone_ws, hello = await consumer_socket(phone_token)
    assert hello["device"] == handoff.pk and hello["call"]["id"] == call_id
    assert hello["call"]["state"] == "active" and "ice" in hello["call_extras"]
    back = await agent_ws.until("call.peer")
    assert back["connection"] == "back"
    await phone_ws.send({"type": "call.signal", "call_id": call_id, "signal": {"candidate": None}})
    relayed = await agent_ws.until("call.signal")
    assert relayed["from"] == "consumer"
    answer = await phone_ws.request(
        {"type": "call.media", "call_id": call_id, "audio": True, "video": True, "camera": "back"}
    )
    assert answer["type"] == "ok"

    # A reload of the computer's window does not rejoin: the call is the phone's (no ICE for it).
    again_ws, again = await consumer_socket(
        consumer_token_for(conversation_id=conversation_id, account_id=agent.account_id)
    )
    assert again["device"] == 0 and again["call_extras"] == {"moved": True}

    # The phone ends it: the same row, never a second invitation.
    assert (await phone_ws.request({"type": "call.hangup", "call_id": call_id}, "end"))["type"] == "ok"
    ended = await again_ws.until("call.state", state="completed")
    assert ended.get("moved") is True and "ice" not in ended
    call = await sync_to_async(Call.objects.get)(pk=call_id)
    assert call.state == "completed" and call.end_reason == "consumer_hangup"
    states = await sync_to_async(list)(
        CallEvent.objects.filter(call_id=call_id, kind="state").values_list("state", flat=True)
    )
    assert states == ["ringing", "connecting", "active", "completed"]
    assert await sync_to_async(Call.objects.filter(conversation_id=conversation_id).count)() == 1
    event = await sync_to_async(CallEvent.objects.get)(call_id=call_id, kind="handoff")
    assert event.data == {"handoff": handoff.pk, "from_device": 0, "browser": "Chrome Mobile 156"}
    # The raw code is in no event, message or log line.
    events = await sync_to_async(list)(CallEvent.objects.filter(call_id=call_id).values_list("data", flat=True))
    lines = await sync_to_async(list)(
        Message.objects.filter(conversation_id=conversation_id).values_list("text", flat=True)
    )
    assert not any(code in json.dumps(data) for data in events) and not any(code in line for line in lines)
    assert code not in caplog.text
    for ws in (agent_ws, desktop_ws, phone_ws, again_ws):
        await ws.close()


async def test_every_bad_code_is_refused_and_changes_nothing(agent, other_account):
    agent_ws, desktop_ws, conversation_id, call_id = await active_call(agent)
    slug = agent.account.slug
    first = (await desktop_ws.request({"type": "call.handoff", "call_id": call_id}, "a"))["code"]
    second = (await desktop_ws.request({"type": "call.handoff", "call_id": call_id}, "b"))["code"]
    before = await sync_to_async(snapshot)(call_id)

    async def refused(code, *, call=call_id, account=slug, client=None) -> tuple[str, str, str]:
        response = await sync_to_async(claim)(code, call, account, client)
        assert response.status_code == 400, response.content
        body = response.json()
        assert await sync_to_async(snapshot)(call_id) == before, "a refused claim changed something"
        return body["error"], body["reason"], body["code"][0]

    assert (await refused("not-a-code!"))[:2] == ("bad_request", "malformed")
    assert (await refused(""))[:2] == ("bad_request", "malformed")
    unknown = "".join(reversed(second.replace("-", "")))
    assert (await refused(unknown))[:2] == ("not_found", "unknown")
    # A genuine code presented for another call, or as another account's.
    assert (await refused(second, call=call_id + 1))[:2] == ("not_found", "unknown")
    assert (await refused(second, account=other_account.slug))[:2] == ("not_found", "unknown")
    # The earlier code stopped working when the newer one was made.
    error, reason, words = await refused(first)
    assert (error, reason) == ("expired", "replaced") and words.startswith("This code has expired.")
    # A phone that cannot take the call leaves it where it is, in the account's words.
    old = {**PHONE, "user_agent": "Mozilla/5.0 (compatible; MSIE 9.0; Windows NT 6.1; Trident/5.0)"}
    assert (await refused(second, client=old))[:2] == ("invalid_state", "unsupported_browser")
    # Past its lifetime.
    await sync_to_async(CallHandoff.objects.filter(code_hash=code_hash(normalise_code(second))).update)(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert (await refused(second))[:2] == ("expired", "expired")

    # Used once: the second presentation is refused in words.
    third = (await desktop_ws.request({"type": "call.handoff", "call_id": call_id}, "c"))["code"]
    assert (await sync_to_async(claim)(third, call_id, slug)).status_code == 200
    before = await sync_to_async(snapshot)(call_id)
    error, reason, words = await refused(third)
    assert (error, reason) == ("invalid_state", "used") and words.startswith("This code was already used.")
    # The phone's page says so too, with the account's words (410), and an unknown code says it does not work.
    page = await sync_to_async(Client().get)(f"/go/{third}")
    assert page.status_code == 410 and b"This code was already used." in page.content
    page = await sync_to_async(Client().get)(f"/go/{unknown}")
    assert page.status_code == 404 and b"This code does not work" in page.content
    for ws in (agent_ws, desktop_ws):
        await ws.close()


async def test_a_code_of_an_ended_call_is_refused(agent):
    agent_ws, desktop_ws, conversation_id, call_id = await active_call(agent)
    code = (await desktop_ws.request({"type": "call.handoff", "call_id": call_id}, "a"))["code"]
    assert (await agent_ws.request({"type": "call.hangup", "call_id": call_id}, "end"))["type"] == "ok"
    response = await sync_to_async(claim)(code, call_id, agent.account.slug)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_state" and response.json()["reason"] == "ended"
    assert (await sync_to_async(Call.objects.get)(pk=call_id)).consumer_device == 0
    for ws in (agent_ws, desktop_ws):
        await ws.close()


async def test_the_socket_refuses_codes_for_calls_that_are_not_the_consumers(agent, other_account):
    agent_ws, desktop_ws, conversation_id, call_id = await active_call(agent)
    other_agent = await sync_to_async(UserFactory)(account=other_account)
    other_agent_ws, other_ws, other_conversation = await online_agent_with_conversation(other_agent)
    other_call = await ring(other_agent_ws, other_ws, other_conversation)

    # Another account's call, a call still ringing, a frame that does not fit the schema.
    assert (await other_ws.request({"type": "call.handoff", "call_id": call_id}, "x"))["code"] == "not_found"
    assert (await other_ws.request({"type": "call.handoff", "call_id": other_call}, "r"))["code"] == "invalid_state"
    keyed = {"type": "call.handoff", "call_id": call_id, "key": "k1"}
    assert (await desktop_ws.request(keyed, "k"))["code"] == "bad_request"
    assert await sync_to_async(CallHandoff.objects.count)() == 0
    for ws in (agent_ws, desktop_ws, other_agent_ws, other_ws):
        await ws.close()


def test_codes_read_as_typed_and_never_reach_a_log():
    assert normalise_code("7kq4-m2xp-9hta") == "7KQ4M2XP9HTA"
    assert normalise_code("7KQ4 M2XP 9HTO") == "7KQ4M2XP9HT0"  # O is read as zero
    assert normalise_code("7KQ4M2XP9HT") is None and normalise_code("7KQ4M2XP9HTU") is None
    assert normalise_code(None) is None
    line = '127.0.0.1:5000 - - [02/Dec/2026:08:00:00] "GET /go/7KQ4M2XP9HTA HTTP/1.1" 200 1234'
    assert "7KQ4M2XP9HTA" not in scrub(line) and "/go/[scrubbed]" in scrub(line)


def test_the_phones_token_is_its_own(account):
    desktop = consumer_token_for(conversation_id=5, account_id=account.pk)
    phone = consumer_token_for(conversation_id=5, account_id=account.pk, device=9)
    assert read_consumer_token(desktop) == (5, account.pk, 0)
    assert read_consumer_token(phone) == (5, account.pk, 9)
    assert phone.split(":")[0] != desktop.split(":")[0]


def test_the_rollup_counts_calls_continued_on_a_phone(account, agent):
    from datetime import UTC, date, datetime

    from reporting import services as reporting
    from reporting.models import SessionRollup

    at = datetime(2025, 5, 1, 10, tzinfo=UTC)
    for device in (0, 7):
        conversation = services.conversation_create(account=account, channel="web_messaging")
        Call.objects.create(
            account=account,
            conversation=conversation,
            agent=agent,
            media="video",
            state="completed",
            created_at=at,
            answered_at=at + timedelta(seconds=5),
            started_at=at + timedelta(seconds=6),
            ended_at=at + timedelta(seconds=60),
            duration_s=54,
            consumer_device=device,
        )
    reporting.rollup_days(accounts=[account], first=date(2025, 5, 1), last=date(2025, 5, 1))
    row = SessionRollup.objects.get(account=account, interval="day", media="video")
    assert row.handed_off == 1 and row.sessions == 2
