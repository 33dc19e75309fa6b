"""Reads for the workspace page that the socket's frames do not carry."""

from __future__ import annotations

from django.db.models import Q

from accounts.models import User
from calls.models import Conversation, Message
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
