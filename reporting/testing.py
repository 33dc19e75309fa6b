"""A generator of realistic calls with their event logs, for the tests, the e2e screenshot and the bench.

The calls it writes look like what `calls.services` writes: every outcome (completed, dropped,
failed before and after answering with each failure reason, rejected, missed, cancelled while
ringing or connecting, still in progress), both media, several agents (a deleted one too), returning
and anonymous consumers, a second call in some conversations, quality samples from both sides with
the odd missing or null value, timestamps at millisecond precision. It is deterministic for a seed.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction

from accounts.models import Account
from calls.models import Call, CallEvent, Conversation

BROWSERS = ("Chrome 156", "Firefox 157", "Safari 26", "Edge 156", "Mobile Safari 26", "Chrome Mobile 156")
OUTCOME_WEIGHTS = {
    "completed": 48,
    "dropped": 6,
    "dropped_connecting": 1,
    "failed_at_accept": 5,
    "failed_connecting": 5,
    "rejected": 10,
    "expired": 12,
    "cancelled_ringing": 6,
    "cancelled_connecting": 2,
}
ACCEPT_FAILURES = ("unsupported_browser", "no_webrtc", "no_camera", "no_microphone")
# What consumers' windows report before answering (calls.readiness): mostly nothing wrong.
READINESS_PICKS = (
    (),
    (),
    (),
    (),
    (),
    ("no_camera",),
    ("direct_blocked",),
    ("network_blocked",),
    ("no_microphone",),
    ("unsupported_browser",),
    ("no_webrtc", "no_microphone"),
    ("relay_unavailable",),
    ("no_camera", "direct_blocked"),
)
CONNECT_FAILURES = ("permission_denied", "no_devices", "ice_failed", "connect_timeout")
RING_TIMEOUT_S = 60
RECONNECT_GRACE_S = 20


@dataclass
class PlannedEvent:
    kind: str
    actor: str
    created_at: datetime
    state: str = ""
    data: dict = field(default_factory=dict)


@dataclass
class PlannedCall:
    """One call as the state machine would have left it, with its events in order."""

    media: str
    agent_id: int | None
    created_at: datetime
    state: str = "ringing"
    end_reason: str = ""
    answered_at: datetime | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    duration_s: int | None = None
    consumer_browser: str = ""
    screen_shared: bool = False
    consumer_ref: str = ""
    consumer_readiness: str = ""
    consumer_readiness_at: datetime | None = None
    conversation_key: int = 0  # calls with the same key share a conversation; 0: one of its own
    events: list[PlannedEvent] = field(default_factory=list)


def _ms(seconds: float) -> timedelta:
    return timedelta(milliseconds=round(seconds * 1000))


def _sample(rng: random.Random, media: str) -> dict:
    """A getStats sample as the clients send it (only the keys calls.services keeps)."""
    video = media == Call.Media.VIDEO
    sample: dict = {
        "rtt_ms": rng.choice([rng.randint(8, 400), round(rng.uniform(8, 400), rng.randint(1, 3))]),
        "packet_loss_pct": round(rng.betavariate(1, 30) * 20, rng.randint(0, 3)),
        "bitrate_kbps": round(rng.uniform(600, 2600) if video else rng.uniform(24, 96), rng.randint(0, 2)),
        "jitter_ms": round(rng.uniform(0, 30), 1),
        "candidate_type": rng.choice(["host", "srflx", "srflx", "relay"]),
    }
    if video:
        sample.update(frames_per_second=rng.choice([15, 24, 30]), frame_width=1280, frame_height=720)
    roll = rng.random()
    if roll < 0.05:
        del sample["rtt_ms"]  # not every browser reports every value
    elif roll < 0.08:
        sample["bitrate_kbps"] = None  # sent as null: not a number, not counted
    return sample


def plan_call(
    rng: random.Random, *, media: str, agent_id: int | None, created_at: datetime, outcome: str | None = None
) -> PlannedCall:
    """A call with one outcome (random unless given: a key of OUTCOME_WEIGHTS) and the events that lead to it."""
    call = _plan_outcome(rng, media=media, agent_id=agent_id, created_at=created_at, outcome=outcome)
    _plan_readiness(call)
    return call


def _plan_readiness(call: PlannedCall) -> None:
    """Most consumers' windows report their readiness a moment after the invitation shows. Drawn from
    a generator of its own (seeded by the invitation time), so adding readiness changed no other draw."""
    rng = random.Random(call.created_at.timestamp())  # noqa: S311 - test data, not secrets
    if rng.random() >= 0.7:
        return
    causes = [c for c in rng.choice(READINESS_PICKS) if call.media == Call.Media.VIDEO or c != "no_camera"]
    at = call.created_at + _ms(rng.uniform(0.2, 1.2))
    call.consumer_readiness, call.consumer_readiness_at = ",".join(causes), at
    call.events.insert(1, PlannedEvent("readiness", "consumer", at, data={"causes": causes, "stun": "reachable"}))


def _plan_outcome(
    rng: random.Random, *, media: str, agent_id: int | None, created_at: datetime, outcome: str | None
) -> PlannedCall:
    call = PlannedCall(media=media, agent_id=agent_id, created_at=created_at)
    outcome = outcome or rng.choices(list(OUTCOME_WEIGHTS), weights=list(OUTCOME_WEIGHTS.values()))[0]
    events = call.events
    events.append(PlannedEvent("state", "agent", created_at, "ringing"))
    browser = rng.choice(BROWSERS)

    def end(state: str, actor: str, at: datetime, reason: str = "", data: dict | None = None) -> None:
        call.state, call.end_reason, call.ended_at = state, reason or state, at
        call.duration_s = int((at - call.started_at).total_seconds()) if call.started_at else 0
        payload = {"reason": reason, **(data or {})} if reason or data else {}
        events.append(PlannedEvent("state", actor, at, state, payload))

    ring_end = created_at + _ms(rng.uniform(1.5, 45))
    if outcome == "expired":
        end("expired", "system", created_at + timedelta(seconds=RING_TIMEOUT_S), "no_answer")
        return call
    if outcome == "rejected":
        end("rejected", "consumer", ring_end)
        return call
    if outcome == "cancelled_ringing":
        end("cancelled", "agent", ring_end, "agent_hangup")
        return call
    call.consumer_browser = browser
    if outcome == "failed_at_accept":
        end("failed", "consumer", ring_end, rng.choice(ACCEPT_FAILURES), {"browser": browser})
        return call

    call.answered_at = ring_end
    call.state = "connecting"
    events.append(PlannedEvent("state", "consumer", ring_end, "connecting", {"browser": browser}))
    connect_end = ring_end + _ms(rng.uniform(0.4, 6))
    if outcome == "failed_connecting":
        reason = rng.choice(CONNECT_FAILURES)
        at = ring_end + timedelta(seconds=45) if reason == "connect_timeout" else connect_end
        end("failed", "system" if reason == "connect_timeout" else "consumer", at, reason)
        return call
    if outcome == "cancelled_connecting":
        end("cancelled", "agent", connect_end, "agent_hangup")
        return call
    if outcome == "dropped_connecting":
        end("dropped", "system", connect_end + timedelta(seconds=RECONNECT_GRACE_S), "consumer_gone")
        return call

    first = rng.choice(["agent", "consumer"])
    events.append(PlannedEvent("connected", first, connect_end))
    call.started_at, call.state = connect_end, "active"
    events.append(PlannedEvent("state", first, connect_end, "active"))
    if rng.random() < 0.9:  # the other side's report; sometimes it never comes
        events.append(PlannedEvent("connected", "consumer" if first == "agent" else "agent", connect_end + _ms(0.2)))
    # Every third connected video call shows a screen (no draw from rng: the other values stay as they were).
    if media == "video" and connect_end.microsecond % 3 == 0:
        call.screen_shared = True
        events.append(PlannedEvent("share", "agent", connect_end + _ms(1), data={"action": "start"}))
    talk_s = min(rng.lognormvariate(5.2, 0.9), 3 * 3600)
    at = connect_end
    for _ in range(rng.randint(0, 12)):
        at = at + _ms(rng.uniform(5, 30))
        if at >= connect_end + _ms(talk_s):
            break
        if rng.random() < 0.15:
            events.append(
                PlannedEvent(
                    "media",
                    rng.choice(["agent", "consumer"]),
                    at,
                    data={"audio": rng.random() < 0.7, "video": media == "video", "camera": None},
                )
            )
        else:
            events.append(PlannedEvent("stats", rng.choice(["agent", "consumer"]), at, data=_sample(rng, media)))
    ended = connect_end + _ms(talk_s)
    if outcome == "dropped":
        end(
            "dropped",
            "system",
            ended + timedelta(seconds=RECONNECT_GRACE_S),
            rng.choice(["agent_gone", "consumer_gone"]),
        )
    else:
        actor = rng.choice(["agent", "consumer"])
        end("completed", actor, ended, f"{actor}_hangup")
    return call


def cut_at(call: PlannedCall, now: datetime) -> PlannedCall:
    """The call as it stood at `now`: events after it are not written yet, so it may still be live."""
    if call.ended_at is None or call.ended_at <= now:
        return call
    call.events = [e for e in call.events if e.created_at <= now]
    if call.consumer_readiness_at and call.consumer_readiness_at > now:
        call.consumer_readiness, call.consumer_readiness_at = "", None
    states = [e.state for e in call.events if e.kind == "state"]
    call.state, call.end_reason, call.ended_at, call.duration_s = states[-1], "", None, None
    if call.answered_at and call.answered_at > now:
        call.answered_at = None
    if call.started_at and call.started_at > now:
        call.started_at = None
    return call


def plan_calls(
    *,
    seed: int,
    agent_ids: Sequence[int | None],
    zone_name: str,
    first_day: date,
    days: int,
    calls_per_day: int,
    now: datetime | None = None,
) -> list[PlannedCall]:
    """About `calls_per_day` calls a weekday (fewer at weekends) over `days` local days of the zone,
    busier in office hours; none after `now`, and those still going at `now` are left in progress."""
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    tz, utc = ZoneInfo(zone_name), ZoneInfo("UTC")
    consumers = [f"cust-{seed}-{n}" for n in range(max(calls_per_day * days // 3, 1))]
    calls: list[PlannedCall] = []
    conversation_of: dict[str, int] = {}
    new_conversation = itertools.count(1)
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        midnight = datetime.combine(day, time.min, tzinfo=tz).astimezone(utc)
        day_s = (
            datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz).astimezone(utc) - midnight
        ).total_seconds()
        # Fewer calls at weekends, and no two days alike.
        todays = round(calls_per_day * (0.45 if day.weekday() >= 5 else 1.0) * rng.uniform(0.8, 1.2))
        for _ in range(todays):
            # Elapsed time since local midnight (23 or 25 hours on DST days): office hours mostly,
            # some calls at any time of the day or night, repeated DST hour included.
            elapsed = rng.uniform(0, day_s) if rng.random() < 0.15 else rng.gauss(13.5 * 3600, 3 * 3600)
            created = midnight + _ms(min(max(elapsed, 0), day_s - 1))
            if now is not None and created > now:
                continue
            media = Call.Media.VIDEO if rng.random() < 0.6 else Call.Media.VOICE
            call = plan_call(rng, media=media, agent_id=rng.choice(agent_ids), created_at=created)
            if now is not None:
                cut_at(call, now)
            if rng.random() < 0.6:
                call.consumer_ref = rng.choice(consumers)
            key = f"{call.agent_id}:{call.consumer_ref}"
            if call.consumer_ref and key in conversation_of and call.ended_at is not None and rng.random() < 0.5:
                call.conversation_key = conversation_of[key]  # a second call in the same conversation
            else:
                call.conversation_key = next(new_conversation)
                conversation_of.setdefault(key, call.conversation_key)
            calls.append(call)
    return calls


@transaction.atomic
def write_calls(*, account: Account, calls: Iterable[PlannedCall], batch_size: int = 2000) -> list[Call]:
    """Write planned calls, their conversations and events with bulk inserts; returns the calls."""
    calls = list(calls)
    conversations: dict[object, Conversation] = {}
    keys = [p.conversation_key or ("own", n) for n, p in enumerate(calls)]  # 0: a conversation of its own
    for key, planned in zip(keys, calls, strict=True):
        if key not in conversations:
            conversations[key] = Conversation(
                account=account,
                agent_id=planned.agent_id,
                state=Conversation.State.OPEN if planned.ended_at is None else Conversation.State.CLOSED,
                consumer_ref=planned.consumer_ref,
                consumer_name=f"Consumer {planned.conversation_key}",
                created_at=planned.created_at - timedelta(minutes=2),
            )
    Conversation.objects.bulk_create(conversations.values(), batch_size=batch_size)
    rows = [
        Call(
            account=account,
            conversation=conversations[key],
            agent_id=p.agent_id,
            media=p.media,
            state=p.state,
            end_reason=p.end_reason,
            created_at=p.created_at,
            answered_at=p.answered_at,
            started_at=p.started_at,
            ended_at=p.ended_at,
            duration_s=p.duration_s,
            consumer_browser=p.consumer_browser,
            screen_shared=p.screen_shared,
            consumer_readiness=p.consumer_readiness,
            consumer_readiness_at=p.consumer_readiness_at,
        )
        for key, p in zip(keys, calls, strict=True)
    ]
    Call.objects.bulk_create(rows, batch_size=batch_size)
    CallEvent.objects.bulk_create(
        (
            CallEvent(call=row, kind=e.kind, actor=e.actor, state=e.state, data=e.data, created_at=e.created_at)
            for row, planned in zip(rows, calls, strict=True)
            for e in planned.events
        ),
        batch_size=batch_size,
    )
    return rows
