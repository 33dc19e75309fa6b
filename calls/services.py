"""The call state machine and the conversation commands: the ONE place a Conversation, Message or
Call row changes.

Every transition locks the call row, checks the state, writes one CallEvent, posts the account's
system message into the transcript and, after commit, pushes `call.state` to both sides. The
consumers, API views and Celery tasks only call these functions.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import Account, User
from settings_profiles.ice import ice_config_for
from settings_profiles.models import AccountCallSettings
from settings_profiles.services import media_decision
from settings_profiles.texts import render_text

from .browsers import check_client
from .events import account_agents_group, account_live_group, agent_group, consumer_group, publish, publish_built
from .models import AgentConnection, Call, CallEvent, Conversation, Message
from .payloads import call_payload, conversation_payload, format_duration, message_payload
from .signals import call_ended_on_commit

logger = logging.getLogger(__name__)

Party = Literal["agent", "consumer"]
State = Call.State

# Client-reported reasons to hang up that mean the call could not work, and the text shown for each.
FAILURE_REASONS = {
    "unsupported_browser": "error_unsupported_browser",
    "no_webrtc": "error_unsupported_browser",
    "no_camera": "error_no_devices",
    "no_microphone": "error_no_devices",
    "no_devices": "error_no_devices",
    "permission_denied": "error_permission_denied",
    "ice_failed": "error_connection_failed",
    "connect_timeout": "error_connection_failed",
}
SYSTEM_TEXT = {
    State.RINGING: "system_call_invited",
    State.CONNECTING: "system_call_accepted",
    State.REJECTED: "system_call_rejected",
    State.CANCELLED: "system_call_cancelled",
    State.EXPIRED: "system_call_missed",
    State.FAILED: "system_call_failed",
    State.COMPLETED: "system_call_completed",
    State.DROPPED: "system_call_dropped",
}
TERMINAL = {State.REJECTED, State.CANCELLED, State.EXPIRED, State.FAILED, State.COMPLETED, State.DROPPED}
ALLOWED = {
    State.RINGING: {State.CONNECTING, State.REJECTED, State.CANCELLED, State.EXPIRED, State.FAILED},
    State.CONNECTING: {State.ACTIVE, State.CANCELLED, State.FAILED, State.DROPPED, State.COMPLETED},
    State.ACTIVE: {State.COMPLETED, State.DROPPED, State.FAILED},
}
MAX_MESSAGE_LENGTH = 4000


class CallError(Exception):
    """A refused command; `code` is one of the protocol's error codes."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


# --- helpers ------------------------------------------------------------------------------------


def _settings_of(account_id: int) -> AccountCallSettings:
    return AccountCallSettings.objects.select_related("account").get(account_id=account_id)


def _party_groups(call: Call) -> tuple[list[str], list[str]]:
    return [agent_group(call.agent_id)] if call.agent_id else [], [consumer_group(call.conversation_id)]


def _post_message(
    *,
    conversation: Conversation,
    author: str,
    text: str,
    kind: str = Message.Kind.TEXT,
    author_user: User | None = None,
    call: Call | None = None,
    now: datetime | None = None,
) -> Message:
    message = Message.objects.create(
        conversation=conversation,
        author=author,
        author_user=author_user,
        kind=kind,
        text=text,
        call=call,
        created_at=now or timezone.now(),
    )
    frame = {"type": "message", "message": message_payload(message)}
    groups = [consumer_group(conversation.pk)]
    if conversation.agent_id:
        groups.append(agent_group(conversation.agent_id))
    publish(groups, frame)
    return message


def _system_text(call: Call, call_settings: AccountCallSettings, key: str, *, reason: str = "") -> str:
    texts = call_settings.resolved_texts(call.conversation.locale)
    agent_name = call.agent.display_name if call.agent else ""
    return render_text(
        texts[key],
        agent_name=agent_name,
        brand_name=call_settings.account.name,
        media=texts[f"media_{call.media}"],
        duration=format_duration(call.duration_s),
        reason=reason,
    )


def error_text(call_settings: AccountCallSettings, reason: str, locale: str) -> str:
    key = FAILURE_REASONS.get(reason, "error_connection_failed")
    return call_settings.resolved_texts(locale)[key]


def invitation_for(call: Call, call_settings: AccountCallSettings) -> dict:
    """What the consumer's window shows while a call rings: the account's texts and style."""
    texts = call_settings.resolved_texts(call.conversation.locale)
    values = {"agent_name": call.agent.display_name if call.agent else "", "brand_name": call_settings.account.name}
    return {
        "media": call.media,
        "title": render_text(texts[f"invitation_title_{call.media}"], **values),
        "body": render_text(texts[f"invitation_body_{call.media}"], **values),
        "accept": texts["invitation_accept"],
        "reject": texts["invitation_reject"],
        "style": call_settings.resolved_style(),
        "expires_at": call.ring_deadline,
    }


def participant_name(call: Call, party: Party) -> str:
    """The TURN REST user part: identifies a call side in coturn's logs without personal data."""
    return f"call{call.pk}-{party}"


def side_extras(call: Call, call_settings: AccountCallSettings, party: Party) -> dict:
    """The per-side parts of a `call.state` frame (and of `hello` when a live call is rejoined)."""
    extras: dict = {}
    if call.state == State.RINGING and party == "consumer":
        extras["invitation"] = invitation_for(call, call_settings)
    if call.state in Call.MEDIA_STATES:
        extras["ice"] = ice_config_for(call_settings=call_settings, participant=participant_name(call, party))
        video = call.media == Call.Media.VIDEO
        extras["media"] = {
            "agent_camera_on": video and not call_settings.agent_camera_off_at_start,
            "consumer_camera_on": video and not call_settings.consumer_camera_off_at_start,
        }
    if call.state == State.FAILED:
        locale = call.conversation.locale if party == "consumer" else call_settings.locale
        extras["error"] = {"code": call.end_reason, "text": error_text(call_settings, call.end_reason, locale)}
    return extras


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
    call_id: int, *, party: Party, agent: User | None = None, conversation_id: int | None = None
) -> Call:
    """The locked call, if the asking side takes part in it; otherwise not_found (nothing revealed)."""
    call = _locked_call(call_id)
    if party == "agent" and (agent is None or call.agent_id != agent.pk):
        raise CallError("not_found", "No such call.")
    if party == "consumer" and call.conversation_id != conversation_id:
        raise CallError("not_found", "No such call.")
    return call


# --- conversations --------------------------------------------------------------------------------


def _route(conversation: Conversation, now: datetime) -> User | None:
    """The online agent of the account with the fewest open conversations (ties: longest idle id)."""
    online = AgentConnection.objects.filter(lease_until__gt=now).values("agent_id")
    return (
        User.objects.filter(account_id=conversation.account_id, is_active=True, pk__in=online)
        .annotate(open_count=Count("conversations", filter=Q(conversations__state=Conversation.State.OPEN)))
        .order_by("open_count", "pk")
        .first()
    )


def _publish_conversation(conversation: Conversation, *, to_consumer: bool = False) -> None:
    groups = [account_agents_group(conversation.account_id)]
    if to_consumer:
        groups.append(consumer_group(conversation.pk))
    publish(groups, {"type": "conversation", "conversation": conversation_payload(conversation)})


@transaction.atomic
def conversation_create(
    *,
    account: Account,
    channel: str,
    consumer_name: str = "",
    consumer_ref: str = "",
    locale: str = "",
) -> Conversation:
    """A consumer starts a conversation; it goes to the least busy online agent or waits in the queue."""
    if not account.active:
        raise CallError("forbidden", "This account is not active.")
    now = timezone.now()
    call_settings = _settings_of(account.pk)
    conversation = Conversation.objects.create(
        account=account,
        channel=channel,
        consumer_name=consumer_name[:100],
        consumer_ref=consumer_ref[:100],
        locale=locale or call_settings.locale,
        created_at=now,
    )
    agent = _route(conversation, now)
    if agent is not None:
        conversation.agent, conversation.state = agent, Conversation.State.OPEN
        conversation.save(update_fields=["agent", "state"])
    _publish_conversation(conversation)
    return conversation


def _conversation_for_agent(agent: User, conversation_id: int, *, lock: bool = True) -> Conversation:
    qs = Conversation.objects.filter(pk=conversation_id, account_id=agent.account_id)
    conversation = (qs.select_for_update() if lock else qs).first()
    if conversation is None:
        raise CallError("not_found", "No such conversation.")
    return conversation


@transaction.atomic
def conversation_take(*, agent: User, conversation_id: int) -> Conversation:
    """An agent takes a queued conversation of the account."""
    conversation = _conversation_for_agent(agent, conversation_id)
    if conversation.state != Conversation.State.QUEUED:
        raise CallError("invalid_state", f"The conversation is {conversation.state}, not queued.")
    conversation.agent, conversation.state = agent, Conversation.State.OPEN
    conversation.save(update_fields=["agent", "state"])
    _publish_conversation(conversation, to_consumer=True)  # the window shows that an agent joined
    return conversation


@transaction.atomic
def conversation_close(*, agent: User, conversation_id: int) -> Conversation:
    """The assigned agent closes a conversation; a live call in it ends (`conversation_closed`)."""
    conversation = _conversation_for_agent(agent, conversation_id)
    if conversation.state == Conversation.State.CLOSED:
        raise CallError("invalid_state", "The conversation is already closed.")
    if conversation.agent_id not in (None, agent.pk):
        raise CallError("forbidden", "The conversation is assigned to another agent.")
    live = (
        Call.objects.filter(conversation=conversation, state__in=Call.LIVE_STATES).values_list("pk", flat=True).first()
    )
    if live is not None:
        call = _locked_call(live)
        _transition(call, _ending_for(call, "agent"), actor="agent", reason="conversation_closed")
    conversation.state, conversation.closed_at = Conversation.State.CLOSED, timezone.now()
    conversation.save(update_fields=["state", "closed_at"])
    _publish_conversation(conversation, to_consumer=True)
    return conversation


@transaction.atomic
def message_send(*, conversation_id: int, party: Party, text: str, agent: User | None = None) -> Message:
    """A text message from the agent (assigned, open conversation) or the consumer."""
    text = text.strip()
    if not text:
        raise CallError("bad_request", "A message needs text.")
    if len(text) > MAX_MESSAGE_LENGTH:
        raise CallError("too_large", f"Messages are limited to {MAX_MESSAGE_LENGTH} characters.")
    if party == "agent":
        conversation = _conversation_for_agent(agent, conversation_id, lock=False)
        if conversation.agent_id != agent.pk:
            raise CallError("forbidden", "The conversation is not assigned to you.")
    else:
        conversation = Conversation.objects.filter(pk=conversation_id).first()
        if conversation is None:
            raise CallError("not_found", "No such conversation.")
    if conversation.state == Conversation.State.CLOSED:
        raise CallError("invalid_state", "The conversation is closed.")
    return _post_message(conversation=conversation, author=party, text=text, author_user=agent)


# --- calls ----------------------------------------------------------------------------------------


@transaction.atomic
def call_invite(*, agent: User, conversation_id: int, media: str) -> Call:
    """The agent invites the consumer to a call, if DESIGN.md's permission rule allows it."""
    conversation = _conversation_for_agent(agent, conversation_id)
    if conversation.channel != Conversation.Channel.WEB_MESSAGING:
        raise CallError("not_messaging", "Calls are only possible in web messaging conversations, not in chat.")
    if conversation.state != Conversation.State.OPEN:
        raise CallError("invalid_state", f"The conversation is {conversation.state}; calls need an open one.")
    if conversation.agent_id != agent.pk:
        raise CallError("forbidden", "The conversation is not assigned to you.")
    call_settings = _settings_of(agent.account_id)
    if not getattr(call_settings, f"{media}_enabled"):
        raise CallError("media_disabled", f"{media.capitalize()} calls are switched off for this account.")
    decision = media_decision(user=agent, call_settings=call_settings, profiles=agent.profiles.all(), media=media)
    if not decision.allowed:
        raise CallError("forbidden", f"You may not start {media} calls: {decision.reason}.")
    if Call.objects.filter(agent=agent, state__in=Call.LIVE_STATES).exists():
        raise CallError("invalid_state", "You are already in a call; end it first.")
    now = timezone.now()
    try:
        with transaction.atomic():
            call = Call.objects.create(
                account_id=agent.account_id,
                conversation=conversation,
                agent=agent,
                media=media,
                created_at=now,
                ring_deadline=now + timedelta(seconds=call_settings.ring_timeout_s),
                reconnect_grace_s=call_settings.reconnect_grace_s,
            )
    except IntegrityError as exc:  # the partial unique index: one live call per conversation
        raise CallError("invalid_state", "This conversation already has a live call.") from exc
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
def call_accept(*, conversation_id: int, call_id: int, client: ClientInfo) -> Call:
    """The consumer accepts: an unsupported client fails the call, a supported one starts connecting."""
    call = _call_of_party(call_id, party="consumer", conversation_id=conversation_id)
    if call.state != State.RINGING:
        raise CallError("invalid_state", f"The call is {call.state}, not ringing.")
    check = check_client(
        user_agent=client.user_agent,
        webrtc=client.webrtc,
        camera=client.camera,
        microphone=client.microphone,
        media=call.media,
    )
    call.consumer_browser = check.browser
    if not check.ok:
        return _transition(call, State.FAILED, actor="consumer", reason=check.reason, data={"browser": check.browser})
    _transition(call, State.CONNECTING, actor="consumer", data={"browser": check.browser})
    _schedule_timer(call.pk, call.connect_deadline)
    return call


@transaction.atomic
def call_reject(*, conversation_id: int, call_id: int) -> Call:
    call = _call_of_party(call_id, party="consumer", conversation_id=conversation_id)
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
) -> Call:
    """Either side ends the call. Ringing: cancelled (agent) or rejected (consumer). A failure reason
    reported by the client (no devices, permission denied, ICE failure) fails it; otherwise a call that
    was active completes and one still connecting is cancelled."""
    call = _call_of_party(call_id, party=party, agent=agent, conversation_id=conversation_id)
    if not call.is_live:
        raise CallError("invalid_state", f"The call has already ended ({call.state}).")
    if reason in FAILURE_REASONS and call.state != State.ACTIVE:
        return _transition(call, State.FAILED, actor=party, reason=reason)
    # "user" (the person at this side pressed hang up) is recorded as who it was.
    reason = f"{party}_hangup" if reason in ("", "user") else reason
    return _transition(call, _ending_for(call, party), actor=party, reason=reason)


@transaction.atomic
def call_connected(
    *, call_id: int, party: Party, agent: User | None = None, conversation_id: int | None = None
) -> Call:
    """A side reports ICE connected: the first report makes the call active; each is logged."""
    call = _call_of_party(call_id, party=party, agent=agent, conversation_id=conversation_id)
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
) -> Call:
    """Mute/unmute, camera on/off or switched: logged as an event (the frame is relayed by the socket)."""
    call = _call_of_party(call_id, party=party, agent=agent, conversation_id=conversation_id)
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
)


@transaction.atomic
def call_stats_sample(
    *, call_id: int, party: Party, stats: dict, agent: User | None = None, conversation_id: int | None = None
) -> None:
    """A quality sample from `getStats`, stored as an event (only the known numeric keys)."""
    call = Call.objects.filter(pk=call_id).only("pk", "agent_id", "conversation_id", "state").first()
    if (
        call is None
        or (party == "agent" and call.agent_id != agent.pk)
        or (party == "consumer" and call.conversation_id != conversation_id)
    ):
        raise CallError("not_found", "No such call.")
    if call.state not in Call.MEDIA_STATES:
        raise CallError("invalid_state", f"The call is {call.state}.")
    CallEvent.objects.create(
        call=call, kind=CallEvent.Kind.STATS, actor=party, data={k: stats[k] for k in STATS_KEYS if k in stats}
    )


def presence_renew(
    *,
    agent_calls: Iterable[int] = (),
    consumer_calls: Iterable[int] = (),
    agent_channels: Iterable[str] = (),
    now: datetime | None = None,
) -> None:
    """Renew presence leases in a few statements, however many: each side's lease on the live calls
    listed for it (the process's heartbeat, `calls.presence`), and the online lease of the agent
    sockets listed by channel name.

    A call's lease is its reconnect grace, snapshotted on the call when it was created; calls that
    are no longer connecting or active are left alone (the state is checked again by the UPDATE).
    """
    now = now or timezone.now()
    for party, call_ids in (("agent", agent_calls), ("consumer", consumer_calls)):
        for chunk in _chunks(sorted(call_ids)):
            live = Call.objects.filter(pk__in=chunk, state__in=Call.MEDIA_STATES)
            by_grace: dict[int, list[int]] = defaultdict(list)
            for pk, grace in live.values_list("pk", "reconnect_grace_s"):
                by_grace[grace].append(pk)
            for grace, pks in by_grace.items():
                Call.objects.filter(pk__in=pks, state__in=Call.MEDIA_STATES).update(
                    **{f"{party}_deadline": now + timedelta(seconds=grace)}
                )
    for chunk in _chunks(sorted(agent_channels)):
        AgentConnection.objects.filter(channel_name__in=chunk).update(
            lease_until=now + timedelta(seconds=settings.AGENT_LEASE_S)
        )


def _chunks(items: list, size: int = 500):
    """Slices of `items` small enough for any backend's limit on query parameters."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def call_ice_refresh(
    *, call_id: int, party: Party, agent: User | None = None, conversation_id: int | None = None
) -> dict:
    """Fresh ICE configuration (newly minted TURN credentials) for one side of a live call."""
    call = Call.objects.filter(pk=call_id).select_related("conversation").first()
    if (
        call is None
        or (party == "agent" and call.agent_id != agent.pk)
        or (party == "consumer" and call.conversation_id != conversation_id)
    ):
        raise CallError("not_found", "No such call.")
    if call.state not in Call.MEDIA_STATES:
        raise CallError("invalid_state", f"The call is {call.state}.")
    return ice_config_for(call_settings=_settings_of(call.account_id), participant=participant_name(call, party))


# --- timers ---------------------------------------------------------------------------------------


def _schedule_timer(call_id: int, when: datetime | None) -> None:
    """Ask a worker to look at the call when its deadline passes (the beat sweep is the safety net)."""
    if when is None or settings.CELERY_TASK_ALWAYS_EAGER:
        return  # eager mode: the in-process ticker sweeps instead of a countdown that would run now
    from .tasks import call_timer_task

    transaction.on_commit(lambda: call_timer_task.apply_async((call_id,), eta=when + timedelta(milliseconds=200)))


@transaction.atomic
def call_fire_timers(*, call_id: int, now: datetime | None = None) -> Call | None:
    """Apply whichever deadline of one call has passed: expire, fail to connect, or drop."""
    now = now or timezone.now()
    call = (
        Call.objects.select_for_update(of=("self",)).select_related("conversation", "agent").filter(pk=call_id).first()
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
    """Fire every passed deadline of every live call; returns how many calls changed state."""
    now = now or timezone.now()
    due = Call.objects.filter(
        Q(state=State.RINGING, ring_deadline__lte=now)
        | Q(state__in=Call.MEDIA_STATES)
        & (Q(agent_deadline__lte=now) | Q(consumer_deadline__lte=now) | Q(connect_deadline__lte=now))
    ).values_list("pk", flat=True)
    changed = 0
    for call_id in list(due):
        try:
            if call_fire_timers(call_id=call_id, now=now) is not None:
                changed += 1
        except Exception:  # one broken call must not stop the sweep of the others
            logger.exception("sweeping call %s failed", call_id)
    return changed


# --- agent presence (routing) -----------------------------------------------------------------------


def agent_connection_open(*, agent: User, channel_name: str) -> None:
    AgentConnection.objects.update_or_create(
        channel_name=channel_name,
        defaults={"agent": agent, "lease_until": timezone.now() + timedelta(seconds=settings.AGENT_LEASE_S)},
    )


def agent_connection_close(*, channel_name: str) -> None:
    AgentConnection.objects.filter(channel_name=channel_name).delete()
