"""Property-based fuzzing of both sockets: no bad frame changes state, kills a socket or logs a server error.

Both sockets stay connected for the whole run, beside a conversation with a ringing call, so every
handler has something real to act on. Each example throws one frame (arbitrary JSON, a known `type`
with broken fields, weird or oversized text, binary, or a well-formed frame naming ids the sender
has no right to) at one socket, then a probe at both sockets: everything before the probe's answer
is the answer to the frame. The protocol (docs/protocol.md) promises exactly one `error` frame with a
listed code for each of them, nothing for the other side, and no change in the database.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from types import SimpleNamespace

import pytest
from asgiref.sync import sync_to_async
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from calls.models import Call, CallEvent, Conversation, Message
from calls.sockets.agent import AGENT_FRAMES
from calls.sockets.consumer import CONSUMER_FRAMES

from .factories import UserFactory
from .ws import HOST, ORIGIN, Socket, agent_socket, app_finished, consumer_socket, refused_code

pytestmark = pytest.mark.django_db(transaction=True)

ERROR_CODES = {
    "bad_request",
    "unknown_type",
    "forbidden",
    "not_found",
    "invalid_state",
    "too_large",
    "rate_limited",
    "media_disabled",
    "not_messaging",
}
MAX_FRAME_BYTES = 64 * 1024
CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"
NO_SUCH_ID = 2**63 - 1  # a valid id that names no row
FRAMES = {"agent": AGENT_FRAMES, "consumer": CONSUMER_FRAMES}
# Frames that end or answer a call (or report on its ringing invitation), or write a message / close a
# conversation, when they name the sender's own live call or conversation: the fuzzer must not send
# those in a valid form.
ENDS_CALL = {"call.accept", "call.reject", "call.hangup", "call.readiness"}
WRITES_CONVERSATION = {"message.send", "conversation.close", "conversation.transfer"}


@pytest.fixture(autouse=True)
def _fresh_throttle():
    """The conversation API's per-address throttle counts live in the cache (Redis in CI's second pass)."""
    cache.clear()


# --- the arena: two live sockets, a ringing call and rows of other people ------------------------------


@dataclass
class Arena:
    loop: asyncio.AbstractEventLoop
    sockets: dict[str, Socket]
    own_conversation: int
    own_chat: int
    own_closed: int
    own_call: int  # ringing
    own_ended_call: int
    colleague_conversation: int
    colleague_call: int  # connecting
    foreign_conversation: int
    foreign_call: int  # ringing, another account
    probes: itertools.count = field(default_factory=lambda: itertools.count(1))

    def run(self, coro):
        return self.loop.run_until_complete(coro)

    def conversation_ids(self, role: str, frame_type: str) -> list[int]:
        """Conversation ids a frame of this type may name without the frame being allowed to act."""
        ids = [self.own_closed, self.colleague_conversation, self.foreign_conversation, NO_SUCH_ID]
        if frame_type not in WRITES_CONVERSATION:
            ids += [self.own_conversation, self.own_chat]
        return ids

    def call_ids(self, role: str, frame_type: str) -> list[int]:
        ids = [self.own_ended_call, self.colleague_call, self.foreign_call, NO_SUCH_ID]
        if frame_type not in ENDS_CALL and not (frame_type == "call.signal" and role == "agent"):
            # Ringing: media frames on it are invalid_state. Not the agent's signals: its offer without
            # an address goes to the consumer while the call rings (test_calls_protocol.py has that case
            # and the refused ones: candidates, answers, offers with an address).
            ids.append(self.own_call)
        return ids

    def would_act(self, role: str, raw: object) -> bool:
        """Would this frame legitimately change something (so it is no fuzz input)?"""
        if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
            return False
        schema = FRAMES[role].get(raw["type"])
        if schema is None:
            return False
        try:
            frame = schema.model_validate(raw)
        except ValidationError:
            return False
        if role == "consumer" and frame.type == "message.send":
            return True
        if frame.type in ENDS_CALL and frame.call_id == self.own_call:
            return True
        return (
            frame.type in WRITES_CONVERSATION
            and role == "agent"
            and frame.conversation_id in (self.own_conversation, self.own_chat)
        )


def start_conversation(slug: str) -> dict:
    response = Client().post(
        "/api/v1/conversations/", {"account": slug, "consumer_name": "Casey"}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    return response.json()


def make_rows(agent, other_account, own_conversation_id: int) -> dict:
    """Rows the fuzzer names: the sender's own in wrong states, a colleague's, another account's."""
    now = timezone.now()
    account = agent.account
    own = Conversation.objects.get(pk=own_conversation_id)
    ended = Call.objects.create(
        account=account,
        conversation=own,
        agent=agent,
        media="voice",
        state="completed",
        end_reason="agent_hangup",
        created_at=now - timedelta(minutes=5),
        started_at=now - timedelta(minutes=4),
        ended_at=now - timedelta(minutes=3),
        duration_s=60,
    )
    chat = Conversation.objects.create(account=account, agent=agent, state="open", channel="chat")
    closed = Conversation.objects.create(account=account, agent=agent, state="closed", closed_at=now)
    colleague = UserFactory(account=account)
    theirs = Conversation.objects.create(account=account, agent=colleague, state="open")
    colleague_call = Call.objects.create(
        account=account,
        conversation=theirs,
        agent=colleague,
        media="video",
        state="connecting",
        answered_at=now,
        connect_deadline=now + timedelta(hours=1),
        agent_deadline=now + timedelta(hours=1),
        consumer_deadline=now + timedelta(hours=1),
    )
    stranger = UserFactory(account=other_account)
    foreign = Conversation.objects.create(account=other_account, agent=stranger, state="open")
    foreign_call = Call.objects.create(
        account=other_account,
        conversation=foreign,
        agent=stranger,
        media="voice",
        ring_deadline=now + timedelta(hours=1),
    )
    return {
        "own_chat": chat.pk,
        "own_closed": closed.pk,
        "own_ended_call": ended.pk,
        "colleague_conversation": theirs.pk,
        "colleague_call": colleague_call.pk,
        "foreign_conversation": foreign.pk,
        "foreign_call": foreign_call.pk,
    }


async def open_arena(agent, other_account, loop) -> Arena:
    agent_ws, _ = await agent_socket(agent)
    created = await sync_to_async(start_conversation)(agent.account.slug)
    routed = await agent_ws.until("conversation")
    assert routed["conversation"]["agent_id"] == agent.pk
    consumer_ws, _ = await consumer_socket(created["consumer_token"])
    rows = await sync_to_async(make_rows)(agent, other_account, created["id"])
    answer = await agent_ws.request({"type": "call.invite", "conversation_id": created["id"], "media": "video"})
    assert answer["type"] == "ok", answer
    await agent_ws.until("call.state", state="ringing")
    await consumer_ws.until("call.state", state="ringing")
    return Arena(
        loop=loop,
        sockets={"agent": agent_ws, "consumer": consumer_ws},
        own_conversation=created["id"],
        own_call=answer["call_id"],
        **rows,
    )


@pytest.fixture
def arena(agent, other_account, settings):
    settings.WS_RATE_BURST = 1_000_000  # the fuzzer is fast; the limiter has its own test below
    settings.WS_RATE_PER_S = 1_000_000.0
    loop = asyncio.new_event_loop()
    arena = None
    try:
        arena = loop.run_until_complete(open_arena(agent, other_account, loop))
        yield arena
    finally:
        if arena is not None:
            for socket in arena.sockets.values():
                loop.run_until_complete(socket.close())
        loop.run_until_complete(cancel_leftovers())
        loop.close()


async def cancel_leftovers() -> None:
    """Tasks the sockets left on the arena's loop (heartbeat tickers) end with it."""
    pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)


def snapshot() -> dict:
    return {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in (Conversation, Message, Call, CallEvent)
    }


# --- strategies -------------------------------------------------------------------------------------------

weird_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "a\x00b",
            "\u202egnp.exe",
            "\u200b",
            "\ufeff",
            "💥" * 10,
            "e\u0301",
            "\r\n",
            "\\",
            '"',
            "<script>alert(1)</script>",
            "' OR 1=1 --",
            "%s%n",
            "NaN",
            "null",
            "-0",
            "1e309",
            "ｃａｌｌ",
        ]
    ),
)
huge_ints = st.sampled_from([0, -1, -(2**31), 2**31, 2**53, 2**63 - 1, 2**63, 2**64, -(2**63) - 1, 10**30, 10**300])
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    huge_ints,
    st.floats(allow_nan=True, allow_infinity=True),
    weird_text,
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(weird_text, children, max_size=4),
    max_leaves=12,
)
frame_ids = st.one_of(
    st.none(),
    st.integers(),
    huge_ints,
    weird_text,
    st.text(min_size=60, max_size=200),
    st.booleans(),
    st.floats(),
    st.lists(st.integers(), max_size=2),
)


def deep(depth: int) -> object:
    value: object = "x"
    for n in range(depth):
        value = [value] if n % 2 else {"k": value}
    return value


def valid_frame(arena: Arena, role: str, frame_type: str, draw) -> dict:
    """A schema-valid frame of `frame_type` whose ids the sender may not act on."""
    conversation_id = draw(st.sampled_from(arena.conversation_ids(role, frame_type)))
    call_id = draw(st.sampled_from(arena.call_ids(role, frame_type)))
    bodies = {
        "conversation.take": {"conversation_id": conversation_id},
        "conversation.close": {"conversation_id": conversation_id},
        "conversation.transfer": {"conversation_id": conversation_id},
        "message.send": (
            {"conversation_id": conversation_id, "text": "hello"} if role == "agent" else {"text": "hello"}
        ),
        "call.invite": {"conversation_id": conversation_id, "media": draw(st.sampled_from(["voice", "video"]))},
        "call.accept": {
            "call_id": call_id,
            "client": {"user_agent": CHROME, "webrtc": True, "camera": True, "microphone": True},
        },
        "call.reject": {"call_id": call_id},
        "call.readiness": {
            "call_id": call_id,
            "client": {"user_agent": CHROME, "webrtc": True, "camera": False, "microphone": True},
            "network": {"stun": "unreachable", "turn": draw(st.sampled_from(["reachable", "refused", "not_checked"]))},
        },
        "call.signal": {
            "call_id": call_id,
            "signal": draw(
                st.sampled_from(
                    [
                        {"sdp": {"type": "offer", "sdp": "v=0\r\n"}},
                        {"candidate": None},
                        {
                            "candidate": {
                                "candidate": "candidate:1 1 udp 1 192.0.2.1 5000 typ host",
                                "sdpMid": "0",
                                "sdpMLineIndex": 0,
                            }
                        },
                    ]
                )
            ),
        },
        "call.connected": {"call_id": call_id},
        "call.media": {"call_id": call_id, "audio": True, "video": False, "camera": "front"},
        "call.stats": {"call_id": call_id, "stats": {"rtt_ms": 12.5, "packet_loss_pct": 1, "candidate_type": "relay"}},
        "call.ice": {"call_id": call_id},
        "call.hangup": {"call_id": call_id, "reason": "user"},
        "call.handoff": {"call_id": call_id},  # the arena's call rings: no code is ever made
        # Screen sharing (issue 16): every call id here is ringing, ended or not the sender's.
        "call.share": {"call_id": call_id, "sharing": True, "surface": "monitor"},
        "call.share.request": {"call_id": call_id},
        "call.share.decline": {"call_id": call_id, "reason": "unsupported"},
    }
    frame = {"type": frame_type, **bodies[frame_type]}
    if draw(st.booleans()):
        frame["id"] = draw(st.one_of(st.integers(0, 2**53 - 1), st.text(max_size=64)))
    return frame


def mutate(frame: dict, draw) -> dict:
    """Break a valid frame: wrong types, extra or missing fields, huge or negative numbers, junk, text."""
    frame = json.loads(json.dumps(frame))
    for _ in range(draw(st.integers(1, 3))):
        keys = [k for k in frame if k != "type"]
        how = draw(st.sampled_from(["retype", "drop", "extra", "huge", "junk", "text", "nested", "id"]))
        if how == "drop" and keys:
            del frame[draw(st.sampled_from(keys))]
        elif how == "extra":
            frame[draw(weird_text.filter(lambda k: k not in frame))] = draw(json_values)
        elif how == "huge" and keys:
            frame[draw(st.sampled_from(keys))] = draw(huge_ints)
        elif how == "junk" and keys:
            frame[draw(st.sampled_from(keys))] = deep(draw(st.integers(1, 60)))
        elif how == "text" and keys:
            frame[draw(st.sampled_from(keys))] = draw(weird_text)
        elif how == "nested":
            nested = [k for k, v in frame.items() if isinstance(v, dict)]
            if nested:
                inner = frame[draw(st.sampled_from(nested))]
                inner[draw(st.sampled_from([*inner, "extra"]))] = draw(json_values)
        elif how == "id":
            frame["id"] = draw(frame_ids)
        elif keys:
            frame[draw(st.sampled_from(keys))] = draw(json_values)
    return frame


@dataclass
class Throw:
    """One frame to throw: JSON text or bytes, and what we know about its answer."""

    text: str | None = None
    data: bytes | None = None
    raw: object = None  # the JSON value, when the frame is JSON
    code: str | None = None  # the error code the frame must get, when it is certain
    kind: str = ""


# The interesting kinds (a known type, broken or naming others' ids) come up more often.
KINDS = [
    "json",
    "object",
    "object",
    "broken",
    "broken",
    "broken",
    "foreign",
    "foreign",
    "foreign",
    "text",
    "oversized",
    "binary",
]


@st.composite
def throws(draw, arena: Arena, role: str) -> Throw:
    kind = draw(st.sampled_from(KINDS))
    throw = draw(_throw(arena, role, kind))
    throw.kind = kind
    return throw


@st.composite
def _throw(draw, arena: Arena, role: str, kind: str) -> Throw:
    if kind == "binary":
        data = draw(
            st.one_of(
                st.binary(min_size=1, max_size=200),
                st.just(json.dumps({"type": "call.ice", "call_id": arena.own_call}).encode()),
            )
        )
        return Throw(data=data, code="bad_request")
    if kind == "text":
        text = draw(
            st.one_of(
                weird_text,
                st.sampled_from(
                    [
                        "{",
                        "[1,2",
                        '{"type":',
                        "{'type': 'x'}",
                        "undefined",
                        "[" * 5000 + "]" * 5000,
                        '{"type":"call.ice"}{}',
                    ]
                ),
            )
        )
        try:
            raw = json.loads(text)
        except (ValueError, RecursionError):
            return Throw(text=text, code="bad_request")
        assume(not arena.would_act(role, raw))
        return Throw(text=text, raw=raw, code=None if isinstance(raw, dict) else "bad_request")
    if kind == "oversized":
        frame_type = draw(st.sampled_from(sorted(FRAMES[role])))
        frame = valid_frame(arena, role, frame_type, draw)
        filler = draw(st.sampled_from(["x", "é", "💥", "\\"]))
        padding = filler * (MAX_FRAME_BYTES // len(filler.encode()) + draw(st.integers(1, 2000)))
        frame[draw(st.sampled_from(["text", "padding", "id"]))] = padding
        return Throw(text=json.dumps(frame, ensure_ascii=draw(st.booleans())), code="too_large")
    if kind == "json":
        raw = draw(json_values)
    elif kind == "object":
        raw = draw(st.dictionaries(weird_text, json_values, max_size=6))
        if draw(st.booleans()):
            raw["type"] = draw(
                st.one_of(
                    st.sampled_from(sorted(AGENT_FRAMES.keys() | CONSUMER_FRAMES.keys())), weird_text, json_values
                )
            )
    else:
        frame_type = draw(st.sampled_from(sorted(FRAMES[role])))
        raw = valid_frame(arena, role, frame_type, draw)
        if kind == "broken":
            raw = mutate(raw, draw)
    if arena.would_act(role, raw):
        raw = {**raw, "type": None}  # keep the junk, drop the power to act
    text = json.dumps(raw, ensure_ascii=draw(st.booleans()))
    if len(text.encode()) > MAX_FRAME_BYTES:
        return Throw(text=text, raw=raw, code="too_large")
    return Throw(text=text, raw=raw, code=None if isinstance(raw, dict) else "bad_request")


# --- checking one throw ---------------------------------------------------------------------------------


async def answers_until_probe(arena: Arena, socket: Socket) -> list[dict]:
    """Send a probe and return every frame that arrived before its answer."""
    probe = f"probe-{next(arena.probes)}"
    await socket.send({"type": "fuzz.probe", "id": probe})
    frames = []
    while True:
        frame = await socket.recv(timeout=5)
        if frame.get("re") == probe:
            assert frame["type"] == "error" and frame["code"] == "unknown_type", frame
            return frames
        frames.append(frame)


def expected_re(throw: Throw) -> object:
    """`re` echoes the id of any frame that parsed as a JSON object with a string or integer id."""
    if throw.code in {"too_large"} or throw.data is not None or not isinstance(throw.raw, dict):
        return None
    frame_id = throw.raw.get("id")
    return frame_id if isinstance(frame_id, (str, int)) and not isinstance(frame_id, bool) else None


async def throw_at(arena: Arena, role: str, throw: Throw) -> None:
    socket = arena.sockets[role]
    if throw.data is not None:
        await socket.communicator.send_to(bytes_data=throw.data)
    else:  # send_input also carries the empty string, which send_to refuses
        await socket.communicator.send_input({"type": "websocket.receive", "text": throw.text})
    answers = await answers_until_probe(arena, socket)
    peer = arena.sockets["consumer" if role == "agent" else "agent"]
    heard = await answers_until_probe(arena, peer)
    assert heard == [], f"the other side heard {heard}"
    assert len(answers) == 1, f"{throw} got {answers}"
    [answer] = answers
    assert answer["type"] == "error", answer
    assert set(answer) <= {"type", "code", "message", "re", "detail"} and isinstance(answer["message"], str), answer
    assert answer["code"] in ERROR_CODES, answer
    if throw.code is not None:
        assert answer["code"] == throw.code, (throw, answer)
    assert answer.get("re") == expected_re(throw), (throw, answer)
    event(f"{role} {throw.kind}: {answer['code']}")


def test_fuzzed_frames_get_an_error_change_nothing_and_keep_the_sockets(arena, caplog):
    @settings(
        max_examples=300,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=st.data())
    def each_frame(data):
        role = data.draw(st.sampled_from(["agent", "consumer"]), label="role")
        throw = data.draw(throws(arena, role), label="throw")
        before = snapshot()
        arena.run(throw_at(arena, role, throw))
        assert snapshot() == before
        assert server_errors(caplog) == []

    each_frame()

    async def still_served():
        consumer, agent = arena.sockets["consumer"], arena.sockets["agent"]
        sent = await consumer.request({"type": "message.send", "text": "still here?"}, "m-1")
        assert sent["type"] == "ok" and sent["message_id"]
        assert (await agent.until("message"))["message"]["text"] == "still here?"
        reply = await agent.request(
            {"type": "message.send", "conversation_id": arena.own_conversation, "text": "yes"}, "m-2"
        )
        assert reply["type"] == "ok"
        hangup = await agent.request({"type": "call.hangup", "call_id": arena.own_call}, "h-1")
        assert hangup["type"] == "ok"
        assert (await consumer.until("call.state", state="cancelled"))["call"]["reason"] == "agent_hangup"

    arena.run(still_served())
    assert server_errors(caplog) == []


def server_errors(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name.startswith("calls") and r.levelno >= logging.ERROR]


# --- the rate limit ---------------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


async def test_rate_limit_answers_rate_limited_and_keeps_the_socket(agent, settings, monkeypatch):
    settings.WS_RATE_BURST = 3
    settings.WS_RATE_PER_S = 2.0
    clock = Clock()
    monkeypatch.setattr("calls.sockets.limits.time", SimpleNamespace(monotonic=clock.monotonic))
    created = await sync_to_async(start_conversation)(agent.account.slug)
    consumer, _ = await consumer_socket(created["consumer_token"])
    for n in range(5):
        await consumer.send({"type": "message.send", "text": f"flood {n}", "id": n})
    answers = [await consumer.recv() for _ in range(5 + 3)]  # 3 ok + 3 pushed messages + 2 refusals
    assert [a["re"] for a in answers if a["type"] == "ok"] == [0, 1, 2]
    refused = [a for a in answers if a["type"] == "error"]
    assert refused == [{"type": "error", "code": "rate_limited", "message": "Too many frames; slow down."}] * 2
    assert await consumer.nothing()
    texts = await sync_to_async(list)(Message.objects.values_list("text", flat=True))
    assert texts == ["flood 0", "flood 1", "flood 2"]  # refused frames were not handled

    clock.now += 0.5  # one token back (2 per second)
    answer = await consumer.request({"type": "message.send", "text": "after the pause"}, "late")
    assert answer["type"] == "ok"
    assert (await consumer.until("message"))["message"]["text"] == "after the pause"
    await consumer.send({"type": "message.send", "text": "too soon", "id": "x"})
    assert (await consumer.recv())["code"] == "rate_limited"
    await consumer.close()


async def next_refusal(consumer) -> dict:
    """The next `error` frame. The consumer's own earlier messages may still be on their way to the
    conversation's sockets (a broadcast after the command's answer), and a new socket of the same
    conversation gets them too; those `message` frames are not what these tests are about."""
    for _ in range(5):
        frame = await consumer.recv()
        if frame["type"] != "message":
            return frame
    raise AssertionError("no refusal after five message frames")


async def test_a_client_that_keeps_flooding_is_closed_and_kept_out_for_a_while(agent, settings, monkeypatch):
    """GIVEN a consumer over its limit WHEN it goes on sending THEN after WS_FLOOD_CLOSE_AFTER refusals
    in a row its socket is closed with 4008, nothing more of it is handled, and its token's new
    sockets are refused with 4008 until WS_FLOOD_BAN_S has passed; reconnecting never refills the
    bucket, which belongs to the client, not to the socket."""
    settings.WS_RATE_BURST, settings.WS_RATE_PER_S = 2, 1.0
    settings.WS_FLOOD_CLOSE_AFTER, settings.WS_FLOOD_BAN_S = 3, 30.0
    clock = Clock()
    monkeypatch.setattr("calls.sockets.limits.time", SimpleNamespace(monotonic=clock.monotonic))
    created = await sync_to_async(start_conversation)(agent.account.slug)
    token = created["consumer_token"]
    consumer, _ = await consumer_socket(token)
    for n in range(2):
        assert (await consumer.request({"type": "message.send", "text": f"ok {n}"}, n))["type"] == "ok"
    await consumer.close()

    # Reconnecting does not refill the tokens: the next frame is refused at once.
    consumer, _ = await consumer_socket(token)
    for n in range(2):
        await consumer.send({"type": "message.send", "text": f"flood {n}"})
        assert (await next_refusal(consumer))["code"] == "rate_limited"
    await consumer.send({"type": "message.send", "text": "flood 2"})  # the third refusal in a row
    closed = await consumer.communicator.receive_output(timeout=2)
    assert closed == {"type": "websocket.close", "code": 4008}
    await app_finished(consumer.communicator)
    texts = await sync_to_async(list)(Message.objects.filter(author="consumer").values_list("text", flat=True))
    assert texts == ["ok 0", "ok 1"]

    path, headers = f"/ws/consumer/?token={token}", [ORIGIN, HOST]
    assert await refused_code(path, headers) == 4008
    clock.now += 31  # the ban is over, and the bucket has refilled meanwhile
    consumer, _ = await consumer_socket(token)
    assert (await consumer.request({"type": "message.send", "text": "calm again"}))["type"] == "ok"
    await consumer.close()


async def test_a_repeat_flooder_is_kept_out_twice_as_long_each_time(agent, settings, monkeypatch):
    """GIVEN a client closed for flooding WHEN it floods again within WS_FLOOD_BAN_MAX_S of that
    close THEN its ban doubles (30 s, then 60 s); after a quiet WS_FLOOD_BAN_MAX_S it starts over."""
    settings.WS_RATE_BURST, settings.WS_RATE_PER_S = 1, 0.0001  # no refill within the test's 10 minutes
    settings.WS_FLOOD_CLOSE_AFTER, settings.WS_FLOOD_BAN_S, settings.WS_FLOOD_BAN_MAX_S = 2, 30.0, 300.0
    clock = Clock()
    monkeypatch.setattr("calls.sockets.limits.time", SimpleNamespace(monotonic=clock.monotonic))
    created = await sync_to_async(start_conversation)(agent.account.slug)
    token = created["consumer_token"]
    path, headers = f"/ws/consumer/?token={token}", [ORIGIN, HOST]

    async def flood_until_closed() -> None:
        consumer, _ = await consumer_socket(token)
        await consumer.send({"type": "message.send", "text": "flood"})
        assert (await next_refusal(consumer))["code"] == "rate_limited"
        await consumer.send({"type": "message.send", "text": "flood"})
        assert await consumer.communicator.receive_output(timeout=2) == {"type": "websocket.close", "code": 4008}
        await app_finished(consumer.communicator)

    consumer, _ = await consumer_socket(token)
    assert (await consumer.request({"type": "message.send", "text": "first"}))["type"] == "ok"
    await consumer.close()
    await flood_until_closed()  # strike 1: 30 s
    clock.now += 31
    await flood_until_closed()  # strike 2, 31 s after the first: 60 s
    clock.now += 31
    assert await refused_code(path, headers) == 4008  # a first ban would be over by now
    clock.now += 30
    await flood_until_closed()  # strike 3: 120 s
    clock.now += 61
    assert await refused_code(path, headers) == 4008
    clock.now += 60
    consumer, _ = await consumer_socket(token)  # 121 s: let in
    await consumer.close()
    clock.now += 301  # quiet for longer than WS_FLOOD_BAN_MAX_S: the next flood is a first strike again
    await flood_until_closed()
    clock.now += 31
    consumer, _ = await consumer_socket(token)
    await consumer.close()
    texts = await sync_to_async(list)(Message.objects.filter(author="consumer").values_list("text", flat=True))
    assert texts == ["first"]


async def test_binary_and_oversized_frames_spend_rate_tokens_too(agent, settings, monkeypatch):
    settings.WS_RATE_BURST = 2
    settings.WS_RATE_PER_S = 1.0
    clock = Clock()
    monkeypatch.setattr("calls.sockets.limits.time", SimpleNamespace(monotonic=clock.monotonic))
    created = await sync_to_async(start_conversation)(agent.account.slug)
    consumer, _ = await consumer_socket(created["consumer_token"])
    await consumer.communicator.send_to(bytes_data=b"\x00" * 10)
    await consumer.communicator.send_to(text_data="x" * (settings.WS_MAX_FRAME_BYTES + 1))
    assert (await consumer.recv())["code"] == "bad_request"
    assert (await consumer.recv())["code"] == "too_large"
    # The bucket is empty: even a valid frame is refused now and nothing is written.
    await consumer.send({"type": "message.send", "text": "after the flood", "id": 1})
    assert (await consumer.recv())["code"] == "rate_limited"
    assert not await sync_to_async(Message.objects.exists)()
    await consumer.close()


async def test_nul_in_stored_text_is_a_field_error(agent):
    """PostgreSQL cannot store NUL: the frame is refused with a field error before any write."""
    created = await sync_to_async(start_conversation)(agent.account.slug)
    consumer, _ = await consumer_socket(created["consumer_token"])
    answer = await consumer.request({"type": "message.send", "text": "hi\x00there"})
    assert answer == {
        "type": "error",
        "code": "bad_request",
        "message": "text: must not contain NUL characters",
        "re": "r1",
    }
    assert not await sync_to_async(Message.objects.exists)()
    await consumer.close()
