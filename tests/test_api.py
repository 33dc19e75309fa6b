"""The REST API under /api/v1/: profiles, agents, call settings, tokens, and the OpenAPI schema."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from knox.crypto import hash_token
from knox.models import AuthToken
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.test import APIClient

from accounts.models import User
from settings_profiles.api.views import CallSettingsView
from settings_profiles.models import AccountCallSettings, Profile, SettingsChange
from settings_profiles.secrecy import MASK
from settings_profiles.services import call_settings_update

from .factories import PASSWORD, AdminFactory, ProfileFactory, UserFactory

pytestmark = pytest.mark.django_db

PROFILES = "/api/v1/profiles/"
AGENTS = "/api/v1/agents/"
TOKEN = "/api/v1/auth/token/"
SECRET = "turn-rest-shared-secret-7f3a"
CREDENTIAL = "static-turn-password-91c2"


def call_settings_url(slug: str) -> str:
    return f"/api/v1/accounts/{slug}/call-settings/"


def api(user: User | None = None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def _no_platform_turn(settings):
    """Tests decide themselves whether a TURN server exists (force_relay depends on it)."""
    settings.ICE_SERVERS = []
    settings.TURN_REST_URLS = []
    settings.TURN_REST_SECRET = ""


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def other_admin(other_account) -> User:
    return AdminFactory(account=other_account, email="admin@globex.example")


def settings_row(account) -> dict:
    return AccountCallSettings.objects.filter(account=account).values().get()


def ids(response) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


# --- Access -----------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [PROFILES, AGENTS, call_settings_url("acme")])
def test_anonymous_is_refused(account, url):
    response = api().get(url)
    assert response.status_code in (401, 403)
    assert "results" not in response.json()


@pytest.mark.parametrize("url", [PROFILES, AGENTS, call_settings_url("acme")])
def test_agents_are_forbidden(agent, url):
    assert api(agent).get(url).status_code == 403


@pytest.mark.parametrize("url", [PROFILES, AGENTS])
def test_support_staff_have_no_account_lists(support, url):
    assert api(support).get(url).status_code == 403


def test_a_deactivated_admin_loses_access(admin_user):
    client = api(admin_user)
    User.objects.filter(pk=admin_user.pk).update(is_active=False)
    assert client.get(PROFILES).status_code in (401, 403)


# --- Profiles ---------------------------------------------------------------------------------


def test_profiles_list_shows_the_own_account_only_with_user_counts(admin_user, agent, other_account):
    """
    GIVEN an account with its default profile (held by its admin and agent) and a second profile,
          and another account with profiles of its own
    WHEN the admin lists the profiles
    THEN only the own account's profiles appear, default first, with how many users hold each
    """
    extra = ProfileFactory(account=admin_user.account, name="Voice only", can_video=False)
    ProfileFactory(account=other_account, name="Foreign")

    response = api(admin_user).get(PROFILES)

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [r["name"] for r in rows] == ["Default", "Voice only"]
    default = rows[0]
    assert default["is_default"] is True and default["user_count"] == 2
    assert rows[1] == {
        "id": extra.pk,
        "name": "Voice only",
        "description": "",
        "can_voice": True,
        "can_video": False,
        "can_share_screen": True,
        "is_default": False,
        "user_count": 0,
    }


def test_profile_create(admin_user):
    response = api(admin_user).post(PROFILES, {"name": " Video only ", "can_voice": False}, format="json")

    assert response.status_code == 201, response.json()
    profile = Profile.objects.get(pk=response.json()["id"])
    assert (profile.account, profile.name, profile.can_voice, profile.can_video) == (
        admin_user.account,
        "Video only",
        False,
        True,
    )
    assert response.json()["user_count"] == 0


def test_profile_create_refuses_a_name_taken_in_the_account(admin_user):
    response = api(admin_user).post(PROFILES, {"name": "default"}, format="json")

    assert response.status_code == 400
    assert "name" in response.json()
    assert Profile.objects.filter(account=admin_user.account).count() == 1


def test_profile_create_refuses_unknown_fields(admin_user):
    response = api(admin_user).post(PROFILES, {"name": "X", "can_screenshare": True}, format="json")

    assert response.status_code == 400
    assert response.json() == {"can_screenshare": ["Unknown field."]}
    assert not Profile.objects.filter(name="X").exists()


def test_profile_patch(admin_user):
    profile = ProfileFactory(account=admin_user.account, name="Sales")

    response = api(admin_user).patch(f"{PROFILES}{profile.pk}/", {"can_video": False}, format="json")

    assert response.status_code == 200
    profile.refresh_from_db()
    assert (profile.name, profile.can_voice, profile.can_video) == ("Sales", True, False)
    assert response.json()["can_video"] is False


def test_profile_put_is_not_offered(admin_user):
    profile = ProfileFactory(account=admin_user.account)
    response = api(admin_user).put(f"{PROFILES}{profile.pk}/", {"name": "X"}, format="json")
    assert response.status_code == 405


def test_profile_delete(admin_user):
    profile = ProfileFactory(account=admin_user.account)

    response = api(admin_user).delete(f"{PROFILES}{profile.pk}/")

    assert response.status_code == 204
    assert not Profile.objects.filter(pk=profile.pk).exists()


def test_the_default_profile_cannot_be_deleted(admin_user):
    default = Profile.objects.get(account=admin_user.account, is_default=True)

    response = api(admin_user).delete(f"{PROFILES}{default.pk}/")

    assert response.status_code == 400
    assert "cannot be deleted" in response.json()["detail"]
    assert Profile.objects.filter(pk=default.pk).exists()


def test_a_profile_in_use_cannot_be_deleted(admin_user, account):
    profile = ProfileFactory(account=account, name="Support")
    UserFactory(account=account, profiles=[profile])

    response = api(admin_user).delete(f"{PROFILES}{profile.pk}/")

    assert response.status_code == 400
    assert "assigned to 1 user" in response.json()["detail"]
    assert Profile.objects.filter(pk=profile.pk).exists()


def test_another_accounts_profile_is_not_found(admin_user, other_account):
    foreign = ProfileFactory(account=other_account, name="Foreign")
    client = api(admin_user)
    url = f"{PROFILES}{foreign.pk}/"

    assert client.get(url).status_code == 404
    assert client.patch(url, {"name": "Mine now"}, format="json").status_code == 404
    assert client.delete(url).status_code == 404
    assert foreign.pk not in ids(client.get(PROFILES))
    foreign.refresh_from_db()
    assert foreign.name == "Foreign"


def test_profiles_list_query_count_is_constant(admin_user, django_assert_num_queries):
    client = api(admin_user)
    for i in range(2):
        ProfileFactory(account=admin_user.account, name=f"P{i}")
    # session, user, count, profiles with their user counts
    with django_assert_num_queries(4):
        assert len(client.get(PROFILES).json()["results"]) == 3
    for i in range(2, 29):
        ProfileFactory(account=admin_user.account, name=f"P{i}")
    with django_assert_num_queries(4):
        assert len(client.get(PROFILES).json()["results"]) == 30


# --- Agents -----------------------------------------------------------------------------------


def test_agents_list_shows_the_account_users_with_permissions(admin_user, agent, other_admin):
    """
    GIVEN an account whose video calls are switched off by support, an agent holding a voice-only
          profile, and another account's admin
    WHEN the admin lists the agents
    THEN the account's admin and agent appear (not the other account's), each with profile ids and the
         effective permissions with the reason for every refusal
    """
    voice_only = ProfileFactory(account=agent.account, name="Voice only", can_video=False)
    agent.profiles.set([voice_only])
    AccountCallSettings.objects.filter(account=agent.account).update(video_enabled=False)

    response = api(admin_user).get(AGENTS)

    assert response.status_code == 200
    rows = {row["email"]: row for row in response.json()["results"]}
    assert set(rows) == {"admin@acme.example", "agent@acme.example"}
    row = rows["agent@acme.example"]
    assert (row["id"], row["name"], row["role"], row["is_active"]) == (agent.pk, "Andy Agent", "agent", True)
    assert row["profiles"] == [voice_only.pk]
    assert row["permissions"]["voice"] == {"allowed": True, "reason": ""}
    assert row["permissions"]["video"]["allowed"] is False
    assert "switched off" in row["permissions"]["video"]["reason"]
    assert "password" not in row


def test_agent_create(admin_user, login):
    response = api(admin_user).post(
        AGENTS, {"email": "New@Acme.example", "password": "a-long-enough-pass", "name": "Nia"}, format="json"
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert "password" not in body
    user = User.objects.get(pk=body["id"])
    assert (user.email, user.account, user.role, user.name) == ("new@acme.example", admin_user.account, "agent", "Nia")
    default = Profile.objects.get(account=admin_user.account, is_default=True)
    assert body["profiles"] == [default.pk]
    assert body["permissions"]["video"]["allowed"] is True
    assert user.check_password("a-long-enough-pass")


def test_agent_create_with_chosen_profiles_and_role(admin_user):
    profile = ProfileFactory(account=admin_user.account, name="Voice only", can_video=False)

    response = api(admin_user).post(
        AGENTS,
        {"email": "boss@acme.example", "password": "a-long-enough-pass", "role": "admin", "profiles": [profile.pk]},
        format="json",
    )

    assert response.status_code == 201, response.json()
    user = User.objects.get(email="boss@acme.example")
    assert user.role == "admin"
    assert list(user.profiles.all()) == [profile]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "weak@acme.example", "password": "password"}, "password"),
        ({"email": "weak@acme.example", "password": "short"}, "password"),
        ({"email": "agent@acme.example", "password": "a-long-enough-pass"}, "email"),
        ({"email": "not-an-email", "password": "a-long-enough-pass"}, "email"),
        ({"email": "x@acme.example", "password": "a-long-enough-pass", "role": "owner"}, "role"),
        ({"email": "x@acme.example", "password": "a-long-enough-pass", "profiles": []}, "profiles"),
        ({"email": "x@acme.example", "password": "a-long-enough-pass", "is_staff": True}, "is_staff"),
        ({"email": "x@acme.example"}, "password"),
    ],
)
def test_agent_create_refuses_bad_input(admin_user, agent, payload, field):
    before = User.objects.count()

    response = api(admin_user).post(AGENTS, payload, format="json")

    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert User.objects.count() == before


def test_agent_create_refuses_another_accounts_profiles(admin_user, other_account):
    foreign = ProfileFactory(account=other_account, name="Foreign")

    response = api(admin_user).post(
        AGENTS, {"email": "x@acme.example", "password": "a-long-enough-pass", "profiles": [foreign.pk]}, format="json"
    )

    assert response.status_code == 400
    assert "profiles" in response.json()
    assert "Foreign" not in response.content.decode()
    assert not User.objects.filter(email="x@acme.example").exists()


def test_agent_patch_name_and_profiles(admin_user, agent):
    profile = ProfileFactory(account=agent.account, name="Video only", can_voice=False)

    response = api(admin_user).patch(
        f"{AGENTS}{agent.pk}/", {"name": "Andrea", "profiles": [profile.pk]}, format="json"
    )

    assert response.status_code == 200, response.json()
    agent.refresh_from_db()
    assert agent.name == "Andrea"
    assert list(agent.profiles.all()) == [profile]
    assert response.json()["permissions"]["voice"]["allowed"] is False


def test_agent_patch_refuses_another_accounts_profiles(admin_user, agent, other_account):
    foreign = ProfileFactory(account=other_account, name="Foreign")
    before = list(agent.profiles.all())

    response = api(admin_user).patch(
        f"{AGENTS}{agent.pk}/", {"name": "Changed", "profiles": [foreign.pk]}, format="json"
    )

    assert response.status_code == 400
    assert "profiles" in response.json()
    agent.refresh_from_db()
    assert list(agent.profiles.all()) == before
    assert agent.name == "Andy Agent"


def test_agent_patch_refuses_no_profile_at_all(admin_user, agent):
    response = api(admin_user).patch(f"{AGENTS}{agent.pk}/", {"profiles": []}, format="json")

    assert response.status_code == 400
    assert "profiles" in response.json()
    assert agent.profiles.count() == 1


def test_agent_deactivate_and_reactivate(admin_user, agent):
    client = api(admin_user)

    response = client.patch(f"{AGENTS}{agent.pk}/", {"is_active": False}, format="json")

    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert response.json()["permissions"]["voice"] == {"allowed": False, "reason": "the user is deactivated"}
    agent.refresh_from_db()
    assert agent.is_active is False

    assert client.patch(f"{AGENTS}{agent.pk}/", {"is_active": True}, format="json").status_code == 200
    agent.refresh_from_db()
    assert agent.is_active is True


def test_nobody_deactivates_themselves(admin_user):
    response = api(admin_user).patch(f"{AGENTS}{admin_user.pk}/", {"is_active": False, "name": "Gone"}, format="json")

    assert response.status_code == 400
    assert "is_active" in response.json()
    admin_user.refresh_from_db()
    assert (admin_user.is_active, admin_user.name) == (True, "Ada Admin")


@pytest.mark.parametrize("payload", [{"email": "new@acme.example"}, {"role": "admin"}, {"password": "x"}])
def test_agent_patch_refuses_fields_it_cannot_change(admin_user, agent, payload):
    response = api(admin_user).patch(f"{AGENTS}{agent.pk}/", payload, format="json")

    assert response.status_code == 400
    assert set(response.json()) == set(payload)
    agent.refresh_from_db()
    assert (agent.email, agent.role) == ("agent@acme.example", "agent")


def test_another_accounts_user_is_not_found(admin_user, other_admin):
    client = api(admin_user)
    url = f"{AGENTS}{other_admin.pk}/"

    assert client.get(url).status_code == 404
    assert client.patch(url, {"is_active": False}, format="json").status_code == 404
    assert other_admin.pk not in ids(client.get(AGENTS))
    other_admin.refresh_from_db()
    assert other_admin.is_active is True


def test_agents_list_query_count_is_constant(admin_user, django_assert_num_queries):
    client = api(admin_user)
    UserFactory.create_batch(2, account=admin_user.account)
    # session, user with its account (checked for a pause), call settings, count, users, their profiles
    with django_assert_num_queries(6):
        assert len(client.get(AGENTS).json()["results"]) == 3
    UserFactory.create_batch(27, account=admin_user.account)
    with django_assert_num_queries(6):
        assert len(client.get(AGENTS).json()["results"]) == 30


# --- Call settings ----------------------------------------------------------------------------


@pytest.fixture
def call_settings_with_secrets(account, support) -> AccountCallSettings:
    call_settings = AccountCallSettings.objects.get(account=account)
    call_settings_update(
        call_settings=call_settings,
        data={
            "ice_servers": [
                {"urls": "stun:stun.example.com:3478"},
                {"urls": ["turn:turn.example.com:3478?transport=udp"], "username": "brand", "credential": CREDENTIAL},
            ],
            "turn_rest_urls": ["turns:relay.example.com:5349?transport=tcp"],
            "turn_rest_shared_secret": SECRET,
        },
        changed_by=support,
        source="command",
    )
    SettingsChange.objects.all().delete()
    return call_settings


def test_admin_reads_the_own_call_settings_without_secrets(admin_user, call_settings_with_secrets):
    response = api(admin_user).get(call_settings_url("acme"))

    assert response.status_code == 200
    body = response.json()
    assert body["account"] == "acme"
    assert body["voice_enabled"] is True and body["video_enabled"] is True
    assert body["ice_servers"] == [
        {"urls": "stun:stun.example.com:3478"},
        {"urls": ["turn:turn.example.com:3478?transport=udp"], "username": "brand", "credential": MASK},
    ]
    assert body["turn_rest"] == {
        "urls": ["turns:relay.example.com:5349?transport=tcp"],
        "shared_secret_set": True,
        "ttl_s": 3600,
    }
    assert body["ring_timeout_s"] == 60 and body["reconnect_grace_s"] == 20
    assert body["analytics_tracker"] == "none"
    assert body["resolved_texts"]["invitation_accept"] == "Accept"
    assert body["resolved_style"]["accept_button_background"] == "#16A34A"


@pytest.mark.parametrize("accept", ["application/json", "text/html"])
@pytest.mark.parametrize("who", ["admin_user", "support"])
def test_secrets_never_appear_in_a_get(request, monkeypatch, who, accept, call_settings_with_secrets):
    # The browsable API is served with DEBUG only (bound when the views are imported); serve it here
    # whatever DEBUG is, so its HTML page (forms prefilled from the row) is always checked.
    monkeypatch.setattr(CallSettingsView, "renderer_classes", [JSONRenderer, BrowsableAPIRenderer])
    response = api(request.getfixturevalue(who)).get(call_settings_url("acme"), HTTP_ACCEPT=accept)

    assert response.status_code == 200
    body = response.content.decode()

    assert SECRET not in body
    assert CREDENTIAL not in body
    assert 'shared_secret"' not in body


def test_admin_of_another_account_gets_not_found(other_admin, account):
    client = api(other_admin)
    assert client.get(call_settings_url("acme")).status_code == 404
    assert client.get(call_settings_url("no-such-account")).status_code == 404


def test_support_gets_not_found_for_an_unknown_account(support):
    assert api(support).get(call_settings_url("no-such-account")).status_code == 404


def test_admin_cannot_change_call_settings(admin_user, account):
    before = settings_row(account)

    response = api(admin_user).patch(call_settings_url("acme"), {"voice_enabled": False}, format="json")

    assert response.status_code == 403
    assert settings_row(account) == before
    assert not SettingsChange.objects.exists()


def test_support_changes_call_settings_with_an_audit_row_per_field(support, account):
    """
    GIVEN an account with default call settings
    WHEN support PATCHes three settings, one of them the TURN REST secret
    THEN the row holds the new values, one audit row per changed field names support and the API,
         and the secret appears nowhere: not in the response, not in the audit trail
    """
    response = api(support).patch(
        call_settings_url("acme"),
        {
            "voice_enabled": False,
            "ring_timeout_s": 45,
            "turn_rest": {"urls": ["turn:relay.example.com:3478?transport=udp"], "shared_secret": SECRET},
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    row = AccountCallSettings.objects.get(account=account)
    assert (row.voice_enabled, row.ring_timeout_s) == (False, 45)
    assert row.turn_rest_urls == ["turn:relay.example.com:3478?transport=udp"]
    assert row.turn_rest_shared_secret == SECRET
    assert response.json()["turn_rest"]["shared_secret_set"] is True
    assert SECRET not in response.content.decode()

    changes = {c.field: c for c in SettingsChange.objects.filter(account=account)}
    assert set(changes) == {"voice_enabled", "ring_timeout_s", "turn_rest_urls", "turn_rest_shared_secret"}
    assert all(c.changed_by == support and c.source == "api" for c in changes.values())
    assert (changes["ring_timeout_s"].old_value, changes["ring_timeout_s"].new_value) == ("60", "45")
    assert (changes["turn_rest_shared_secret"].old_value, changes["turn_rest_shared_secret"].new_value) == ("", MASK)
    assert not SettingsChange.objects.filter(new_value__contains=SECRET).exists()


def test_support_changes_texts_style_and_analytics(support, account):
    payload = {
        "texts": {"invitation_body_video": "{agent_name} from {brand_name} would like to see you."},
        "texts_by_locale": {"de": {"invitation_accept": "Ja"}},
        "sdk_style": {"accept_button_background": "#00AA00", "invitation_border_radius": 4},
        "analytics_tracker": "piwik",
        "analytics_config": {"site_id": "12", "tracker_url": "https://stats.example.com/"},
        "locale": "en",
    }

    response = api(support).patch(call_settings_url("acme"), payload, format="json")

    assert response.status_code == 200, response.json()
    row = AccountCallSettings.objects.get(account=account)
    assert row.texts == payload["texts"]
    assert row.texts_by_locale == payload["texts_by_locale"]
    assert row.sdk_style == payload["sdk_style"]
    assert (row.analytics_tracker, row.analytics_config) == ("piwik", payload["analytics_config"])
    body = response.json()
    assert body["resolved_texts"]["invitation_body_video"] == payload["texts"]["invitation_body_video"]
    assert body["resolved_style"]["accept_button_background"] == "#00AA00"


def test_sending_back_what_was_read_keeps_the_secrets_and_changes_nothing(support, call_settings_with_secrets):
    """
    GIVEN stored ICE credentials and a TURN REST secret
    WHEN support PATCHes back the ICE servers and TURN REST object exactly as GET showed them (masked)
    THEN the stored credentials stay, and no audit row is written because nothing changed
    """
    client = api(support)
    shown = client.get(call_settings_url("acme")).json()

    response = client.patch(
        call_settings_url("acme"), {"ice_servers": shown["ice_servers"], "turn_rest": shown["turn_rest"]}, format="json"
    )

    assert response.status_code == 200, response.json()
    row = AccountCallSettings.objects.get(pk=call_settings_with_secrets.pk)
    assert row.ice_servers[1]["credential"] == CREDENTIAL
    assert row.turn_rest_shared_secret == SECRET
    assert not SettingsChange.objects.exists()


def test_a_new_credential_replaces_the_stored_one_and_is_masked_in_the_audit(support, call_settings_with_secrets):
    servers = [{"urls": ["turn:turn.example.com:3478?transport=udp"], "username": "brand", "credential": "new-pass-55"}]

    response = api(support).patch(call_settings_url("acme"), {"ice_servers": servers}, format="json")

    assert response.status_code == 200, response.json()
    assert AccountCallSettings.objects.get(account=call_settings_with_secrets.account).ice_servers == servers
    (change,) = SettingsChange.objects.all()
    assert change.field == "ice_servers"
    assert "new-pass-55" not in change.new_value and CREDENTIAL not in change.old_value
    assert MASK in change.new_value


def test_a_masked_credential_for_a_server_not_stored_is_refused(support, call_settings_with_secrets):
    before = settings_row(call_settings_with_secrets.account)
    servers = [{"urls": "turn:other.example.com:3478", "username": "brand", "credential": MASK}]

    response = api(support).patch(call_settings_url("acme"), {"ice_servers": servers}, format="json")

    assert response.status_code == 400
    assert "ice_servers" in response.json()
    assert settings_row(call_settings_with_secrets.account) == before


def test_unknown_fields_are_refused_by_name(support, account):
    before = settings_row(account)

    response = api(support).patch(
        call_settings_url("acme"), {"voice_enabled": False, "video_enable": False, "colour": "red"}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()) == {"video_enable", "colour"}
    assert settings_row(account) == before
    assert not SettingsChange.objects.exists()


def test_unknown_fields_inside_nested_objects_are_refused(support, account):
    response = api(support).patch(call_settings_url("acme"), {"turn_rest": {"urls": [], "secret": "x"}}, format="json")
    assert response.status_code == 400
    assert "secret" in response.json()["turn_rest"]


TURN = {"urls": "turn:turn.example.com:3478", "username": "u", "credential": "p"}
BAD_PATCHES = [
    # (payload, the API field the 400 must name)
    ({"sdk_style": {"accept_button_background": "green"}}, "sdk_style"),
    ({"sdk_style": {"invitation_border_radius": 99}}, "sdk_style"),
    ({"ice_servers": [{"urls": "http://x"}]}, "ice_servers"),
    ({"ice_servers": [{**TURN, "urls": "turn:host:99999"}]}, "ice_servers"),
    ({"ice_servers": [{**TURN, "urls": "turn:host?transport=sctp"}]}, "ice_servers"),
    ({"ice_servers": [{"urls": "turn:turn.example.com:3478"}]}, "ice_servers"),
    ({"ice_servers": [{"urls": 5}]}, "ice_servers"),
    ({"ice_servers": [{"urls": "stun:stun.example.com", "secret": "x"}]}, "ice_servers"),
    ({"texts": {"invitation_tittle": "Hi"}}, "texts"),
    ({"texts": {"invitation_body_voice": "{agent_nam} calls"}}, "texts"),
    ({"texts": {"invitation_accept": "A" * 41}}, "texts"),
    ({"texts": {"invitation_body_video": "<b>hi</b>"}}, "texts"),
    ({"texts_by_locale": {"xx": {"invitation_accept": "Ok"}}}, "texts_by_locale"),
    ({"force_relay": True}, "force_relay"),
    ({"turn_rest": {"urls": ["turn:relay.example.com:3478"]}}, "turn_rest"),
    ({"turn_rest": {"urls": ["stun:relay.example.com:3478"], "shared_secret": "s"}}, "turn_rest"),
    ({"turn_rest": {"ttl_s": 5}}, "turn_rest"),
    ({"ring_timeout_s": 5}, "ring_timeout_s"),
    ({"ring_timeout_s": 301}, "ring_timeout_s"),
    ({"reconnect_grace_s": 0}, "reconnect_grace_s"),
    ({"analytics_tracker": "omniture"}, "analytics_tracker"),
    ({"analytics_tracker": "google_analytics", "analytics_config": {"measurement_id": "nope"}}, "analytics_config"),
    ({"analytics_tracker": "google_analytics"}, "analytics_config"),
    ({"locale": "xx"}, "locale"),
    ({"voice_enabled": "maybe"}, "voice_enabled"),
]


@pytest.mark.parametrize(
    ("payload", "field"), BAD_PATCHES, ids=[f"{field}-{i}" for i, (_, field) in enumerate(BAD_PATCHES)]
)
def test_bad_values_are_refused_naming_the_field_and_change_nothing(support, account, payload, field):
    before = settings_row(account)

    response = api(support).patch(call_settings_url("acme"), {"voice_enabled": False, **payload}, format="json")

    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert settings_row(account) == before
    assert not SettingsChange.objects.exists()


def test_turn_rest_errors_are_reported_under_turn_rest(support, account):
    response = api(support).patch(
        call_settings_url("acme"), {"turn_rest": {"urls": ["turn:relay.example.com:3478"]}}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"turn_rest": {"shared_secret": ["required when TURN REST URLs are set"]}}


def test_force_relay_is_accepted_with_a_turn_server(support, account):
    response = api(support).patch(
        call_settings_url("acme"), {"force_relay": True, "ice_servers": [TURN]}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert AccountCallSettings.objects.get(account=account).force_relay is True


# --- Tokens -----------------------------------------------------------------------------------


def test_token_auth(admin_user):
    response = api().post(TOKEN, {"email": "Admin@Acme.example", "password": PASSWORD}, format="json")

    assert response.status_code == 200, response.json()
    token = response.json()["token"]
    (stored,) = AuthToken.objects.filter(user=admin_user)
    assert stored.digest == hash_token(token) and token not in (stored.digest, stored.token_key)

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get(PROFILES).status_code == 200


@pytest.mark.parametrize(
    "payload", [{"email": "admin@acme.example", "password": "wrong"}, {"email": "admin@acme.example"}, {}]
)
def test_token_refused_without_the_right_password(admin_user, payload):
    response = api().post(TOKEN, payload, format="json")

    assert response.status_code == 400
    assert "token" not in response.json()
    assert not AuthToken.objects.exists()


def test_token_refused_for_a_deactivated_user(admin_user):
    User.objects.filter(pk=admin_user.pk).update(is_active=False)
    response = api().post(TOKEN, {"email": "admin@acme.example", "password": PASSWORD}, format="json")
    assert response.status_code == 400


def test_a_bad_token_is_refused(account):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    response = client.get(PROFILES)
    # 403 while SessionAuthentication is listed first in REST_FRAMEWORK (it sends no WWW-Authenticate).
    assert response.status_code in (401, 403)
    assert response.json() == {"detail": "Invalid token."}


def test_an_agents_token_is_still_forbidden_for_admin_endpoints(agent):
    _, token = AuthToken.objects.create(user=agent)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get(AGENTS).status_code == 403


# --- Schema -----------------------------------------------------------------------------------


def test_schema_lists_the_api(db):
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in [
        "/api/v1/profiles/",
        "/api/v1/profiles/{id}/",
        "/api/v1/agents/",
        "/api/v1/agents/{id}/",
        "/api/v1/accounts/{slug}/call-settings/",
        "/api/v1/auth/token/",
    ]:
        assert path in paths


def test_docs_page_renders(db):
    response = APIClient().get("/api/docs/")
    assert response.status_code == 200
    assert "swagger" in response.content.decode().lower()


@pytest.mark.parametrize("url", ["/api/v1/agents/", "/api/v1/profiles/"])
def test_lists_take_any_limit_and_offset_without_a_server_error(admin_user, login, url):
    """Found by schemathesis: a limit beyond a 64-bit integer answered 500 on PostgreSQL."""
    client = login(admin_user)
    huge = 264006963567389966336
    first = client.get(url, {"limit": huge})
    assert first.status_code == 200 and len(first.json()["results"]) >= 1
    past_the_end = client.get(url, {"limit": huge, "offset": huge})
    assert past_the_end.status_code == 200 and past_the_end.json()["results"] == []
