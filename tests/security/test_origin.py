"""Issue 12, item 11: the WebSocket Origin check ignored scheme and port (`http://allowed-host:9999`
passed in production). In production only https origins count, with the exact host and port; an
account's plain-http (localhost) origins count nowhere there. Driven through the real ASGI stack."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from calls.models import Conversation
from calls.tokens import consumer_token_for
from consoleproj.asgi import application

HOST = "calls.example.com"


async def _handshake(path: str, origin: str, *, scheme: str = "ws") -> bool:
    """Whether the socket passes the Origin check (it may still be closed with 4401 afterwards)."""
    communicator = WebsocketCommunicator(
        application, path, headers=[(b"origin", origin.encode()), (b"host", HOST.encode())]
    )
    communicator.scope["scheme"] = scheme
    connected, _ = await communicator.connect()
    await communicator.disconnect()
    return connected


@pytest.fixture
def production(settings):
    settings.PRODUCTION = True
    settings.ALLOWED_HOSTS = [HOST]
    settings.PLATFORM_ORIGINS = []


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "origin",
    [
        f"http://{HOST}:9999",  # the pen test's finding
        f"http://{HOST}",
        f"https://{HOST}:9999",
        f"https://{HOST}.evil.example",
        "https://evil.example",
        f"wss://{HOST}",
        "null",
    ],
)
async def test_production_refuses_every_origin_but_the_exact_https_one(production, origin):
    assert not await _handshake("/ws/agent/", origin)
    assert not await _handshake("/ws/live/", origin)


@pytest.mark.django_db(transaction=True)
async def test_production_accepts_its_own_https_origin(production):
    # Behind the TLS proxy the socket itself arrives as ws: the page's https origin is what counts.
    assert await _handshake("/ws/agent/", f"https://{HOST}")
    assert await _handshake("/ws/agent/", f"https://{HOST}:443")


@pytest.mark.django_db(transaction=True)
async def test_production_ignores_an_accounts_plain_http_origins(production, account):
    await sync_to_async(type(account.call_settings).objects.filter(pk=account.call_settings.pk).update)(
        allowed_origins=["http://localhost:5173", "https://www.acme.example"]
    )
    conversation = await sync_to_async(Conversation.objects.create)(account=account)
    path = f"/ws/consumer/?token={consumer_token_for(conversation_id=conversation.pk, account_id=account.pk)}"
    assert await _handshake(path, "https://www.acme.example")
    assert not await _handshake(path, "http://localhost:5173")
    assert not await _handshake(path, "https://www.acme.example:8443")


@pytest.mark.django_db(transaction=True)
async def test_outside_production_the_scheme_and_port_must_still_match_the_request(settings):
    settings.ALLOWED_HOSTS = [HOST]
    assert await _handshake("/ws/agent/", f"http://{HOST}")
    assert not await _handshake("/ws/agent/", f"http://{HOST}:9999")
    assert not await _handshake("/ws/agent/", f"https://{HOST}")  # the request came as ws, not wss
    assert await _handshake("/ws/agent/", f"https://{HOST}", scheme="wss")


@pytest.mark.django_db
def test_production_gives_cors_to_https_account_origins_only(production, account):
    from django.test import Client

    type(account.call_settings).objects.filter(pk=account.call_settings.pk).update(
        allowed_origins=["http://localhost:5173", "https://www.acme.example"]
    )
    client = Client(HTTP_HOST=HOST)
    for origin, allowed in [("https://www.acme.example", True), ("http://localhost:5173", False)]:
        response = client.get("/api/v1/sdk/config", {"account": account.slug}, HTTP_ORIGIN=origin, secure=True)
        assert response.status_code == 200
        assert (response.get("Access-Control-Allow-Origin") == origin) is allowed, origin
