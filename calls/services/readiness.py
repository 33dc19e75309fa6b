"""Readiness before accept: the consumer's window reports what it found while the invitation rings.

The report is stored as a `readiness` event (facts and causes, never a candidate, an address or the
user agent string), its causes are kept on the call for the rollup (the latest report wins: it is
what the consumer knew when answering), and the agent is told at once.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from calls.browsers import browser_check
from calls.models import Call, CallEvent
from calls.push import agent_group, publish
from calls.readiness import Facts, readiness_causes

from .call_commands import ClientInfo
from .common import CallError, State
from .transitions import _call_of_party, _expire_if_due

# A window reports once per invitation, again when a device is plugged in or out, and after a
# reload; more than this for one invitation is a client misbehaving.
MAX_READINESS_REPORTS = 10


@transaction.atomic
def call_readiness_report(
    *, conversation_id: int, call_id: int, client: ClientInfo, stun: str, turn: str
) -> tuple[Call, list[str]]:
    """Store the consumer's readiness report of a ringing call; returns the call and the causes found.
    An invitation past its deadline is ended as missed instead (the call is returned `expired`)."""
    call = _call_of_party(call_id, party="consumer", conversation_id=conversation_id)
    if _expire_if_due(call) or call.state == State.EXPIRED:
        return call, []
    if call.state != State.RINGING:
        raise CallError("invalid_state", f"The call is {call.state}: readiness is reported while it rings.")
    if CallEvent.objects.filter(call=call, kind=CallEvent.Kind.READINESS).count() >= MAX_READINESS_REPORTS:
        raise CallError("invalid_state", f"This invitation already has {MAX_READINESS_REPORTS} readiness reports.")
    supported, browser = browser_check(client.user_agent)
    facts = Facts(
        browser_supported=supported,
        webrtc=client.webrtc,
        camera=client.camera,
        microphone=client.microphone,
        stun=stun,
        turn=turn,
    )
    causes = readiness_causes(facts, media=call.media)
    now = timezone.now()
    CallEvent.objects.create(
        call=call,
        kind=CallEvent.Kind.READINESS,
        actor=CallEvent.Actor.CONSUMER,
        data={
            "causes": causes,
            "browser": browser,
            "webrtc": client.webrtc,
            "camera": client.camera,
            "microphone": client.microphone,
            "stun": stun,
            "turn": turn,
        },
        created_at=now,
    )
    Call.objects.filter(pk=call.pk).update(consumer_readiness=",".join(causes), consumer_readiness_at=now)
    if call.agent_id:
        frame = {"type": "call.readiness", "call_id": call.pk, "readiness": {"causes": causes}}
        publish([agent_group(call.agent_id)], frame)
    return call, causes
