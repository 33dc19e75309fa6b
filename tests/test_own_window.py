"""A brand's own messaging window on its own site (issue 19): per-account allowed origins drive CORS on
the window's endpoints and the consumer socket's Origin check; brand backends create conversations
with an account API key and per-visitor limits; the SDK config publishes the supported browsers."""

from __future__ import annotations

import re

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.core.cache import cache
from django.test import Client

from calls.api_keys import api_key_create, api_key_revoke
from calls.models import AccountApiKey, Conversation
from consoleproj.asgi import application
from settings_profiles.models import SettingsChange
from settings_profiles.services import call_settings_update

from .ws import HOST

BRAND = "https://www.acme.example"
CONVERSATIONS = "/api/v1/conversations/"
SDK_CONFIG = "/api/v1/sdk/config"
# Another port, another scheme, another host: each one is another origin.
FOREIGN = ["https://www.acme.example:8443", "http://www.acme.example", "https://evil.example", "null"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def brand(account, support):
    call_settings_update(
        call_settings=account.call_settings,
        data={"allowed_origins": [BRAND]},
        changed_by=support,
        source=SettingsChange.Source.API,
    )
    return account


def _post(origin: str | None, body: dict | None = None, **extra):
    headers = {"HTTP_ORIGIN": origin} if origin else {}
    return Client().post(
        CONVERSATIONS, body or {"account": "acme"}, content_type="application/json", **headers, **extra
    )


def _preflight(origin: str, path: str = CONVERSATIONS, method: str = "POST"):
    return Client().options(
        path,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD=method,
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
    )


# --- CORS ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_allowed_origin_gets_cors_on_preflight_conversation_and_sdk_config(brand):
    preflight = _preflight(BRAND)
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Origin"] == BRAND
    assert preflight["Access-Control-Allow-Methods"] == "POST"
    assert "Content-Type" in preflight["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Credentials" not in preflight

    created = _post(BRAND)
    assert created.status_code == 201
    assert created["Access-Control-Allow-Origin"] == BRAND and "Origin" in created["Vary"]

    config = Client().get(SDK_CONFIG, {"account": "acme"}, HTTP_ORIGIN=BRAND)
    assert config.status_code == 200 and config["Access-Control-Allow-Origin"] == BRAND


@pytest.mark.django_db
@pytest.mark.parametrize("origin", FOREIGN)
def test_a_foreign_origin_another_port_or_scheme_gets_no_cors_and_no_conversation(brand, origin):
    preflight = _preflight(origin)
    assert preflight.status_code == 403 and "Access-Control-Allow-Origin" not in preflight

    refused = _post(origin)
    assert refused.status_code == 403 and "Access-Control-Allow-Origin" not in refused
    assert refused.json() == {"detail": "This page's origin is not one of the account's allowed origins."}
    assert not Conversation.objects.exists()

    config = Client().get(SDK_CONFIG, {"account": "acme"}, HTTP_ORIGIN=origin)
    assert "Access-Control-Allow-Origin" not in config


@pytest.mark.django_db
def test_an_origin_of_another_account_cannot_start_this_accounts_conversations(brand, other_account, support):
    call_settings_update(
        call_settings=other_account.call_settings,
        data={"allowed_origins": ["https://globex.example"]},
        changed_by=support,
        source="api",
    )
    # The preflight passes (some account lists the origin: it carries no body), the request does not.
    assert _preflight("https://globex.example").status_code == 204
    refused = _post("https://globex.example", {"account": "acme"})
    assert refused.status_code == 403 and "Access-Control-Allow-Origin" not in refused
    config = Client().get(SDK_CONFIG, {"account": "acme"}, HTTP_ORIGIN="https://globex.example")
    assert "Access-Control-Allow-Origin" not in config


@pytest.mark.django_db
def test_our_own_pages_and_apps_need_no_cors(brand):
    assert _post("http://127.0.0.1:8000", HTTP_HOST="127.0.0.1:8000").status_code == 201  # the hosted window
    assert _post(None).status_code == 201  # an app: no Origin at all
    assert Conversation.objects.count() == 2


@pytest.mark.django_db
def test_allowed_origins_are_validated_and_audited(account, support):
    from django.core.exceptions import ValidationError

    bad = ["https://www.acme.example/", "http://www.acme.example", "https://WWW.acme.example", "https://a.example:443"]
    for entry in bad:
        with pytest.raises(ValidationError) as refused:
            call_settings_update(
                call_settings=account.call_settings, data={"allowed_origins": [entry]}, changed_by=support, source="api"
            )
        assert "allowed_origins" in refused.value.message_dict, entry
    account.call_settings.refresh_from_db()
    assert account.call_settings.allowed_origins == []
    call_settings_update(
        call_settings=account.call_settings,
        data={"allowed_origins": ["https://www.acme.example", "http://localhost:5173"]},
        changed_by=support,
        source="api",
    )
    change = SettingsChange.objects.get(field="allowed_origins")
    assert change.new_value == '["https://www.acme.example", "http://localhost:5173"]' and change.changed_by == support


@pytest.mark.django_db
def test_support_edits_allowed_origins_through_the_api_and_the_admin_reads_them_in_the_console(
    account, support_client, admin_client
):
    url = f"/api/v1/accounts/{account.slug}/call-settings/"
    bad = support_client.patch(url, {"allowed_origins": ["ftp://x.example"]}, content_type="application/json")
    assert bad.status_code == 400 and "allowed_origins" in bad.json()
    ok = support_client.patch(url, {"allowed_origins": [BRAND]}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["allowed_origins"] == [BRAND]
    # The account's admin reads them, and cannot change them.
    assert admin_client.get(url).json()["allowed_origins"] == [BRAND]
    assert admin_client.patch(url, {"allowed_origins": []}, content_type="application/json").status_code == 403
    page = admin_client.get("/console/call-settings/")
    assert page.status_code == 200 and f"<code>{BRAND}</code>" in page.content.decode()


# --- The consumer socket ---------------------------------------------------------------------------


async def _consumer_connects(token: str, origin: str, host: bytes = b"127.0.0.1:8000") -> bool:
    communicator = WebsocketCommunicator(
        application, f"/ws/consumer/?token={token}", headers=[(b"origin", origin.encode()), (b"host", host)]
    )
    connected, _ = await communicator.connect()
    if connected:
        hello = await communicator.receive_json_from()
        assert hello["type"] == "hello"
        await communicator.disconnect()
    return connected


@pytest.mark.django_db(transaction=True)
async def test_the_consumer_socket_opens_from_an_allowed_origin_only(brand):
    token = (await sync_to_async(_post)(BRAND)).json()["consumer_token"]
    assert await _consumer_connects(token, BRAND)
    assert await _consumer_connects(token, "http://127.0.0.1:8000")  # our hosted window
    for origin in FOREIGN + ["http://127.0.0.1:8001", "https://127.0.0.1:8000"]:
        assert not await _consumer_connects(token, origin), origin


@pytest.mark.django_db(transaction=True)
async def test_account_origins_never_open_agent_sockets(brand, agent):
    from .ws import session_cookie

    cookie = await sync_to_async(session_cookie)(agent)
    communicator = WebsocketCommunicator(
        application, "/ws/agent/", headers=[(b"origin", BRAND.encode()), HOST, (b"cookie", cookie)]
    )
    connected, _ = await communicator.connect()
    assert not connected


# --- Server to server: account API keys ------------------------------------------------------------


@pytest.fixture
def api_key(account, support) -> str:
    return api_key_create(account=account, name="shop backend", created_by=support)[1]


@pytest.mark.django_db
def test_a_backend_creates_conversations_with_its_key_and_the_key_is_stored_hashed(account, api_key):
    response = _post(
        None, {"visitor_ip": "203.0.113.7", "consumer_name": "Casey"}, HTTP_AUTHORIZATION=f"Bearer {api_key}"
    )
    assert response.status_code == 201, response.content
    conversation = Conversation.objects.get(pk=response.json()["id"])
    assert conversation.account == account and conversation.consumer_name == "Casey"
    row = AccountApiKey.objects.get()
    assert api_key not in {row.prefix, row.key_hash} and api_key.split("_", 2)[2] not in row.key_hash
    assert row.last_used_at is not None


@pytest.mark.django_db
def test_a_key_needs_a_visitor_and_its_own_account(account, other_account, api_key):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_key}"}
    assert _post(None, {"consumer_name": "x"}, **auth).json() == {
        "visitor_ip": ["Send the visitor's address (visitor_ip) or your id of the visitor (visitor_id)."]
    }
    other = _post(None, {"account": other_account.slug, "visitor_id": "v1"}, **auth)
    assert other.status_code == 400 and "account" in other.json()
    assert _post(None, {"account": "acme", "visitor_id": "v1"}).status_code == 400  # visitor fields need a key
    assert not Conversation.objects.exists()


@pytest.mark.django_db
def test_unknown_revoked_or_in_page_keys_are_refused(account, api_key):
    assert _post(None, {"visitor_id": "v"}, HTTP_AUTHORIZATION="Bearer vvck_000000000000_nope").status_code == 401
    assert _post(None, {"visitor_id": "v"}, HTTP_AUTHORIZATION=f"Bearer {api_key}x").status_code == 401
    in_page = _post("https://evil.example", {"visitor_id": "v"}, HTTP_AUTHORIZATION=f"Bearer {api_key}")
    assert in_page.status_code == 403
    api_key_revoke(api_key=AccountApiKey.objects.get())
    assert _post(None, {"visitor_id": "v"}, HTTP_AUTHORIZATION=f"Bearer {api_key}").status_code == 401
    assert not Conversation.objects.exists()


@pytest.mark.django_db
def test_per_visitor_limits_follow_the_visitor_the_backend_names_not_a_header(account, api_key, settings):
    """GIVEN a visitor limit of 3 a minute
    WHEN the backend starts conversations for one visitor, with a different X-Forwarded-For each time
    THEN the 4th is refused, while another visitor of the same backend still gets through."""
    settings.API_KEY_VISITOR_RATE = "3/min"
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_key}"}
    for n in range(3):
        body = {"visitor_ip": "203.0.113.7"}
        assert _post(None, body, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}", **auth).status_code == 201
    limited = _post(None, {"visitor_ip": "203.0.113.7"}, HTTP_X_FORWARDED_FOR="198.51.100.99", **auth)
    assert limited.status_code == 429
    assert _post(None, {"visitor_ip": "203.0.113.8"}, **auth).status_code == 201
    assert _post(None, {"visitor_id": "session-42"}, **auth).status_code == 201
    assert Conversation.objects.count() == 5


@pytest.mark.django_db
def test_support_creates_a_key_in_the_admin_and_sees_it_once(account, support_client):
    page = support_client.post("/admin/calls/accountapikey/add/", {"account": account.pk, "name": "shop backend"})
    assert page.status_code == 200
    key = page.context["key"]
    assert key.startswith("vvck_") and key in page.content.decode()
    row = AccountApiKey.objects.get()
    assert key not in row.key_hash
    listing = support_client.get("/admin/calls/accountapikey/").content.decode()
    assert f"vvck_{row.prefix}_" in listing and key not in listing


# --- Browsers and the public call client -----------------------------------------------------------


@pytest.mark.django_db
def test_sdk_config_lists_the_supported_browsers_and_the_call_client(account, settings):
    settings.SUPPORTED_BROWSERS = {"Chrome": 155, "Safari": 26}
    body = Client().get(SDK_CONFIG, {"account": account.slug}).json()
    assert body["browsers"] == [{"family": "Chrome", "min_version": 155}, {"family": "Safari", "min_version": 26}]
    assert body["sdk"] == {"version": "1.0.0", "module": "/engage/sdk/v1/callclient.js"}


@pytest.mark.django_db
def test_the_public_call_client_is_served_with_cors(client):
    entry = client.get("/engage/sdk/v1/callclient.js")
    assert entry.status_code == 200 and entry["Access-Control-Allow-Origin"] == "*"
    assert entry["Content-Type"].startswith("text/javascript")
    source = entry.content.decode()
    for export in ("export class Platform", "export function checkBrowser", "export const VERSION"):
        assert export in source
    assert client.get("/engage/sdk/v1/session.js").status_code == 200
    # Every module session.js imports is served beside it (a missing one breaks the window).
    session = client.get("/engage/sdk/v1/session.js").content.decode()
    for imported in re.findall(r'from "\./([a-z]+\.js)"', session + source):  # and callclient.js's own
        assert client.get(f"/engage/sdk/v1/{imported}").status_code == 200, imported
    assert "export class ReadinessCheck" in client.get("/engage/sdk/v1/readiness.js").content.decode()
    assert client.get("/engage/sdk/v1/../settings.py").status_code == 404
    assert client.get("/engage/sdk/v1/nope.js").status_code == 404


# --- The agent hears that the consumer is reconnecting --------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_the_agent_is_told_when_the_consumer_reconnects_during_a_call(agent):
    """GIVEN a video call in `connecting` between an agent and a consumer
    WHEN the consumer's only socket goes (a reload), and then a new one opens
    THEN the agent gets call.peer `reconnecting`, then `back`; the call is still connecting"""
    from .test_calls_protocol import accept, online_agent_with_conversation, ring, start_conversation_token
    from .ws import consumer_socket

    agent_ws, consumer_ws, conversation_id = await online_agent_with_conversation(agent)
    call_id = await ring(agent_ws, consumer_ws, conversation_id)
    await accept(consumer_ws, call_id)
    await agent_ws.until("call.state", state="connecting")
    await consumer_ws.until("call.state", state="connecting")
    await consumer_ws.close()
    gone = await agent_ws.until("call.peer")
    assert gone == {"type": "call.peer", "call_id": call_id, "party": "consumer", "connection": "reconnecting"}
    token = await sync_to_async(start_conversation_token)(conversation_id)
    again, hello = await consumer_socket(token)
    assert hello["call"]["id"] == call_id and hello["call"]["state"] == "connecting"
    back = await agent_ws.until("call.peer")
    assert back["connection"] == "back" and back["call_id"] == call_id
    # A second socket of the consumer leaving while another stays says nothing.
    third, _ = await consumer_socket(token)
    await agent_ws.until("call.peer")  # `back` again for the new tab
    await third.close()
    assert await agent_ws.nothing()
    await again.close()
    await agent_ws.close()


@pytest.mark.django_db
def test_support_sees_allowed_origins_in_the_admin(account, support_client):
    page = support_client.get(f"/admin/settings_profiles/accountcallsettings/{account.call_settings.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Own messaging window" in html and 'name="allowed_origins"' in html
