"""POST /api/v1/conversations/: what a brand's messaging window calls to start a conversation."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from accounts.models import Account
from calls.models import Conversation
from calls.tokens import conversation_id_from_token

URL = "/api/v1/conversations/"


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()


@pytest.mark.django_db
def test_creates_a_queued_conversation_with_a_token(client, account):
    response = client.post(
        URL,
        {"account": "acme", "channel": "web_messaging", "consumer_name": "Casey", "locale": "de"},
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    conversation = Conversation.objects.get(pk=body["id"])
    assert (conversation.account, conversation.state, conversation.channel) == (account, "queued", "web_messaging")
    assert conversation.locale == "de" and conversation.consumer_name == "Casey"
    assert conversation_id_from_token(body["consumer_token"]) == (conversation.pk, account.pk)
    assert body["websocket_url"].endswith(f"/ws/consumer/?token={body['consumer_token']}")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"account": "nope", "channel": "web_messaging"}, "account"),
        ({"channel": "web_messaging"}, "account"),
        ({"account": "acme", "channel": "sms"}, "channel"),
        ({"account": "acme", "locale": "xx"}, "locale"),
        ({"account": "acme", "consumer_name": "x" * 101}, "consumer_name"),
    ],
)
def test_bad_input_is_400_naming_the_field_and_creates_nothing(client, account, payload, field):
    response = client.post(URL, payload, content_type="application/json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Conversation.objects.exists()


@pytest.mark.django_db
def test_inactive_account_cannot_start_conversations(client, account):
    Account.objects.filter(pk=account.pk).update(active=False)
    response = client.post(URL, {"account": "acme"}, content_type="application/json")
    assert response.status_code == 400 and "account" in response.json()
    assert not Conversation.objects.exists()


@pytest.mark.django_db
def test_forged_and_foreign_tokens_are_refused():
    assert conversation_id_from_token("garbage") is None
    assert conversation_id_from_token("eyJjIjoxLCJhIjoxfQ:1abc:forged") is None
