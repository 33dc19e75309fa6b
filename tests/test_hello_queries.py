"""The sockets' `hello` frames read a constant number of queries however much the agent has."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from calls import services
from calls.models import Call, Conversation
from calls.selectors import agent_hello, consumer_hello

from .factories import UserFactory

pytestmark = pytest.mark.django_db


def _busy_agent_world(account, agent, conversations: int, messages: int) -> list[Conversation]:
    """Conversations (half taken by `agent`) with messages, an ended call in each of the agent's, and
    the agent's one live call (any earlier live call is hung up first)."""
    for live in Call.objects.filter(agent=agent, state__in=Call.LIVE_STATES):
        services.call_hangup(call_id=live.pk, party="agent", agent=agent)
    made = []
    for n in range(conversations):
        conversation = services.conversation_create(account=account, channel="web_messaging", consumer_name=f"C{n}")
        if conversation.state == Conversation.State.QUEUED and n % 2 == 0:
            services.conversation_take(agent=agent, conversation_id=conversation.pk)
        for m in range(messages):
            services.message_send(conversation_id=conversation.pk, party="consumer", text=f"message {m}")
        made.append(conversation)
    mine = [c for c in made if Conversation.objects.get(pk=c.pk).agent_id == agent.pk]
    for conversation in mine:
        call = services.call_invite(agent=agent, conversation_id=conversation.pk, media="video")
        services.call_hangup(call_id=call.pk, party="agent", agent=agent)
    services.call_invite(agent=agent, conversation_id=mine[-1].pk, media="voice")
    return made


def test_agent_hello_does_not_grow_with_conversations_messages_and_calls(account):
    agent = UserFactory(account=account)
    _busy_agent_world(account, agent, conversations=3, messages=2)
    with CaptureQueriesContext(connection) as small:
        hello = agent_hello(agent=agent)
    assert hello["call"] is not None and len(hello["conversations"]) == 3
    _busy_agent_world(account, agent, conversations=12, messages=8)
    with CaptureQueriesContext(connection) as big:
        hello = agent_hello(agent=agent)
    assert len(hello["conversations"]) == 15
    assert len(big.captured_queries) == len(small.captured_queries), [q["sql"] for q in big.captured_queries]


def test_consumer_hello_does_not_grow_with_the_transcript(account):
    agent = UserFactory(account=account)
    [conversation] = _busy_agent_world(account, agent, conversations=1, messages=2)
    conversation.refresh_from_db()
    with CaptureQueriesContext(connection) as small:
        consumer_hello(conversation=conversation)
    for m in range(30):
        services.message_send(conversation_id=conversation.pk, party="consumer", text=f"more {m}")
    with CaptureQueriesContext(connection) as big:
        hello = consumer_hello(conversation=conversation)
    assert hello["call"] is not None and len(hello["messages"]) > 30
    assert len(big.captured_queries) == len(small.captured_queries)


def test_hello_carries_the_last_200_messages_in_order(account, settings):
    from calls.selectors import HELLO_MESSAGES_PER_CONVERSATION

    conversation = services.conversation_create(account=account, channel="web_messaging")
    for m in range(HELLO_MESSAGES_PER_CONVERSATION + 5):
        services.message_send(conversation_id=conversation.pk, party="consumer", text=f"m{m}")
    texts = [message["text"] for message in consumer_hello(conversation=conversation)["messages"]]
    assert texts == [f"m{m}" for m in range(5, HELLO_MESSAGES_PER_CONVERSATION + 5)]
