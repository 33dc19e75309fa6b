"""The commands of a call's two sides: invite, accept, reject, hang up, and what the sockets report
during a call (connected, media changes, quality samples, fresh ICE)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from calls.browsers import check_joining
from calls.models import Call, CallEvent, Conversation, Message
from settings_profiles.ice import IceConfig, ice_config_for
from settings_profiles.services import Media, media_decision

from .common import CallError, Party, State, _conversation_for_agent, _post_message, _settings_of
from .texts import FAILURE_REASONS, SYSTEM_TEXT, _system_text, participant_name
from .transitions import (
    MOVED,
    _call_of_party,
    _ending_for,
    _expire_if_due,
    _publish_state,
    _schedule_timer,
    _transition,
)


@transaction.atomic
def call_invite(*, agent: User, conversation_id: int, media: Media) -> Call:
    """The agent invites the consumer to a call, if the permission rule (docs/architecture.md) allows it."""
    conversation = _conversation_for_agent(agent, conversation_id)
    if conversation.channel != Conversation.Channel.WEB_MESSAGING:
        raise CallError("not_messaging", "Calls are only possible in web messaging conversations, not in chat.")
    if conversation.state != Conversation.State.OPEN:
        raise CallError(
            "invalid_state", f"The conversation is {conversation.state}; calls need an open one.", "conversation_closed"
        )
    if conversation.agent_id != agent.pk:
        raise CallError("forbidden", "The conversation is not assigned to you.", "not_yours")
    call_settings = _settings_of(conversation.account_id)  # the agent's account (_conversation_for_agent)
    if not getattr(call_settings, f"{media}_enabled"):
        raise CallError("media_disabled", f"{media.capitalize()} calls are switched off for this account.")
    decision = media_decision(user=agent, call_settings=call_settings, profiles=agent.profiles.all(), media=media)
    if not decision.allowed:
        raise CallError("forbidden", f"You may not start {media} calls: {decision.reason}.", "not_permitted")
    if Call.objects.filter(agent=agent, state__in=Call.LIVE_STATES).exists():
        raise CallError("invalid_state", "You are already in a call; end it first.", "already_in_call")
    now = timezone.now()
    try:
        with transaction.atomic():
            call = Call.objects.create(
                account_id=conversation.account_id,
                conversation=conversation,
                agent=agent,
                media=media,
                created_at=now,
                ring_deadline=now + timedelta(seconds=call_settings.ring_timeout_s),
                reconnect_grace_s=call_settings.reconnect_grace_s,
            )
    except IntegrityError as exc:  # the partial unique index: one live call per conversation
        raise CallError("invalid_state", "This conversation already has a live call.", "call_exists") from exc
    call.conversation, call.agent = conversation, agent
    CallEvent.objects.create(call=call, kind=CallEvent.Kind.STATE, actor="agent", state=State.RINGING, created_at=now)
    _post_message(
        conversation=conversation,
        author=Message.Author.SYSTEM,
        kind=Message.Kind.SYSTEM,
        text=_system_text(call, call_settings, SYSTEM_TEXT[State.RINGING]),
        call=call,
        now=now,
    )
    _publish_state(call, call_settings)
    _schedule_timer(call.pk, call.ring_deadline)
    return call


@dataclass(frozen=True)
class ClientInfo:
    user_agent: str
    webrtc: bool
    camera: bool
    microphone: bool


@transaction.atomic
def call_accept(
    *, conversation_id: int, call_id: int, client: ClientInfo, audio_only: bool = False, device: int = 0
) -> Call:
    """The consumer accepts: an unsupported client fails the call, a supported one starts connecting.
    A video call answered with audio only (asked for, or no camera) goes on as audio on that side.
    An invitation past its deadline is ended as missed instead (returned `expired`)."""
    call = _call_of_party(call_id, party="consumer", conversation_id=conversation_id)
    if _expire_if_due(call) or call.state == State.EXPIRED:
        return call  # answered `expired`, whoever ended it
    if call.state != State.RINGING:
        raise CallError("invalid_state", f"The call is {call.state}, not ringing.")
    check, audio_only = check_joining(client, call.media, audio_only=audio_only)
    call.consumer_browser = check.browser
    call.consumer_audio_only = audio_only
    call.consumer_device = device  # the device that answers holds the call
    if not check.ok:
        return _transition(call, State.FAILED, actor="consumer", reason=check.reason, data={"browser": check.browser})
    _transition(call, State.CONNECTING, actor="consumer", data={"browser": check.browser})
    _schedule_timer(call.pk, call.connect_deadline)
    return call


@transaction.atomic
def call_reject(*, conversation_id: int, call_id: int) -> Call:
    """The consumer declines the invitation (one past its deadline is ended as missed instead)."""
    call = _call_of_party(call_id, party="consumer", conversation_id=conversation_id)
    if _expire_if_due(call) or call.state == State.EXPIRED:
        return call  # answered `expired`, whoever ended it
    if call.state != State.RINGING:
        raise CallError("invalid_state", f"The call is {call.state}, not ringing.")
    return _transition(call, State.REJECTED, actor="consumer")


@transaction.atomic
def call_hangup(
    *,
    call_id: int,
    party: Party,
    reason: str = "",
    agent: User | None = None,
    conversation_id: int | None = None,
    device: int | None = None,
) -> Call:
    """Either side ends the call. Ringing: cancelled (agent) or rejected (consumer). A failure reason
    reported by the client (no devices, permission denied, ICE failure) fails it; an ICE failure of an
    active call (restarts gave up) drops it; otherwise a call that was active completes and one still
    connecting is cancelled."""
    call = _call_of_party(call_id, party=party, agent=agent, conversation_id=conversation_id, device=device)
    if _expire_if_due(call):
        return call  # it ended (missed) before this hang-up: the truth is what the timer would have written
    if not call.is_live:
        raise CallError("invalid_state", f"The call has already ended ({call.state}).", "call_ended")
    if reason in FAILURE_REASONS and call.state != State.ACTIVE:
        return _transition(call, State.FAILED, actor=party, reason=reason)
    if reason == "ice_failed":
        # Media flowed, then the network path was lost and ICE restarts could not bring it back: the
        # call was dropped, not completed by someone.
        return _transition(call, State.DROPPED, actor=party, reason=reason)
    # "user" (the person at this side pressed hang up) is recorded as who it was.
    reason = f"{party}_hangup" if reason in ("", "user") else reason
    return _transition(call, _ending_for(call, party), actor=party, reason=reason)


@transaction.atomic
def call_connected(
    *,
    call_id: int,
    party: Party,
    agent: User | None = None,
    conversation_id: int | None = None,
    device: int | None = None,
) -> Call:
    """A side reports ICE connected: the first report makes the call active; each is logged."""
    call = _call_of_party(call_id, party=party, agent=agent, conversation_id=conversation_id, device=device)
    if call.state not in Call.MEDIA_STATES:
        raise CallError("invalid_state", f"The call is {call.state}.")
    CallEvent.objects.create(call=call, kind=CallEvent.Kind.CONNECTED, actor=party)
    if call.state == State.CONNECTING:
        _transition(call, State.ACTIVE, actor=party)
    return call


@transaction.atomic
def call_media_change(
    *,
    call_id: int,
    party: Party,
    audio: bool,
    video: bool,
    camera: str | None,
    agent: User | None = None,
    conversation_id: int | None = None,
    device: int | None = None,
) -> Call:
    """Mute/unmute, camera on/off or switched: logged as an event (the frame is relayed by the socket)."""
    call = _call_of_party(call_id, party=party, agent=agent, conversation_id=conversation_id, device=device)
    if call.state not in Call.MEDIA_STATES:
        raise CallError("invalid_state", f"The call is {call.state}.")
    CallEvent.objects.create(
        call=call, kind=CallEvent.Kind.MEDIA, actor=party, data={"audio": audio, "video": video, "camera": camera}
    )
    return call


STATS_KEYS = (
    "rtt_ms",
    "packet_loss_pct",
    "bitrate_kbps",
    "jitter_ms",
    "frames_per_second",
    "frame_width",
    "frame_height",
    "candidate_type",
    "remote_candidate_type",
    "relay_protocol",
    "ice_restarts",
)


@transaction.atomic
def call_stats_sample(
    *,
    call_id: int,
    party: Party,
    stats: dict,
    agent: User | None = None,
    conversation_id: int | None = None,
    device: int | None = None,
) -> None:
    """A quality sample from `getStats`, stored as an event (only the known numeric keys)."""
    found = Call.objects.filter(pk=call_id).only("pk", "agent_id", "conversation_id", "state", "consumer_device")
    call = _check_side(found.first(), party, agent, conversation_id, device)
    CallEvent.objects.create(
        call=call, kind=CallEvent.Kind.STATS, actor=party, data={k: stats[k] for k in STATS_KEYS if k in stats}
    )


def call_ice_refresh(
    *,
    call_id: int,
    party: Party,
    agent: User | None = None,
    conversation_id: int | None = None,
    device: int | None = None,
) -> IceConfig:
    """Fresh ICE configuration (newly minted TURN credentials) for one side of a live call."""
    call = _check_side(
        Call.objects.filter(pk=call_id).select_related("conversation").first(), party, agent, conversation_id, device
    )
    return ice_config_for(call_settings=_settings_of(call.account_id), participant=participant_name(call, party))


def _check_side(
    call: Call | None, party: Party, agent: User | None, conversation_id: int | None, device: int | None
) -> Call:
    """An unlocked read's checks: the asking side's call (not_found otherwise), in a media state, on
    the consumer's device that holds it."""
    if (
        call is None
        or (party == "agent" and (agent is None or call.agent_id != agent.pk))
        or (party == "consumer" and call.conversation_id != conversation_id)
    ):
        raise CallError("not_found", "No such call.")
    if call.state not in Call.MEDIA_STATES:
        raise CallError("invalid_state", f"The call is {call.state}.")
    if party == "consumer" and device is not None and call.consumer_device != device:
        raise CallError("invalid_state", MOVED)
    return call
