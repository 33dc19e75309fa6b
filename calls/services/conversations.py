"""Conversations: routing to the least busy online agent, the agents' commands on them, messages,
and the agents' online leases that routing reads."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from accounts.models import Account, User
from calls.models import AgentConnection, Call, Conversation, Message
from calls.payloads import conversation_payload
from calls.push import account_agents_group, consumer_group, publish
from settings_profiles.texts import render_text

from .common import MAX_MESSAGE_LENGTH, CallError, Party, _conversation_for_agent, _post_message, _settings_of
from .transitions import _ending_for, _locked_call, _transition


def _route(conversation: Conversation, now: datetime, *, exclude: User | None = None) -> User | None:
    """The online agent of the account who is not in a call, with the fewest open conversations (ties:
    lowest id); agents in a live call (ringing, connecting or active) come only after every free one."""
    online = AgentConnection.objects.filter(lease_until__gt=now).values("agent_id")
    in_call = Call.objects.filter(agent_id=OuterRef("pk"), state__in=Call.LIVE_STATES)
    candidates = User.objects.filter(account_id=conversation.account_id, is_active=True, pk__in=online)
    if exclude is not None:
        candidates = candidates.exclude(pk=exclude.pk)
    return (
        candidates.annotate(
            busy=Exists(in_call),
            open_count=Count("conversations", filter=Q(conversations__state=Conversation.State.OPEN)),
        )
        .order_by("busy", "open_count", "pk")
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
    start_key: str = "",
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
        start_key=start_key,
        created_at=now,
    )
    agent = _route(conversation, now)
    if agent is not None:
        conversation.agent, conversation.state = agent, Conversation.State.OPEN
        conversation.save(update_fields=["agent", "state"])
    _publish_conversation(conversation)
    return conversation


START_KEY_LENGTH = (16, 64)


def conversation_start(
    *,
    account: Account,
    channel: str,
    text: str,
    start_key: str,
    consumer_name: str = "",
    consumer_ref: str = "",
    locale: str = "",
) -> tuple[Conversation, bool]:
    """The consumer's first message starts the conversation: created, routed and the message posted in
    one transaction, or nothing at all. `start_key` (the window's idempotency key) makes a retry return
    the conversation it already started (second value False) instead of creating another."""
    text = text.strip()
    if not text:
        raise CallError("bad_request", "A message needs text.")
    if len(text) > MAX_MESSAGE_LENGTH:
        raise CallError("too_large", f"Messages are limited to {MAX_MESSAGE_LENGTH} characters.", "message_too_long")
    existing = Conversation.objects.filter(account=account, start_key=start_key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            conversation = conversation_create(
                account=account,
                channel=channel,
                consumer_name=consumer_name,
                consumer_ref=consumer_ref,
                locale=locale,
                start_key=start_key,
            )
            _post_message(conversation=conversation, author="consumer", text=text)
    except IntegrityError:
        # Two identical requests raced: the other one committed the conversation and its message.
        return Conversation.objects.get(account=account, start_key=start_key), False
    return conversation, True


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
        raise CallError("invalid_state", "The conversation is already closed.", "conversation_closed")
    if conversation.agent_id not in (None, agent.pk):
        raise CallError("forbidden", "The conversation is assigned to another agent.", "assigned_elsewhere")
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
def conversation_transfer(*, agent: User, conversation_id: int, to_agent_id: int | None = None) -> Conversation:
    """The assigned agent hands an open conversation (no live call) to the queue, or to another online
    agent of the account; the consumer reads a system line from the account's texts."""
    conversation = _conversation_for_agent(agent, conversation_id)
    if conversation.state != Conversation.State.OPEN:
        raise CallError(
            "invalid_state", f"The conversation is {conversation.state}: only an open one can be transferred."
        )
    if conversation.agent_id != agent.pk:
        raise CallError("forbidden", "The conversation is assigned to another agent.", "assigned_elsewhere")
    if Call.objects.filter(conversation=conversation, state__in=Call.LIVE_STATES).exists():
        raise CallError("invalid_state", "End the call before transferring the conversation.", "call_live")
    now = timezone.now()
    target = None
    if to_agent_id is not None:
        if to_agent_id == agent.pk:
            raise CallError("invalid_state", "The conversation is already yours.", "already_yours")
        target = User.objects.filter(pk=to_agent_id, account_id=conversation.account_id, is_active=True).first()
        if target is None:
            raise CallError("not_found", "No such agent in your account.", "no_such_agent")
        if not AgentConnection.objects.filter(agent=target, lease_until__gt=now).exists():
            raise CallError("invalid_state", f"{target.display_name} is not online.", "colleague_offline")
    if target is None:
        conversation.agent, conversation.state = None, Conversation.State.QUEUED
    else:
        conversation.agent = target
    conversation.save(update_fields=["agent", "state"])
    texts = _settings_of(conversation.account_id).resolved_texts(conversation.locale)
    if target is None:
        line = render_text(texts["system_transferred_queue"])
    else:
        line = render_text(texts["system_transferred_agent"], agent_name=target.display_name)
    _post_message(conversation=conversation, author=Message.Author.SYSTEM, kind=Message.Kind.SYSTEM, text=line, now=now)
    # The account's agents see who has it now (the previous agent's list drops it); the window too.
    _publish_conversation(conversation, to_consumer=True)
    return conversation


@transaction.atomic
def message_send(*, conversation_id: int, party: Party, text: str, agent: User | None = None) -> Message:
    """A text message from the agent (assigned, open conversation) or the consumer."""
    text = text.strip()
    if not text:
        raise CallError("bad_request", "A message needs text.")
    if len(text) > MAX_MESSAGE_LENGTH:
        raise CallError("too_large", f"Messages are limited to {MAX_MESSAGE_LENGTH} characters.", "message_too_long")
    found: Conversation | None
    if party == "agent":
        if agent is None:
            raise CallError("forbidden", "An agent's message needs the agent.")
        found = _conversation_for_agent(agent, conversation_id, lock=False)
        if found.agent_id != agent.pk:
            raise CallError("forbidden", "The conversation is not assigned to you.", "not_yours")
    else:
        found = Conversation.objects.filter(pk=conversation_id).first()
    if found is None:
        raise CallError("not_found", "No such conversation.")
    conversation = found
    if conversation.state == Conversation.State.CLOSED:
        raise CallError("invalid_state", "The conversation is closed.", "conversation_closed")
    return _post_message(conversation=conversation, author=party, text=text, author_user=agent)


# --- presence leases (routing) --------------------------------------------------------------------


def presence_renew(
    *,
    agent_calls: Iterable[int] = (),
    consumer_calls: Iterable[int] = (),
    agent_channels: Iterable[str] = (),
    now: datetime | None = None,
) -> None:
    """Renew presence leases in a few statements, however many: each side's lease on the live calls
    listed for it (the process's heartbeat, `calls.sockets.presence`), and the online lease of the agent
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


def agent_connection_open(*, agent: User, channel_name: str) -> None:
    AgentConnection.objects.update_or_create(
        channel_name=channel_name,
        defaults={"agent": agent, "lease_until": timezone.now() + timedelta(seconds=settings.AGENT_LEASE_S)},
    )


def agent_connection_close(*, channel_name: str) -> None:
    AgentConnection.objects.filter(channel_name=channel_name).delete()
