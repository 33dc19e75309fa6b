"""The call state machine and its timers: the ONE writer of Call.state.

Every transition locks the call row, checks the state, writes one CallEvent, posts the account's
system message into the transcript and, after commit, pushes `call.state` to both sides. Deadlines
live in the call rows; the command that meets a passed ring deadline, a worker, beat and every
daphne process fire them (calls/clock.py).
"""

from __future__ import annotations

import functools
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from calls.models import Call, CallEvent, Message
from calls.payloads import call_payload
from calls.push import account_live_group, after_commit, agent_group, consumer_group, publish, publish_built
from calls.signals import call_ended_on_commit
from consoleproj import metrics
from settings_profiles.models import AccountCallSettings

from .common import CallError, Party, State, _post_message, _settings_of
from .texts import SYSTEM_TEXT, _system_text, error_text, side_extras

logger = logging.getLogger(__name__)

TERMINAL = {State.REJECTED, State.CANCELLED, State.EXPIRED, State.FAILED, State.COMPLETED, State.DROPPED}
ALLOWED: dict[str, set[str]] = {
    State.RINGING: {State.CONNECTING, State.REJECTED, State.CANCELLED, State.EXPIRED, State.FAILED},
    State.CONNECTING: {State.ACTIVE, State.CANCELLED, State.FAILED, State.DROPPED, State.COMPLETED},
    State.ACTIVE: {State.COMPLETED, State.DROPPED, State.FAILED},
}


def _party_groups(call: Call) -> tuple[list[str], list[str]]:
    return [agent_group(call.agent_id)] if call.agent_id else [], [consumer_group(call.conversation_id)]


def _publish_state(call: Call, call_settings: AccountCallSettings) -> None:
    agent_groups, consumer_groups = _party_groups(call)
    base = {"type": "call.state", "call": call_payload(call)}
    # The admins' live panel: the bare call (no invitation, ICE or error extras).
    publish([account_live_group(call.account_id)], {"type": "call.live", "call": call_payload(call)})

    def build() -> list[tuple[list[str], dict]]:
        # ICE credentials are minted here, at send time, so they exist only in flight.
        return [
            (agent_groups, {**base, **side_extras(call, call_settings, "agent")}),
            (consumer_groups, {**base, **side_extras(call, call_settings, "consumer")}),
        ]

    publish_built(build)


def _transition(
    call: Call,
    new_state: str,
    *,
    actor: str,
    reason: str = "",
    now: datetime | None = None,
    data: dict | None = None,
) -> Call:
    """Move a locked call to `new_state`: row, event, system message, frames. The only writer of Call.state."""
    if new_state not in ALLOWED.get(call.state, set()):
        raise CallError("invalid_state", f"The call is {call.state}; it cannot become {new_state}.")
    now = now or timezone.now()
    call_settings = _settings_of(call.account_id)
    transaction.on_commit(functools.partial(metrics.call_transition, call.state, new_state))
    call.state = new_state
    if new_state == State.CONNECTING:
        call.answered_at = now
        call.connect_deadline = now + timedelta(seconds=settings.CALL_CONNECT_TIMEOUT_S)
        lease = now + timedelta(seconds=call.reconnect_grace_s)
        call.agent_deadline = call.consumer_deadline = lease
        call.ring_deadline = None
    elif new_state == State.ACTIVE:
        call.started_at = now
        call.connect_deadline = None
    if new_state in TERMINAL:
        call.end_reason = reason or new_state
        call.ended_at = now
        call.duration_s = int((now - call.started_at).total_seconds()) if call.started_at else 0
        call.ring_deadline = call.connect_deadline = call.agent_deadline = call.consumer_deadline = None
        call_ended_on_commit(call)  # reporting listens (calls.signals): calls does not know who
    call.save()
    CallEvent.objects.create(
        call=call,
        kind=CallEvent.Kind.STATE,
        actor=actor,
        state=new_state,
        data={"reason": reason, **(data or {})} if reason or data else {},
        created_at=now,
    )
    key = SYSTEM_TEXT.get(new_state)
    if key:
        failure = error_text(call_settings, reason, call.conversation.locale) if new_state == State.FAILED else ""
        _post_message(
            conversation=call.conversation,
            author=Message.Author.SYSTEM,
            kind=Message.Kind.SYSTEM,
            text=_system_text(call, call_settings, key, reason=failure),
            call=call,
            now=now,
        )
    _publish_state(call, call_settings)
    logger.info("call %s %s -> %s (%s)", call.pk, actor, new_state, reason or "-")
    return call


def _ending_for(call: Call, party: Party) -> str:
    """How a live call ends when a side hangs up: only a call that was active completes."""
    if call.state == State.RINGING:
        return State.CANCELLED if party == "agent" else State.REJECTED
    return State.CANCELLED if call.state == State.CONNECTING else State.COMPLETED


def _locked_call(call_id: int) -> Call:
    call = (
        Call.objects.select_for_update(of=("self",)).select_related("conversation", "agent").filter(pk=call_id).first()
    )
    if call is None:
        raise CallError("not_found", "No such call.")
    return call


def _call_of_party(
    call_id: int,
    *,
    party: Party,
    agent: User | None = None,
    conversation_id: int | None = None,
    device: int | None = None,
) -> Call:
    """The locked call, if the asking side takes part in it; otherwise not_found (nothing revealed).
    A consumer's `device` (its token's) must be the one holding the call, once it moved to a phone."""
    call = _locked_call(call_id)
    if party == "agent" and (agent is None or call.agent_id != agent.pk):
        raise CallError("not_found", "No such call.")
    if party == "consumer" and call.conversation_id != conversation_id:
        raise CallError("not_found", "No such call.")
    if (
        party == "consumer"
        and device is not None
        and call.state in Call.MEDIA_STATES
        and call.consumer_device != device
    ):
        raise CallError("invalid_state", MOVED)
    return call


MOVED = "The call continues on another device of the consumer (Continue on my phone)."


# --- timers ---------------------------------------------------------------------------------------


def _schedule_timer(call_id: int, when: datetime | None) -> None:
    """Ask a worker to look at the call when its deadline passes (the beat sweep is the safety net)."""
    if when is None or settings.CELERY_TASK_ALWAYS_EAGER:
        return  # eager mode: the in-process ticker sweeps instead of a countdown that would run now
    from calls.tasks import call_timer_task

    # A broker that is down loses the countdown, not the deadline: the sweeps fire it (docs/reliability.md).
    after_commit(
        lambda: call_timer_task.apply_async((call_id,), eta=when + timedelta(milliseconds=200), retry=False),
        "queueing a call timer",
    )


def _expire_if_due(call: Call, now: datetime | None = None) -> bool:
    """A ringing call past its `ring_deadline` is ended as missed here and now, by the command that
    found it, whatever the timers did (they may be down: docs/reliability.md)."""
    now = now or timezone.now()
    if call.state == State.RINGING and call.ring_deadline and call.ring_deadline <= now:
        _transition(call, State.EXPIRED, actor="system", reason="no_answer", now=now)
        return True
    return False


@transaction.atomic
def call_fire_timers(*, call_id: int, now: datetime | None = None, skip_locked: bool = False) -> Call | None:
    """Apply whichever deadline of one call has passed: expire, fail to connect, or drop.
    `skip_locked`: a call another sweeper (or a command) holds is left to it (nothing waits)."""
    now = now or timezone.now()
    call = (
        Call.objects.select_for_update(of=("self",), skip_locked=skip_locked)
        .select_related("conversation", "agent")
        .filter(pk=call_id)
        .first()
    )
    if call is None or not call.is_live:
        return None
    if call.state == State.RINGING and call.ring_deadline and call.ring_deadline <= now:
        return _transition(call, State.EXPIRED, actor="system", reason="no_answer", now=now)
    if call.state in Call.MEDIA_STATES:
        for party in ("agent", "consumer"):
            deadline = getattr(call, f"{party}_deadline")
            if deadline and deadline <= now:
                return _transition(call, State.DROPPED, actor="system", reason=f"{party}_gone", now=now)
    if call.state == State.CONNECTING and call.connect_deadline and call.connect_deadline <= now:
        return _transition(call, State.FAILED, actor="system", reason="connect_timeout", now=now)
    return None


def call_sweep(*, now: datetime | None = None) -> int:
    """Fire every passed deadline of every live call; returns how many calls changed state.
    Beat and every daphne process sweep (calls/clock.py): each due call is taken with SKIP LOCKED,
    so concurrent sweepers share the work instead of queueing on the same rows."""
    now = now or timezone.now()
    due = Call.objects.filter(
        Q(state=State.RINGING, ring_deadline__lte=now)
        | Q(state__in=Call.MEDIA_STATES)
        & (Q(agent_deadline__lte=now) | Q(consumer_deadline__lte=now) | Q(connect_deadline__lte=now))
    ).values_list("pk", flat=True)
    changed = 0
    for call_id in list(due):
        try:
            if call_fire_timers(call_id=call_id, now=now, skip_locked=True) is not None:
                changed += 1
        except Exception:  # one broken call must not stop the sweep of the others
            logger.exception("sweeping call %s failed", call_id)
    return changed
