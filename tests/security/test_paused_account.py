"""A paused account keeps nothing (findings 3 and 4): its admins and agents lose the REST API (token
or session, every endpoint, new tokens), and its consumer sockets are closed and refused, as its
agent sockets and the console already were."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts.models import Account, User
from calls import services
from calls.models import Message
from calls.tokens import consumer_token_for
from consoleproj.asgi import application
from tests.factories import PASSWORD
from tests.ws import HOST, ORIGIN, consumer_socket

PAUSED = "This account is paused"


def pause(account: Account) -> None:
    """As support does it in the admin: the row is saved."""
    account.active = False
    account.save()


def token_client(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=user)[1]}")
    return client


@pytest.mark.django_db
def test_an_admin_of_a_paused_account_loses_every_endpoint(admin_user, agent, support):
    """
    GIVEN an account admin with an API token and a session, and support with a token
    WHEN support pauses the account
    THEN every endpoint answers the admin 403 with the reason (lists, creation, reports, CSV, call
         settings), nothing is created, the session API refuses the same, and support is unaffected
    """
    by_token = token_client(admin_user)
    by_session = APIClient()
    by_session.force_login(admin_user)
    assert by_token.get("/api/v1/agents/").status_code == 200
    pause(admin_user.account)

    slug = admin_user.account.slug
    requests = [
        ("get", "/api/v1/agents/", None),
        ("post", "/api/v1/agents/", {"email": "new.agent@acme.example", "password": "a-long-unusual-pass"}),
        ("get", f"/api/v1/agents/{agent.pk}/", None),
        ("patch", f"/api/v1/agents/{agent.pk}/", {"name": "Renamed"}),
        ("get", "/api/v1/profiles/", None),
        ("post", "/api/v1/profiles/", {"name": "Sneaky", "can_voice": True, "can_video": True}),
        ("get", f"/api/v1/accounts/{slug}/call-settings/", None),
        ("get", "/api/v1/reports/collaboration-sessions/?period=last_7_days", None),
        ("get", "/api/v1/reports/collaboration-sessions/?period=last_7_days&format=csv", None),
    ]
    for client in (by_token, by_session):
        for method, path, body in requests:
            response = getattr(client, method)(path, body, format="json")
            assert response.status_code == 403, (method, path, response.status_code)
            assert PAUSED in response.json()["detail"], (method, path)
    assert not User.objects.filter(email="new.agent@acme.example").exists()
    assert User.objects.get(pk=agent.pk).name != "Renamed"
    assert not admin_user.account.profiles.filter(name="Sneaky").exists()
    assert token_client(support).get(f"/api/v1/accounts/{slug}/call-settings/").status_code == 200


@pytest.mark.django_db
def test_no_new_token_for_a_paused_account(admin_user):
    pause(admin_user.account)
    response = APIClient().post("/api/v1/auth/token/", {"email": admin_user.email, "password": PASSWORD}, format="json")
    assert response.status_code == 403 and PAUSED in response.json()["detail"]
    assert not AuthToken.objects.filter(user=admin_user).exists()


@pytest.mark.django_db
def test_an_agent_of_a_paused_account_loses_the_api_and_a_resume_gives_it_back(agent):
    client = token_client(agent)
    pause(agent.account)
    assert client.get("/api/v1/agents/").status_code == 403
    account = Account.objects.get(pk=agent.account_id)
    account.active = True
    account.save()
    # An agent is not an admin: back to the ordinary refusal, which names the role, not the pause.
    response = client.get("/api/v1/agents/")
    assert response.status_code == 403 and PAUSED not in response.json()["detail"]


@pytest.mark.django_db(transaction=True)
async def test_a_consumer_socket_open_before_a_pause_is_closed_and_stores_nothing(account, other_account):
    """
    GIVEN two consumer sockets of an account and one of another account, open
    WHEN support pauses the account
    THEN the account's consumer sockets are closed at once with 4403, a message sent after it is not
         stored, a new socket with the same token is refused with 4403, and the other account's
         socket stays open
    """
    conversation = await sync_to_async(services.conversation_create)(
        account=account, channel="web_messaging", consumer_name="", consumer_ref="", locale=""
    )
    other = await sync_to_async(services.conversation_create)(
        account=other_account, channel="web_messaging", consumer_name="", consumer_ref="", locale=""
    )
    token = consumer_token_for(conversation_id=conversation.pk, account_id=account.pk)
    socket, _ = await consumer_socket(token)
    second, _ = await consumer_socket(token)
    bystander, _ = await consumer_socket(consumer_token_for(conversation_id=other.pk, account_id=other_account.pk))

    await sync_to_async(pause)(await sync_to_async(Account.objects.get)(pk=account.pk))
    for open_socket in (socket, second):
        assert await open_socket.communicator.receive_output(timeout=3) == {"type": "websocket.close", "code": 4403}
    await socket.communicator.send_json_to({"type": "message.send", "text": "after the pause"})
    assert await sync_to_async(Message.objects.filter(conversation=conversation).count)() == 0

    fresh = WebsocketCommunicator(application, f"/ws/consumer/?token={token}", headers=[ORIGIN, HOST])
    await fresh.connect()
    assert await fresh.receive_output(timeout=3) == {"type": "websocket.close", "code": 4403}

    assert await bystander.nothing()
    for communicator in (socket.communicator, second.communicator, fresh, bystander.communicator):
        await communicator.disconnect()
