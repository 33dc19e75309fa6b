"""Reads for the sockets: the `hello` frames, in a constant number of queries."""

from __future__ import annotations

from typing import Literal

from django.db.models import F, Q, Window
from django.db.models.functions import RowNumber

from accounts.models import User
from settings_profiles.models import AccountCallSettings
from settings_profiles.services import PERMISSIONS, media_decision

from .models import Call, Conversation, Message
from .payloads import call_payload, conversation_payload, message_payload
from .services import side_extras

HELLO_MESSAGES_PER_CONVERSATION = 200


def _live_call(
    call: Call | None, call_settings: AccountCallSettings, party: Literal["agent", "consumer"], device: int = 0
) -> dict:
    """`call` (the call object) and `call_extras` (what a `call.state` frame would add for this side)."""
    if call is None:
        return {"call": None, "call_extras": None}
    if party == "consumer" and call.answered_at is not None and call.consumer_device != device:
        return {"call": call_payload(call), "call_extras": {"moved": True}}
    return {"call": call_payload(call), "call_extras": side_extras(call, call_settings, party)}


def _messages_by_conversation(conversation_ids: list[int]) -> dict[int, list[dict]]:
    """The last HELLO_MESSAGES_PER_CONVERSATION messages of each conversation, cut by the database
    (a window per conversation), so a long transcript costs no more than a short one."""
    grouped: dict[int, list[dict]] = {cid: [] for cid in conversation_ids}
    latest = (
        Message.objects.filter(conversation_id__in=conversation_ids)
        .annotate(newest_first=Window(RowNumber(), partition_by=F("conversation_id"), order_by=F("id").desc()))
        .filter(newest_first__lte=HELLO_MESSAGES_PER_CONVERSATION)
        .order_by("id")
    )
    for message in latest:
        grouped[message.conversation_id].append(message_payload(message))
    return grouped


def _agent_permissions(agent: User, call_settings: AccountCallSettings) -> dict:
    profiles = list(agent.profiles.all())
    decisions = {
        m: media_decision(user=agent, call_settings=call_settings, profiles=profiles, media=m) for m in PERMISSIONS
    }
    return {
        "permissions": {m: d.allowed for m, d in decisions.items()},
        "permission_reasons": {m: d.reason for m, d in decisions.items() if not d.allowed},
        "permission_reason_codes": {m: d.code for m, d in decisions.items() if not d.allowed},
    }


def agent_settings(*, agent: User) -> dict:
    """The `settings` frame an open agent socket gets when support changed something: permissions
    (kill switches, profiles, grants) and the account's texts, as in `hello`."""
    account_id = agent.account_id
    assert account_id is not None  # the agent socket admits only agents of an account
    call_settings = AccountCallSettings.objects.get(account_id=account_id)
    agent = User.objects.get(pk=agent.pk)  # the socket's user object may be stale (is_active)
    return {"type": "settings", **_agent_permissions(agent, call_settings), "texts": call_settings.resolved_texts()}


def consumer_settings(*, conversation_id: int) -> dict:
    """The `settings` frame of an open consumer socket: the kill switches, texts (its locale) and style."""
    conversation = Conversation.objects.select_related("account__call_settings").get(pk=conversation_id)
    call_settings = conversation.account.call_settings
    return {
        "type": "settings",
        "voice_enabled": call_settings.voice_enabled,
        "video_enabled": call_settings.video_enabled,
        "share_enabled": call_settings.screen_share_enabled,
        "texts": call_settings.resolved_texts(conversation.locale),
        "style": call_settings.resolved_style(),
    }


def agent_hello(*, agent: User) -> dict:
    """The agent's permissions, open and queued conversations with transcripts, and the live call."""
    account_id = agent.account_id
    assert account_id is not None  # the agent socket admits only agents of an account
    call_settings = AccountCallSettings.objects.select_related("account").get(account_id=account_id)
    conversations = list(
        Conversation.objects.filter(account_id=account_id)
        .filter(Q(state=Conversation.State.QUEUED) | Q(state=Conversation.State.OPEN, agent=agent))
        .order_by("created_at")
    )
    messages = _messages_by_conversation([c.pk for c in conversations])
    call = Call.objects.filter(agent=agent, state__in=Call.LIVE_STATES).select_related("conversation", "agent").first()
    return {
        "type": "hello",
        "role": "agent",
        "agent": {"id": agent.pk, "name": agent.display_name, "account": call_settings.account.slug},
        **_agent_permissions(agent, call_settings),
        "conversations": [{**conversation_payload(c), "messages": messages[c.pk]} for c in conversations],
        **_live_call(call, call_settings, "agent"),
        "texts": call_settings.resolved_texts(),
    }


def consumer_hello(*, conversation: Conversation, device: int = 0) -> dict:
    """The consumer's conversation, transcript, live call (with invitation or ICE) and texts. A live
    call held by another device of the consumer (it moved to the phone) comes without extras."""
    call_settings = AccountCallSettings.objects.select_related("account").get(account_id=conversation.account_id)
    call = (
        Call.objects.filter(conversation=conversation, state__in=Call.LIVE_STATES)
        .select_related("conversation", "agent")
        .first()
    )
    return {
        "type": "hello",
        "role": "consumer",
        "conversation": conversation_payload(conversation),
        "messages": _messages_by_conversation([conversation.pk])[conversation.pk],
        "device": device,
        **_live_call(call, call_settings, "consumer", device),
        "texts": call_settings.resolved_texts(conversation.locale),
        "style": call_settings.resolved_style(),
    }
