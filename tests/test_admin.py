"""The Django admin for support staff: pages render, settings saves are audited, secrets stay hidden."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Account, User
from settings_profiles.models import AccountCallSettings, Profile, SettingsChange
from settings_profiles.secrecy import MASK
from settings_profiles.services import call_settings_update

from .factories import PASSWORD, AccountFactory, ProfileFactory, UserFactory

pytestmark = pytest.mark.django_db

SECRET = "turn-rest-Secret-0ld-4242"
ICE_CREDENTIAL = "ice-Credential-9876"


# --- Helpers ----------------------------------------------------------------------------------


class _FormParser(HTMLParser):
    """The values a browser would submit from one <form>: inputs, checked boxes, textareas, selects."""

    def __init__(self, form_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.fields: list[tuple[str, str]] = []
        self._textarea: str | None = None
        self._text: list[str] = []
        self._select: str | None = None
        self._select_multiple = False
        self._options: list[tuple[str, bool]] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
            return
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in {"submit", "button", "image", "file"}:
                return
            if kind in {"checkbox", "radio"}:
                if "checked" in a:
                    self.fields.append((name, a.get("value") or "on"))
                return
            self.fields.append((name, a.get("value") or ""))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []
        elif tag == "select" and name:
            self._select, self._select_multiple, self._options = name, "multiple" in a, []
        elif tag == "option" and self._select is not None:
            self._options.append((a.get("value") or "", "selected" in a))

    def handle_data(self, data):
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "textarea" and self._textarea is not None:
            text = "".join(self._text)
            # Browsers drop the one newline that follows <textarea>.
            self.fields.append((self._textarea, text[1:] if text.startswith("\n") else text))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            chosen = [value for value, selected in self._options if selected]
            if not chosen and not self._select_multiple and self._options:
                chosen = [self._options[0][0]]
            self.fields.extend((self._select, value) for value in chosen)
            self._select = None


def form_data(html: str, form_id: str) -> dict[str, str | list[str]]:
    """POST data built from the rendered form's own values (the inline's empty template left out)."""
    parser = _FormParser(form_id)
    parser.feed(html)
    data: dict[str, str | list[str]] = {}
    for name, value in parser.fields:
        if "__prefix__" in name:
            continue
        if name in data:
            current = data[name]
            data[name] = [*current, value] if isinstance(current, list) else [current, value]
        else:
            data[name] = value
    return data


def account_change_url(account: Account) -> str:
    return reverse("admin:accounts_account_change", args=[account.pk])


def account_form(client: Client, account: Account) -> dict:
    response = client.get(account_change_url(account))
    assert response.status_code == 200
    data = form_data(response.content.decode(), "account_form")
    assert "call_settings-0-id" in data, "the call settings inline is on the account page"
    return data


def field_errors(html: str, field: str) -> str:
    """The text of the error list rendered in the form row of `field` ('' without errors)."""
    match = re.search(
        rf'<div class="form-row errors[^"]*\bfield-{field}\b[^"]*">\s*<ul class="errorlist"[^>]*>(.*?)</ul>', html, re.S
    )
    return match.group(1) if match else ""


def set_checkbox(data: dict, name: str, on: bool) -> None:
    if on:
        data[name] = "on"
    else:
        data.pop(name, None)


@pytest.fixture
def settings_with_secrets(account, support) -> AccountCallSettings:
    """The account's settings with a stored TURN REST secret and a TURN server credential."""
    call_settings = account.call_settings
    call_settings_update(
        call_settings=call_settings,
        data={
            "ice_servers": [{"urls": "turn:turn.acme.example:3478", "username": "acme", "credential": ICE_CREDENTIAL}],
            "turn_rest_urls": ["turn:relay.acme.example:3478?transport=udp"],
            "turn_rest_shared_secret": SECRET,
        },
        changed_by=None,
        source=SettingsChange.Source.COMMAND,
    )
    SettingsChange.objects.all().delete()  # start each test with an empty audit trail
    return call_settings


# --- Pages render -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:index",
        "admin:accounts_account_changelist",
        "admin:accounts_account_add",
        "admin:accounts_user_changelist",
        "admin:accounts_user_add",
        "admin:settings_profiles_profile_changelist",
        "admin:settings_profiles_profile_add",
        "admin:settings_profiles_accountcallsettings_changelist",
        "admin:settings_profiles_settingschange_changelist",
    ],
)
def test_admin_pages_render_for_support(support_client, admin_user, agent, url_name):
    response = support_client.get(reverse(url_name))
    assert response.status_code == 200
    assert "Voice &amp; Video" in response.content.decode()


def test_change_pages_render(support_client, account, admin_user, agent, settings_with_secrets):
    call_settings_update(
        call_settings=account.call_settings, data={"video_enabled": False}, changed_by=None, source="command"
    )
    change = SettingsChange.objects.get()
    profile = Profile.objects.get(account=account, is_default=True)
    pages = {
        account_change_url(account): "Kill switches",
        reverse("admin:accounts_user_change", args=[agent.pk]): "agent@acme.example",
        reverse("admin:settings_profiles_profile_change", args=[profile.pk]): "Initiate live video conversation",
        reverse("admin:settings_profiles_accountcallsettings_change", args=[account.call_settings.pk]): "Relay and ICE",
        reverse("admin:settings_profiles_settingschange_change", args=[change.pk]): "video_enabled",
    }
    for url, expected in pages.items():
        response = support_client.get(url)
        assert response.status_code == 200, url
        assert expected in response.content.decode(), url


def test_account_page_groups_the_settings_in_titled_fieldsets(support_client, account):
    html = support_client.get(account_change_url(account)).content.decode()
    titles = ["Kill switches", "Media at start", "Relay and ICE", "Texts", "Analytics", "Mobile SDK style", "Timers"]
    positions = [html.index(f">{title}</h") for title in titles]
    assert positions == sorted(positions)
    assert "Audit trail (0)" in html


def test_account_admin_is_not_let_in(admin_client):
    response = admin_client.get(reverse("admin:accounts_account_changelist"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_changelist_shows_kill_switches_and_user_counts(support_client, account, admin_user, agent):
    call_settings_update(
        call_settings=account.call_settings, data={"video_enabled": False}, changed_by=None, source="command"
    )
    response = support_client.get(reverse("admin:accounts_account_changelist"))
    row = next(r for r in response.context["cl"].result_list if r.pk == account.pk)
    assert row.user_count == 2
    html = response.content.decode()
    assert 'alt="True"' in html and 'alt="False"' in html


# --- Creating accounts ------------------------------------------------------------------------


def test_creating_an_account_creates_its_settings_and_default_profile(support_client):
    response = support_client.post(
        reverse("admin:accounts_account_add"),
        {"slug": "initech", "name": "Initech", "active": "on", "time_zone": "UTC"},
    )
    account = Account.objects.get(slug="initech")
    assert response.status_code == 302
    assert response.url == account_change_url(account)
    assert AccountCallSettings.objects.filter(account=account, voice_enabled=True, video_enabled=True).exists()
    assert Profile.objects.filter(account=account, is_default=True, can_voice=True, can_video=True).count() == 1


# --- Saving call settings through the account page --------------------------------------------


def test_saving_settings_on_the_account_page_audits_each_changed_field(support_client, support, account):
    """
    GIVEN the account page with the call settings inline
    WHEN support switches video off and changes the ring timeout, submitting everything else as rendered
    THEN exactly two audit rows are written, by support, from the admin, and the settings hold the new values
    """
    data = account_form(support_client, account)
    set_checkbox(data, "call_settings-0-video_enabled", False)
    data["call_settings-0-ring_timeout_s"] = "45"

    response = support_client.post(account_change_url(account), data)

    assert response.status_code == 302, response.context and response.context["errors"]
    changes = {c.field: c for c in SettingsChange.objects.filter(account=account)}
    assert set(changes) == {"video_enabled", "ring_timeout_s"}
    assert {(c.changed_by_id, c.source) for c in changes.values()} == {(support.pk, SettingsChange.Source.ADMIN)}
    assert (changes["video_enabled"].old_value, changes["video_enabled"].new_value) == ("True", "False")
    assert (changes["ring_timeout_s"].old_value, changes["ring_timeout_s"].new_value) == ("60", "45")
    account.call_settings.refresh_from_db()
    assert account.call_settings.video_enabled is False
    assert account.call_settings.ring_timeout_s == 45


def test_submitting_the_page_unchanged_writes_no_audit_and_keeps_the_secrets(
    support_client, account, settings_with_secrets
):
    data = account_form(support_client, account)

    response = support_client.post(account_change_url(account), data)

    assert response.status_code == 302
    assert not SettingsChange.objects.exists()
    settings_with_secrets.refresh_from_db()
    assert settings_with_secrets.turn_rest_shared_secret == SECRET
    assert settings_with_secrets.ice_servers[0]["credential"] == ICE_CREDENTIAL


def test_json_settings_are_saved_from_pretty_printed_text(support_client, account):
    data = account_form(support_client, account)
    data["call_settings-0-sdk_style"] = '{\n  "accept_button_background": "#0055FF"\n}'
    data["call_settings-0-texts"] = '{"invitation_accept": "Join"}'

    assert support_client.post(account_change_url(account), data).status_code == 302

    account.call_settings.refresh_from_db()
    assert account.call_settings.sdk_style == {"accept_button_background": "#0055FF"}
    assert account.call_settings.texts == {"invitation_accept": "Join"}
    assert set(SettingsChange.objects.values_list("field", flat=True)) == {"sdk_style", "texts"}


def test_the_secret_is_never_rendered_and_its_change_is_audited_masked(support_client, account, settings_with_secrets):
    """
    GIVEN settings with a stored TURN REST secret and a TURN credential
    WHEN support opens the account page and types a new secret
    THEN neither secret is in any page, the audit row is masked, and the new secret is stored
    """
    new_secret = "n3w-Shared-Secret-77"
    page = support_client.get(account_change_url(account)).content.decode()
    assert SECRET not in page
    assert ICE_CREDENTIAL not in page
    assert MASK in page

    data = account_form(support_client, account)
    data["call_settings-0-turn_rest_shared_secret"] = new_secret
    assert support_client.post(account_change_url(account), data).status_code == 302

    change = SettingsChange.objects.get()
    assert (change.field, change.old_value, change.new_value) == ("turn_rest_shared_secret", MASK, MASK)
    settings_with_secrets.refresh_from_db()
    assert settings_with_secrets.turn_rest_shared_secret == new_secret
    for url in (
        account_change_url(account),
        reverse("admin:settings_profiles_settingschange_changelist"),
        reverse("admin:settings_profiles_settingschange_change", args=[change.pk]),
        reverse("admin:settings_profiles_accountcallsettings_change", args=[settings_with_secrets.pk]),
    ):
        html = support_client.get(url).content.decode()
        assert new_secret not in html, url
        assert SECRET not in html, url


def test_the_secret_can_be_cleared(support_client, account, settings_with_secrets):
    data = account_form(support_client, account)
    data["call_settings-0-turn_rest_urls"] = "[]"
    data["call_settings-0-clear_turn_rest_shared_secret"] = "on"

    assert support_client.post(account_change_url(account), data).status_code == 302

    settings_with_secrets.refresh_from_db()
    assert settings_with_secrets.turn_rest_shared_secret == ""
    change = SettingsChange.objects.get(field="turn_rest_shared_secret")
    assert (change.old_value, change.new_value) == (MASK, "")


def test_a_masked_credential_cannot_move_to_another_server(support_client, account, settings_with_secrets):
    data = account_form(support_client, account)
    data["call_settings-0-ice_servers"] = data["call_settings-0-ice_servers"].replace('"acme"', '"someone-else"')

    response = support_client.post(account_change_url(account), data)

    assert response.status_code == 200
    assert "type the credential again" in field_errors(response.content.decode(), "ice_servers")
    assert not SettingsChange.objects.exists()


def test_a_new_ice_credential_replaces_the_stored_one(support_client, account, settings_with_secrets):
    data = account_form(support_client, account)
    data["call_settings-0-ice_servers"] = data["call_settings-0-ice_servers"].replace(MASK, "brand-new-credential")

    assert support_client.post(account_change_url(account), data).status_code == 302

    settings_with_secrets.refresh_from_db()
    assert settings_with_secrets.ice_servers[0]["credential"] == "brand-new-credential"
    change = SettingsChange.objects.get()
    assert change.field == "ice_servers"
    assert "brand-new-credential" not in change.new_value and ICE_CREDENTIAL not in change.old_value


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("sdk_style", '{"accept_button_background": "green-ish"}', "is not a colour"),
        ("ice_servers", '[{"urls": "http://stun.example.com"}]', "the scheme must be stun:"),
        ("texts", '{"invitation_accept": "<b>Go</b>"}', "must be plain text"),
        ("analytics_config", '{"measurement_id": "G-1"}', "not a setting of the none tracker"),
        ("ice_servers", "[{not json", "Enter a valid JSON."),
    ],
)
def test_invalid_values_show_next_to_their_field_and_change_nothing(support_client, account, field, value, message):
    before = AccountCallSettings.objects.filter(pk=account.call_settings.pk).values().get()
    data = account_form(support_client, account)
    data[f"call_settings-0-{field}"] = value
    set_checkbox(data, "call_settings-0-voice_enabled", False)  # a valid change in the same submit

    response = support_client.post(account_change_url(account), data)

    assert response.status_code == 200
    assert message in field_errors(response.content.decode(), field)
    assert AccountCallSettings.objects.filter(pk=account.call_settings.pk).values().get() == before
    assert not SettingsChange.objects.exists()


def test_force_relay_without_a_turn_server_is_refused_on_its_field(support_client, account, settings):
    settings.ICE_SERVERS, settings.TURN_REST_URLS = [], []
    data = account_form(support_client, account)
    data["call_settings-0-force_relay"] = "on"

    response = support_client.post(account_change_url(account), data)

    assert response.status_code == 200
    assert "needs a TURN server" in field_errors(response.content.decode(), "force_relay")
    assert not SettingsChange.objects.exists()


def test_the_call_settings_page_saves_through_the_audit_too(support_client, support, account):
    url = reverse("admin:settings_profiles_accountcallsettings_change", args=[account.call_settings.pk])
    data = form_data(support_client.get(url).content.decode(), "accountcallsettings_form")
    set_checkbox(data, "voice_enabled", False)

    assert support_client.post(url, data).status_code == 302

    change = SettingsChange.objects.get()
    assert (change.field, change.changed_by, change.source) == ("voice_enabled", support, "admin")


# --- The audit trail is read-only --------------------------------------------------------------


def test_the_audit_trail_cannot_be_edited(support_client, account):
    call_settings_update(
        call_settings=account.call_settings, data={"voice_enabled": False}, changed_by=None, source="command"
    )
    change = SettingsChange.objects.get()
    url = reverse("admin:settings_profiles_settingschange_change", args=[change.pk])

    assert support_client.get(reverse("admin:settings_profiles_settingschange_add")).status_code == 403
    assert support_client.post(url, {"field": "video_enabled"}).status_code == 403
    delete_url = reverse("admin:settings_profiles_settingschange_delete", args=[change.pk])
    assert support_client.post(delete_url, {"post": "yes"}).status_code == 403
    assert SettingsChange.objects.get().field == "voice_enabled"
    assert 'name="_save"' not in support_client.get(url).content.decode()


def test_the_account_page_links_to_its_audit_trail(support_client, account, other_account):
    call_settings_update(
        call_settings=account.call_settings, data={"voice_enabled": False}, changed_by=None, source="command"
    )
    call_settings_update(
        call_settings=other_account.call_settings, data={"ring_timeout_s": 30}, changed_by=None, source="command"
    )

    html = support_client.get(account_change_url(account)).content.decode()

    assert "Audit trail (1)" in html
    response = support_client.get(
        reverse("admin:settings_profiles_settingschange_changelist"), {"account__id__exact": account.pk}
    )
    assert [c.field for c in response.context["cl"].result_list] == ["voice_enabled"]


# --- Users --------------------------------------------------------------------------------------


def test_support_adds_an_agent_with_the_default_profile(support_client, account):
    response = support_client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "New.Agent@Acme.example",
            "name": "New Agent",
            "account": account.pk,
            "role": "agent",
            "usable_password": "true",
            "password1": "a-long-Passw0rd!",
            "password2": "a-long-Passw0rd!",
        },
    )

    assert response.status_code == 302
    user = User.objects.get(email="new.agent@acme.example")
    assert user.check_password("a-long-Passw0rd!")
    assert [p.name for p in user.profiles.all()] == ["Default"]


def test_adding_a_user_needs_matching_passwords(support_client, account):
    response = support_client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "x@acme.example",
            "account": account.pk,
            "role": "agent",
            "usable_password": "true",
            "password1": "a-long-Passw0rd!",
            "password2": "different-Passw0rd!",
        },
    )

    assert response.status_code == 200
    assert "password2" in response.context["adminform"].form.errors
    assert not User.objects.filter(email="x@acme.example").exists()


def _user_form(client: Client, user: User) -> tuple[str, dict]:
    url = reverse("admin:accounts_user_change", args=[user.pk])
    return url, form_data(client.get(url).content.decode(), "user_form")


def test_user_profiles_are_offered_from_the_users_account_only(support_client, agent, other_account):
    ProfileFactory(account=other_account, name="Globex video")
    voice_only = ProfileFactory(account=agent.account, name="Voice only", can_video=False)
    url, data = _user_form(support_client, agent)
    offered = [p.name for p in support_client.get(url).context["adminform"].form.fields["profiles"].queryset]
    assert offered == ["Default", "Voice only"]

    data["profiles"] = [str(voice_only.pk)]
    assert support_client.post(url, data).status_code == 302
    assert [p.name for p in agent.profiles.all()] == ["Voice only"]


def test_a_profile_of_another_account_is_refused_on_the_form(support_client, agent, other_account):
    """Moving the agent to another account while keeping the old account's profile is an error on profiles."""
    url, data = _user_form(support_client, agent)
    data["account"] = str(other_account.pk)

    response = support_client.post(url, data)

    assert response.status_code == 200
    assert "Not profiles of" in field_errors(response.content.decode(), "profiles")
    agent.refresh_from_db()
    assert agent.account.slug == "acme"


def test_a_user_of_an_account_keeps_at_least_one_profile(support_client, agent):
    url, data = _user_form(support_client, agent)
    data.pop("profiles")

    response = support_client.post(url, data)

    assert "Choose at least one profile." in field_errors(response.content.decode(), "profiles")
    assert agent.profiles.count() == 1


# --- Profiles -----------------------------------------------------------------------------------


def test_the_default_profile_cannot_be_deleted(support_client, account):
    default = Profile.objects.get(account=account, is_default=True)
    url = reverse("admin:settings_profiles_profile_delete", args=[default.pk])

    assert support_client.post(url, {"post": "yes"}).status_code == 403
    assert Profile.objects.filter(pk=default.pk).exists()


def test_a_profile_in_use_cannot_be_deleted(support_client, account):
    profile = ProfileFactory(account=account, name="Video team")
    UserFactory(account=account, profiles=[profile])
    url = reverse("admin:settings_profiles_profile_delete", args=[profile.pk])

    response = support_client.post(url, {"post": "yes"}, follow=True)

    assert Profile.objects.filter(pk=profile.pk).exists()
    assert "is assigned to 1 user(s)" in response.content.decode()


def test_an_unused_profile_is_deleted(support_client, account):
    profile = ProfileFactory(account=account, name="Unused")
    url = reverse("admin:settings_profiles_profile_delete", args=[profile.pk])

    assert support_client.post(url, {"post": "yes"}).status_code == 302
    assert not Profile.objects.filter(pk=profile.pk).exists()


def test_profile_names_are_unique_per_account_whatever_the_case(support_client, account):
    response = support_client.post(
        reverse("admin:settings_profiles_profile_add"),
        {"account": account.pk, "name": "default", "description": "", "can_voice": "on"},
    )

    assert response.status_code == 200
    assert "already has a profile named" in field_errors(response.content.decode(), "name")


# --- Query counts -------------------------------------------------------------------------------


def _populate(count: int) -> None:
    """`count` accounts in all, each with an admin, an agent, an extra profile and an audit row."""
    for _ in range(count - Account.objects.count()):
        account = AccountFactory()
        ProfileFactory(account=account)
        UserFactory(account=account, role=User.Role.ADMIN)
        UserFactory(account=account)
        call_settings_update(
            call_settings=account.call_settings, data={"ring_timeout_s": 30}, changed_by=None, source="command"
        )


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:accounts_account_changelist",
        "admin:accounts_user_changelist",
        "admin:settings_profiles_profile_changelist",
        "admin:settings_profiles_accountcallsettings_changelist",
        "admin:settings_profiles_settingschange_changelist",
    ],
)
def test_list_pages_use_a_constant_number_of_queries(support, django_assert_num_queries, url_name):
    client = Client()
    client.login(email=support.email, password=PASSWORD)
    url = reverse(url_name)
    _populate(3)
    with CaptureQueriesContext(connection) as measured:
        assert client.get(url).status_code == 200
    baseline = len(measured.captured_queries)

    _populate(30)

    with django_assert_num_queries(baseline):
        response = client.get(url)
    assert response.context["cl"].result_count >= 30


def test_profiles_are_edited_on_the_account_page_with_the_same_name_rule(support_client, account):
    ProfileFactory(account=account, name="Voice only", can_video=False)
    data = account_form(support_client, account)
    index = next(k.split("-")[1] for k, v in data.items() if k.endswith("-name") and v == "Voice only")
    data[f"profiles-{index}-name"] = "DEFAULT"

    response = support_client.post(account_change_url(account), data)

    assert response.status_code == 200
    assert "already has a profile named" in response.content.decode()
    assert Profile.objects.filter(account=account, name="Voice only").exists()

    data[f"profiles-{index}-name"] = "Voice team"
    assert support_client.post(account_change_url(account), data).status_code == 302
    assert Profile.objects.filter(account=account, name="Voice team", can_video=False).exists()


def test_a_new_secret_and_clearing_it_at_once_is_refused(support_client, account, settings_with_secrets):
    data = account_form(support_client, account)
    data["call_settings-0-turn_rest_shared_secret"] = "another-secret"
    data["call_settings-0-clear_turn_rest_shared_secret"] = "on"

    response = support_client.post(account_change_url(account), data)

    assert "not both" in field_errors(response.content.decode(), "turn_rest_shared_secret")
    settings_with_secrets.refresh_from_db()
    assert settings_with_secrets.turn_rest_shared_secret == SECRET
    assert "another-secret" not in response.content.decode()
