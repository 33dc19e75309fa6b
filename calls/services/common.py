"""What every command of the call domain shares: the refusal it raises, the account's settings,
the transcript writer, the agent's view of a conversation."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.utils import timezone

from accounts.models import User
from calls.models import Call, Conversation, Message
from calls.payloads import message_payload
from calls.push import agent_group, consumer_group, publish
from settings_profiles.models import AccountCallSettings

Party = Literal["agent", "consumer"]
State = Call.State
MAX_MESSAGE_LENGTH = 4000


class CallError(Exception):
    """A refused command; `code` is one of the protocol's error codes, `message` the English explanation
    for developers, `detail` (optional) which situation it was where one code covers very different ones:
    the UIs show the account's `agent_error_detail_<detail>` text for it (settings_profiles/texts_refusals.py)."""

    def __init__(self, code: str, message: str, detail: str = ""):
        super().__init__(message)
        self.code = code
        self.message = message
        self.detail = detail


def _settings_of(account_id: int) -> AccountCallSettings:
    return AccountCallSettings.objects.select_related("account").get(account_id=account_id)


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


def _conversation_for_agent(agent: User, conversation_id: int, *, lock: bool = True) -> Conversation:
    if agent.account_id is None:
        raise CallError("forbidden", "Only agents of an account have conversations.")
    qs = Conversation.objects.filter(pk=conversation_id, account_id=agent.account_id)
    conversation = (qs.select_for_update() if lock else qs).first()
    if conversation is None:
        raise CallError("not_found", "No such conversation.")
    return conversation
