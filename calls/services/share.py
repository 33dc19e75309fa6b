"""Screen sharing in video calls: a side starts or stops sharing, the agent asks the consumer to
share, the consumer declines (docs/protocol.md, `call.share`).

Sharing follows the permission rule as calls do: the account's kill switch (`screen_share_enabled`,
support only) AND a profile of the agent grants "Share screen in calls". The agent shares when both
allow it; the consumer shares only after the agent asked (and while both still allow it), once per
request. Stopping is always allowed. Voice calls have no video to replace: sharing needs a video
call. Each change locks the call row and writes one `share` event; the socket relays the frame.
"""

from __future__ import annotations

from django.db import transaction

from accounts.models import User
from calls.models import Call, CallEvent
from settings_profiles.services import media_decision

from .common import CallError, Party, _settings_of
from .transitions import _call_of_party


def _shareable_call(
    call_id: int, party: Party, agent: User | None, conversation_id: int | None, device: int | None = None
) -> Call:
    """The locked call, if this side (the consumer's device holding it) takes part in it and it is a
    video call with media."""
    call = _call_of_party(call_id, party=party, agent=agent, conversation_id=conversation_id, device=device)
    if call.state not in Call.MEDIA_STATES:
        raise CallError("invalid_state", f"The call is {call.state}.")
    if call.media != Call.Media.VIDEO:
        raise CallError("invalid_state", "Screens are shared only in video calls.", "share_video_only")
    return call


def _check_allowed(call: Call) -> None:
    """The permission rule for the call's agent: `media_disabled` (kill switch), `forbidden` (profiles)."""
    call_settings = _settings_of(call.account_id)
    if not call_settings.screen_share_enabled:
        raise CallError("media_disabled", "Screen sharing is switched off for this account.")
    agent = call.agent
    profiles = list(agent.profiles.all()) if agent is not None else []
    decision = (
        media_decision(user=agent, call_settings=call_settings, profiles=profiles, media="share")
        if agent is not None
        else None
    )
    if decision is None or not decision.allowed:
        reason = decision.reason if decision is not None else "the call has no agent"
        raise CallError("forbidden", f"Screen sharing is not allowed in this call: {reason}.", "not_permitted")


def _event(call: Call, party: Party, **data: object) -> None:
    CallEvent.objects.create(
        call=call, kind=CallEvent.Kind.SHARE, actor=party, data={k: v for k, v in data.items() if v is not None}
    )


@transaction.atomic
def call_share_set(
    *,
    call_id: int,
    party: Party,
    sharing: bool,
    surface: str | None = None,
    agent: User | None = None,
    conversation_id: int | None = None,
    device: int | None = None,
) -> Call:
    """This side starts or stops sharing a screen. The consumer starts only when the agent asked; a
    consumer's device that handed the call on to a phone no longer shares in it."""
    call = _shareable_call(call_id, party, agent, conversation_id, device)
    field = "agent_sharing" if party == "agent" else "consumer_sharing"
    if not sharing:
        if not getattr(call, field):
            raise CallError("invalid_state", "You are not sharing a screen.")
        setattr(call, field, False)
        call.save(update_fields=[field])
        _event(call, party, action="stop")
        return call
    _check_allowed(call)
    if party == "consumer" and not call.share_requested:
        raise CallError("forbidden", "The agent has not asked you to share your screen.")
    if getattr(call, field):
        raise CallError("invalid_state", "You are already sharing a screen.")
    setattr(call, field, True)
    if party == "consumer":
        call.share_requested = False  # the consumer's share answers the request
    call.screen_shared = True
    call.save(update_fields=[field, "share_requested", "screen_shared"])
    _event(call, party, action="start", surface=surface)
    return call


@transaction.atomic
def call_share_request(*, call_id: int, agent: User) -> Call:
    """The agent asks the consumer to share their screen (asking again repeats the prompt)."""
    call = _shareable_call(call_id, "agent", agent, None)
    _check_allowed(call)
    if call.consumer_sharing:
        raise CallError("invalid_state", "The consumer is already sharing a screen.", "consumer_sharing")
    call.share_requested = True
    call.save(update_fields=["share_requested"])
    _event(call, "agent", action="request")
    return call


@transaction.atomic
def call_share_decline(
    *, call_id: int, conversation_id: int, reason: str = "declined", device: int | None = None
) -> Call:
    """The consumer says no to the agent's request (or their device or browser could not share)."""
    call = _shareable_call(call_id, "consumer", None, conversation_id, device)
    if not call.share_requested:
        raise CallError("invalid_state", "The agent has not asked you to share your screen.")
    call.share_requested = False
    call.save(update_fields=["share_requested"])
    _event(call, "consumer", action="decline", reason=reason)
    return call
