"""The consumer side's HTTP surface: the SDK config API, the framed messaging window, the mobile webview
call page, the demo brand page and the stable script URL (calls/engage/)."""

from __future__ import annotations

import json
import re

import pytest
from django.core.cache import cache

from accounts.models import Account
from calls import services
from calls.models import Conversation
from calls.tokens import consumer_token_for
from settings_profiles.models import AccountCallSettings
from settings_profiles.services import call_settings_update
from settings_profiles.validation import SDK_STYLE_DEFAULTS

SDK_URL = "/api/v1/sdk/config"
ICE_CREDENTIAL = "ice-Credential-Never-Shown-5678"
TURN_SECRET = "turn-Rest-Secret-Never-Shown-1234"


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()


@pytest.fixture
def branded(account, support) -> Account:
    """Acme with its own texts, colours, a tracker, and secrets that must never reach a visitor."""
    call_settings_update(
        call_settings=account.call_settings,
        data={
            "texts": {"invitation_accept": "Join the call", "invitation_title_video": "{agent_name} calls you"},
            "texts_by_locale": {"de": {"invitation_accept": "Jetzt beitreten"}},
            "sdk_style": {"accept_button_background": "#0F766E", "invitation_border_radius": 20},
            "analytics_tracker": "google_analytics",
            "analytics_config": {"measurement_id": "G-ACME1234"},
            "ice_servers": [{"urls": "turn:turn.acme.example:3478", "username": "acme", "credential": ICE_CREDENTIAL}],
            "turn_rest_urls": ["turn:relay.acme.example:3478"],
            "turn_rest_shared_secret": TURN_SECRET,
        },
        changed_by=support,
        source="admin",
    )
    return account


def _no_secrets(text: str) -> None:
    for secret in (ICE_CREDENTIAL, TURN_SECRET, "turn.acme.example", "relay.acme.example", "ice_servers", "turn_rest"):
        assert secret not in text, f"{secret!r} leaked"


def _page_config(response) -> dict:
    match = re.search(
        r'<script id="engage-config" type="application/json">(.*?)</script>', response.content.decode(), re.S
    )
    assert match, "the page carries no engage-config"
    return json.loads(match.group(1))


# --- GET /api/v1/sdk/config -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_sdk_config_returns_the_resolved_style_texts_and_tracker(client, branded, django_assert_num_queries):
    with django_assert_num_queries(2):  # the account with its settings, and the browser floors
        response = client.get(SDK_URL, {"account": "acme"})
    assert response.status_code == 200
    body = response.json()
    assert body["account"] == "acme" and body["name"] == "Acme Telecom" and body["locale"] == "en"
    assert body["voice_enabled"] is True and body["video_enabled"] is True
    assert body["style"] == {
        **SDK_STYLE_DEFAULTS,
        "accept_button_background": "#0F766E",
        "invitation_border_radius": 20,
    }
    assert body["texts"]["invitation_accept"] == "Join the call"
    assert body["texts"]["invitation_title_video"] == "{agent_name} calls you"
    assert body["texts"]["invitation_reject"] == "Decline"  # defaults filled in
    assert body["analytics_tracker"] == "google_analytics"
    assert body["analytics_config"] == {"measurement_id": "G-ACME1234"}
    # Public and cacheable; no Origin sent (an app), so no CORS header: browsers get one only from
    # the account's allowed origins (tests/test_own_window.py).
    assert "Access-Control-Allow-Origin" not in response
    assert "max-age=60" in response["Cache-Control"] and "Origin" in response["Vary"]
    assert {"family": "Chrome", "min_version": 155} in body["browsers"]
    _no_secrets(response.content.decode())


@pytest.mark.django_db
def test_sdk_config_in_another_locale(client, branded):
    body = client.get(SDK_URL, {"account": "acme", "locale": "de"}).json()
    assert body["locale"] == "de"
    assert body["texts"]["invitation_accept"] == "Jetzt beitreten"
    assert body["texts"]["invitation_reject"] == "Ablehnen"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "field"),
    [({"account": "nope"}, "account"), ({}, "account"), ({"account": "acme", "locale": "xx"}, "locale")],
)
def test_sdk_config_bad_query_is_400_naming_the_field(client, account, query, field):
    response = client.get(SDK_URL, query)
    assert response.status_code == 400
    assert list(response.json()) == [field]


@pytest.mark.django_db
def test_sdk_config_of_an_inactive_account_is_400(client, account):
    Account.objects.filter(pk=account.pk).update(active=False)
    response = client.get(SDK_URL, {"account": "acme"})
    assert response.status_code == 400
    assert response.json() == {"account": ["Unknown or inactive account."]}


@pytest.mark.django_db
def test_sdk_config_is_per_account(client, branded, other_account):
    """GIVEN two accounts, one customised WHEN each is asked for THEN each gets only its own settings."""
    other = client.get(SDK_URL, {"account": "globex"}).json()
    assert other["account"] == "globex" and other["name"] == "Globex"
    assert other["style"] == SDK_STYLE_DEFAULTS
    assert other["texts"]["invitation_accept"] == "Accept"
    assert other["analytics_tracker"] == "none" and other["analytics_config"] == {}
    assert client.get(SDK_URL, {"account": "acme"}).json()["texts"]["invitation_accept"] == "Join the call"


@pytest.mark.django_db
def test_sdk_config_shows_only_the_trackers_own_public_keys(client, account):
    # Written past validation (as an old row might hold it): only the tracker's own keys go out.
    AccountCallSettings.objects.filter(account=account).update(
        analytics_tracker="piwik", analytics_config={"site_id": "7", "api_token": "secret-token"}
    )
    body = client.get(SDK_URL, {"account": "acme"}).json()
    assert body["analytics_config"] == {"site_id": "7"}
    assert "secret-token" not in json.dumps(body)


@pytest.mark.django_db
def test_sdk_config_is_in_the_openapi_schema(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/sdk/config"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"account", "locale"}
    assert set(operation["responses"]) == {"200", "400"}
    assert operation["security"] == [{}]  # no authentication


# --- the messaging window (framed on brand pages) ---------------------------------------------------------


@pytest.mark.django_db
def test_window_page_is_frameable_and_carries_the_account_config(client, branded):
    response = client.get("/engage/window/", {"account": "acme", "locale": "de-AT"})
    assert response.status_code == 200
    assert "X-Frame-Options" not in response  # framed by engagement.js on every brand page
    config = _page_config(response)
    assert config["account"] == "acme" and config["name"] == "Acme Telecom" and config["locale"] == "de"
    assert config["texts"]["invitation_accept"] == "Jetzt beitreten"
    assert config["style"]["accept_button_background"] == "#0F766E"
    assert config["analytics"] == {"tracker": "google_analytics", "config": {"measurement_id": "G-ACME1234"}}
    assert config["conversations_url"] == "/api/v1/conversations/"
    assert config["socket_path"] == "/ws/consumer/"
    assert config["words"]["placeholder"] == "Nachricht schreiben…"
    _no_secrets(response.content.decode())


def test_the_window_s_call_words_are_the_account_s_texts_in_its_locale(client, branded, support):
    """
    GIVEN an account with its own German word for "the agent is muted"
    WHEN a German visitor's window page renders
    THEN the call stage, the invitation and the phone panel read the account's German texts (the custom
         one escaped), not the window's own English, and the page's texts carry the moved keys
    """
    call_settings_update(
        call_settings=branded.call_settings,
        data={
            "texts_by_locale": {"de": {"invitation_accept": "Jetzt beitreten", "call_peer_muted": "Ton aus & still"}}
        },
        changed_by=support,
        source="admin",
    )
    response = client.get("/engage/window/", {"account": "acme", "locale": "de"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<span>Ton aus &amp; still</span>" in html
    for german in ('aria-label="Anrufsteuerung"', 'aria-label="Anrufdauer"', "Nur Audio", "Zurück zur Unterhaltung"):
        assert german in html, german
    assert "Warten auf Ihr Handy…" in html and "Tippen, um den Ton einzuschalten" in html
    for english in (
        "Call controls",
        "Call duration",
        "Audio only",
        "Back to the conversation",
        "Waiting for your phone",
    ):
        assert english not in html, english
    texts = _page_config(response)["texts"]
    assert texts["invitation_devices_note_video"] == "Nach dem Annehmen fragt Ihr Browser nach Mikrofon und Kamera."
    assert texts["handoff_code_expires"] == "Gültig noch {time}"
    assert "devices_note" not in _page_config(response)["words"]  # moved to the account's texts


@pytest.mark.django_db
@pytest.mark.parametrize("query", [{"account": "nope"}, {}, {"account": "acme"}])
def test_window_page_for_no_active_account_says_so_in_words(client, account, query):
    Account.objects.filter(pk=account.pk).update(active=False)
    response = client.get("/engage/window/", query)
    assert response.status_code == 404
    assert "X-Frame-Options" not in response  # it shows inside the brand's frame, so it must be frameable
    assert b"Messaging is not available" in response.content
    assert b"Acme" not in response.content


@pytest.mark.django_db
def test_other_pages_stay_unframeable(client, account):
    assert client.get("/engage/demo/")["X-Frame-Options"] == "DENY"


# --- the mobile webview call page --------------------------------------------------------------------------


@pytest.fixture
def conversation(branded) -> Conversation:
    return services.conversation_create(account=branded, channel=Conversation.Channel.WEB_MESSAGING, locale="fr")


def _token(conversation: Conversation) -> str:
    return consumer_token_for(conversation_id=conversation.pk, account_id=conversation.account_id)


@pytest.mark.django_db
def test_webview_page_with_a_valid_token(client, conversation):
    call_settings_update(
        call_settings=conversation.account.call_settings,
        data={"sdk_style": {"webview_bar_background": "#0F766E", "webview_bar_text_color": "#F0FDFA"}},
        changed_by=None,
        source="api",
    )
    response = client.get("/engage/call/", {"token": _token(conversation)})
    assert response.status_code == 200
    config = _page_config(response)
    assert config["conversation_id"] == conversation.pk
    assert config["locale"] == "fr" and config["texts"]["call_end"] == "Raccrocher"
    assert config["style"]["webview_bar_background"] == "#0F766E"
    assert config["style"]["webview_bar_text_color"] == "#F0FDFA"
    # The app's bridge gets the tracker and its public ids only (docs/engagement.md, "Analytics").
    assert config["analytics"] == {"tracker": "google_analytics", "config": {"measurement_id": "G-ACME1234"}}
    # The URL holds the token: it is never passed on as a referrer, and the page is not cached.
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-cache" in response["Cache-Control"]
    _no_secrets(response.content.decode())


@pytest.mark.django_db
@pytest.mark.parametrize("case", ["missing", "forged", "tampered", "expired", "inactive_account", "deleted"])
def test_webview_page_refuses_a_bad_token_in_words_and_leaks_nothing(client, conversation, settings, case):
    token = _token(conversation)
    if case == "missing":
        token = ""
    elif case == "forged":
        token = "eyJjIjoxLCJhIjoxfQ:1vGZfT:not-our-signature"
    elif case == "tampered":
        token = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    elif case == "expired":
        settings.CONSUMER_TOKEN_MAX_AGE_S = -1
    elif case == "inactive_account":
        Account.objects.filter(pk=conversation.account_id).update(active=False)
    elif case == "deleted":
        conversation.delete()
    response = client.get("/engage/call/", {"token": token})
    assert response.status_code == 403
    text = response.content.decode()
    assert "This call link does not work" in text and "not valid or has expired" in text
    assert "Acme" not in text and "engage-config" not in text
    assert response["Referrer-Policy"] == "no-referrer"


# --- the script and the demo page ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_stable_script_url_serves_the_tag(client):
    response = client.get("/engage/engagement.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert "max-age=300" in response["Cache-Control"]
    body = b"".join(response.streaming_content).decode()
    assert "topmost frame" in body and "data-account" in body


@pytest.mark.django_db
def test_demo_page_carries_the_tag_for_the_demo_account(client):
    response = client.get("/engage/demo/")
    assert response.status_code == 200
    assert b'<script src="/static/engage/engagement.js" data-account="demo" async></script>' in response.content
    assert b"Acme Telecom" in response.content
