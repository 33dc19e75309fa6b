"""Reads for the workspace page that the socket's frames do not carry."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from accounts.models import User
from calls.models import AgentConnection, Call, Conversation, Message
from calls.payloads import message_payload
from calls.selectors import HELLO_MESSAGES_PER_CONVERSATION


def workspace_transcript(*, agent: User, conversation_id: int) -> list[dict] | None:
    """The last messages of a conversation the agent may see (as in `hello`: the account's queued
    conversations and the agent's own), oldest first; None when there is no such conversation."""
    if agent.account_id is None:
        return None
    visible = Conversation.objects.filter(pk=conversation_id, account_id=agent.account_id).filter(
        Q(state=Conversation.State.QUEUED) | Q(agent=agent)
    )
    if not visible.exists():
        return None
    latest = Message.objects.filter(conversation_id=conversation_id).order_by("-id")[:HELLO_MESSAGES_PER_CONVERSATION]
    return [message_payload(m) for m in reversed(latest)]


def transfer_targets(*, agent: User) -> list[dict]:
    """The colleagues of the agent's account who are online now (a fresh lease), for the transfer
    dialog: id, name, and whether they are in a live call (they may still take a conversation)."""
    if agent.account_id is None:  # support staff: no account, no colleagues
        return []
    online = AgentConnection.objects.filter(agent_id=OuterRef("pk"), lease_until__gt=timezone.now())
    in_call = Call.objects.filter(agent_id=OuterRef("pk"), state__in=Call.LIVE_STATES)
    colleagues = (
        User.objects.filter(account_id=agent.account_id, is_active=True)
        .exclude(pk=agent.pk)
        .filter(Exists(online))
        .annotate(busy=Exists(in_call))
        .order_by("name", "pk")
    )
    return [{"id": user.pk, "name": user.display_name, "in_call": user.busy} for user in colleagues]
