"""Continue on my phone: the consumer's side of a live call moves to another device.

The window in a call asks for a code (`call_handoff_create`): 12 random characters, shown once as a QR
code and a short link, valid once for CALL_HANDOFF_TTL_S. Only its keyed hash (HMAC-SHA256 with the
SECRET_KEY) is stored; it is random, never derived from the consumer token. The phone presents it
(`call_handoff_claim`) with the call it was shown for and the account: the call row stays as it is
(same id, same agent, still connecting or active) and only its `consumer_device` changes, so the
agent's peer connection renegotiates with the phone as after a reload (docs/protocol.md, "Reconnects").
The phone gets a consumer token of its own naming the handoff; the computer's sockets learn with
`call.moved` that the call is elsewhere, and their call frames are refused from then on.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from calls.browsers import check_joining
from calls.models import Call, CallEvent, CallHandoff, Message
from calls.payloads import call_payload
from calls.push import agent_group, consumer_group, publish
from calls.tokens import consumer_token_for

from .common import CallError, _post_message, _settings_of
from .texts import _system_text, error_text
from .transitions import _call_of_party, _locked_call

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32: no I, L, O or U to misread
CODE_LENGTH = 12  # 60 random bits
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s-]+")


class HandoffRefused(CallError):
    """A claim refused: `code` is a protocol error code, `reason` says which case it was (the phone
    shows the account's words for it)."""

    def __init__(self, code: str, reason: str, message: str, text: str = ""):
        super().__init__(code, message)
        self.reason = reason
        self.text = text


def normalise_code(raw: object) -> str | None:
    """The code as typed or scanned ("7kq4-m2xp-9hta"; O read as 0, I and L as 1), or None if it
    cannot be one."""
    if not isinstance(raw, str) or len(raw) > 40:
        return None
    code = _SEPARATORS.sub("", raw).upper().translate(_READ_AS)
    if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
        return None
    return code


def display_code(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def code_hash(code: str) -> str:
    return salted_hmac("calls.handoff.v1", code, algorithm="sha256").hexdigest()


@dataclass(frozen=True)
class NewHandoff:
    handoff: CallHandoff
    code: str  # shown once to the window that asked; never stored, never logged


@transaction.atomic
def call_handoff_create(*, call_id: int, conversation_id: int, device: int = 0) -> NewHandoff:
    """A new code for the consumer's live call; the call's earlier unused codes stop working."""
    call = _call_of_party(call_id, party="consumer", conversation_id=conversation_id, device=device)
    if call.state not in Call.MEDIA_STATES:
        raise CallError("invalid_state", f"The call is {call.state}; only a call in progress can move.")
    now = timezone.now()
    CallHandoff.objects.filter(call=call, claimed_at=None, replaced_at=None).update(replaced_at=now)
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    handoff = CallHandoff.objects.create(
        call=call,
        account_id=call.account_id,
        conversation_id=call.conversation_id,
        code_hash=code_hash(code),
        created_at=now,
        expires_at=now + timedelta(seconds=settings.CALL_HANDOFF_TTL_S),
    )
    return NewHandoff(handoff=handoff, code=code)


def handoff_of_code(raw: object) -> CallHandoff | None:
    """The handoff a code names (with its call, conversation and account), whatever its state."""
    code = normalise_code(raw)
    if code is None:
        return None
    return (
        CallHandoff.objects.select_related("call__agent", "conversation", "account__call_settings")
        .filter(code_hash=code_hash(code))
        .first()
    )


# Why a known code cannot be claimed: (protocol error code, the account's text key).
PROBLEMS = {
    "used": ("invalid_state", "handoff_refused_used"),
    "replaced": ("expired", "handoff_refused_expired"),
    "expired": ("expired", "handoff_refused_expired"),
    "ended": ("invalid_state", "handoff_refused_ended"),
}


def handoff_problem(handoff: CallHandoff, call: Call, now=None) -> str | None:
    """ "used", "replaced", "expired", "ended" (the call is over), or None when it can be claimed."""
    now = now or timezone.now()
    if handoff.claimed_at is not None:
        return "used"
    if call.state not in Call.MEDIA_STATES:
        return "ended"
    if handoff.replaced_at is not None:
        return "replaced"
    if handoff.expires_at <= now:
        return "expired"
    return None


@dataclass(frozen=True)
class Claimed:
    call: Call
    consumer_token: str  # the phone's own consumer token (names the handoff as its device)


@dataclass(frozen=True)
class PhoneClient:
    user_agent: str
    webrtc: bool
    camera: bool
    microphone: bool


@transaction.atomic
def call_handoff_claim(*, code: object, call_id: int, account: str, client: PhoneClient) -> Claimed:
    """The phone takes the call over. Refused (HandoffRefused, nothing written) when the code is
    malformed, unknown, for another call or account, used, replaced, expired, its call is over, or the
    phone cannot take the call."""
    normalised = normalise_code(code)
    if normalised is None:
        raise HandoffRefused("bad_request", "malformed", "The code is not one of ours: 12 letters and digits.")
    found = CallHandoff.objects.filter(code_hash=code_hash(normalised)).values_list("pk", "call_id").first()
    if found is None or found[1] != call_id:
        raise HandoffRefused("not_found", "unknown", "No such code for this call.")
    call = _locked_call(call_id)  # the call row first, as every command of the call locks it
    handoff = CallHandoff.objects.select_for_update(of=("self",)).select_related("account").get(pk=found[0])
    if handoff.account.slug != account or call.account_id != handoff.account_id:
        raise HandoffRefused("not_found", "unknown", "No such code for this call.")
    call_settings = _settings_of(call.account_id)
    locale = call.conversation.locale
    now = timezone.now()
    problem = handoff_problem(handoff, call, now)
    if problem is not None:
        error, key = PROBLEMS[problem]
        text = call_settings.resolved_texts(locale)[key]
        raise HandoffRefused(error, problem, f"The code cannot be used: {problem}.", text)
    check, audio_only = check_joining(client, call.media)
    if not check.ok:
        text = error_text(call_settings, check.reason, locale)
        raise HandoffRefused("invalid_state", check.reason, "This browser cannot take the call.", text)

    handoff.claimed_at = now
    handoff.device_browser = check.browser
    handoff.save(update_fields=["claimed_at", "device_browser"])
    moved_from = call.consumer_device
    call.consumer_device = handoff.pk
    # A phone with a camera shows it, even where the computer had joined with audio only (the reason
    # to move, often): the call's audio-only mark follows the device that holds the call.
    call.consumer_audio_only = audio_only
    call.consumer_deadline = now + timedelta(seconds=call.reconnect_grace_s)  # the phone's whole grace
    call.save(update_fields=["consumer_device", "consumer_audio_only", "consumer_deadline"])
    CallEvent.objects.create(
        call=call,
        kind=CallEvent.Kind.HANDOFF,
        actor="consumer",
        data={"handoff": handoff.pk, "from_device": moved_from, "browser": check.browser},
        created_at=now,
    )
    _post_message(
        conversation=call.conversation,
        author=Message.Author.SYSTEM,
        kind=Message.Kind.SYSTEM,
        text=_system_text(call, call_settings, "system_call_handoff"),
        call=call,
        now=now,
    )
    payload = call_payload(call)
    # The computer's sockets (every consumer socket open now: the phone connects after this answer).
    publish([consumer_group(call.conversation_id)], {"type": "call.moved", "call_id": call.pk, "call": payload})
    if call.agent_id:
        peer = {"type": "call.peer", "call_id": call.pk, "party": "consumer", "connection": "moved", "call": payload}
        publish([agent_group(call.agent_id)], peer)
    token = consumer_token_for(conversation_id=call.conversation_id, account_id=call.account_id, device=handoff.pk)
    return Claimed(call=call, consumer_token=token)
