"""The account admin's web console at /console/, the login page and the home page's redirects."""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from settings_profiles.models import AccountCallSettings, Profile

from .factories import PASSWORD, AdminFactory, ProfileFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST_PAGES = [
    "console:overview",
    "console:agents",
    "console:profiles",
    "console:call_settings",
    "console:agent_create",
    "console:profile_create",
]


def default_profile(account) -> Profile:
    return Profile.objects.get(account=account, is_default=True)


def flash(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def voice_only(account) -> Profile:
    return ProfileFactory(account=account, name="Voice only", can_voice=True, can_video=False)


@pytest.fixture
def other_admin(other_account) -> User:
    return AdminFactory(account=other_account, email="boss@globex.example", name="Gloria Globex")


@pytest.fixture
def other_agent(other_account) -> User:
    return UserFactory(account=other_account, email="spy@globex.example", name="Secret Globexer")


@pytest.fixture
def other_client(other_admin, login) -> Client:
    return login(other_admin)


# --- Pages render for the admin ---------------------------------------------------------------


def test_overview_shows_account_counts_and_switches(admin_client, agent, voice_only):
    UserFactory(account=agent.account, email="gone@acme.example", name="Gone Agent")
    User.objects.filter(email="gone@acme.example").update(is_active=False)
    UserFactory(account=agent.account, email="voice@acme.example", profiles=[voice_only])

    response = admin_client.get(reverse("console:overview"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Acme Telecom" in html
    stats = response.context
    assert (stats["agents_active"], stats["agents_inactive"], stats["admins"]) == (2, 1, 1)
    assert stats["profiles_count"] == 2
    assert (stats["can_voice"], stats["can_video"]) == (2, 1)
    assert "Initiate voice conversation" in html and "Initiate live video conversation" in html
    assert "switched off" not in html


def test_overview_warns_when_a_kill_switch_is_off(admin_client, account):
    AccountCallSettings.objects.filter(account=account).update(video_enabled=False)

    html = admin_client.get(reverse("console:overview")).content.decode()

    assert "Video calls are\n    switched off for your account by support" in html


def test_console_warns_admins_that_calls_across_nats_fail_without_a_relay(admin_client, account, settings):
    settings.ICE_SERVERS, settings.TURN_REST_URLS, settings.TURN_REST_SECRET = [], [], ""
    for url in (reverse("console:overview"), reverse("console:call_settings")):
        page = admin_client.get(url).content.decode()
        assert 'id="relay-missing"' in page and "calls between" in page and "will fail" in page
    AccountCallSettings.objects.filter(account=account).update(
        ice_servers=[{"urls": "turn:turn.brand.example:3478", "username": "u", "credential": "c"}]
    )
    for url in (reverse("console:overview"), reverse("console:call_settings")):
        assert 'id="relay-missing"' not in admin_client.get(url).content.decode()


def test_agents_page_lists_people_profiles_and_permissions(admin_client, agent, voice_only):
    sam = UserFactory(account=agent.account, email="sam@acme.example", name="Sam Voice", profiles=[voice_only])

    response = admin_client.get(reverse("console:agents"))

    html = response.content.decode()
    assert response.status_code == 200
    for text in ("Andy Agent", "agent@acme.example", "Ada Admin", "Sam Voice", "Voice only", "Default"):
        assert text in html
    rows = {row.user.email: row for row in response.context["rows"]}
    assert rows[sam.email].voice.allowed and not rows[sam.email].video.allowed
    assert "No profile grants “Initiate live video conversation”" in html
    assert reverse("console:agent_detail", args=[agent.pk]) in html


def test_profiles_page_counts_users_per_profile(admin_client, agent, voice_only):
    UserFactory(account=agent.account, profiles=[voice_only])
    UserFactory(account=agent.account, profiles=[voice_only, default_profile(agent.account)])

    response = admin_client.get(reverse("console:profiles"))

    counts = {p.name: p.user_count for p in response.context["profiles"]}
    assert counts == {"Default": 3, "Voice only": 2}  # admin + agent + the second new user
    html = response.content.decode()
    assert '<th scope="col" class="th-wrap">Initiate voice conversation</th>' in html
    assert '<th scope="col" class="th-wrap">Initiate live video conversation</th>' in html


def onoff(html: str, label: str) -> str:
    """The badge text shown in the <dd> that follows the <dt> `label`."""
    found = re.search(rf"<dt>{re.escape(label)}</dt><dd><span class=\"badge [^\"]*\">([^<]*)</span>", html)
    assert found, f"no value shown for {label!r}"
    return found.group(1)


def test_call_settings_page_shows_every_field_read_only(admin_client, account, agent):
    AccountCallSettings.objects.filter(account=account).update(
        force_relay=True,
        agent_camera_off_at_start=True,
        ice_servers=[
            {"urls": "stun:stun.acme.example:3478"},
            {"urls": ["turn:turn.acme.example:3478"], "username": "acme-user", "credential": "s3cret-pass"},
        ],
        turn_rest_urls=["turns:relay.acme.example:5349"],
        turn_rest_shared_secret="very-shared-secret",
        turn_rest_ttl_s=900,
        analytics_tracker="google_analytics",
        analytics_config={"measurement_id": "G-ABC1234"},
        sdk_style={"accept_button_background": "#00AA55"},
        ring_timeout_s=45,
        reconnect_grace_s=30,
        texts={"invitation_accept": "Yes please"},
        texts_by_locale={"de": {"invitation_reject": "Nein danke"}},
    )

    response = admin_client.get(reverse("console:call_settings"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Support changes these settings — contact your support representative." in html
    for text in (
        "stun:stun.acme.example:3478",
        "turn:turn.acme.example:3478",
        "acme-user",
        "turns:relay.acme.example:5349",
        "900 s",
        "45 s",
        "30 s",
        "Google Analytics",
        "G-ABC1234",
        "#00AA55",
        "Yes please",
        "Nein danke",
        "Andy Agent",
    ):
        assert text in html, text
    assert "s3cret-pass" not in html and "very-shared-secret" not in html
    assert '<span class="badge badge-ok">set</span>' in html
    # Each switch shows its value beside its label (the labels alone show whatever the values).
    assert onoff(html, "Force relay (no peer-to-peer)") == "Yes"
    assert "All media goes through a TURN server." in html
    assert onoff(html, "Agent camera off at start") == "Yes"
    assert onoff(html, "Consumer camera off at start") == "No"
    assert 'style="background: #00AA55"' in html  # the swatch
    sections = {s["locale"]: s for s in response.context["text_sections"]}
    assert sections["en"]["custom_count"] == 1 and sections["de"]["custom_count"] == 1
    assert sections["fr"]["custom_count"] == 0


def test_call_settings_shows_secret_not_set_and_platform_servers(admin_client):
    html = admin_client.get(reverse("console:call_settings")).content.decode()

    assert '<span class="badge badge-neutral">not set</span>' in html
    assert "the platform's default servers" in html


# --- Who may enter ----------------------------------------------------------------------------


def _all_console_urls(agent, profile) -> list[str]:
    return [reverse(name) for name in LIST_PAGES] + [
        reverse("console:agent_detail", args=[agent.pk]),
        reverse("console:profile_edit", args=[profile.pk]),
        reverse("console:profile_delete", args=[profile.pk]),
    ]


@pytest.mark.parametrize("who", ["agent_client", "support_client"])
def test_agents_and_support_get_403_without_account_data(request, who, agent, voice_only):
    client = request.getfixturevalue(who)
    for url in _all_console_urls(agent, voice_only):
        response = client.get(url)
        assert response.status_code == 403, url
        html = response.content.decode()
        assert "Acme Telecom" not in html and "Voice only" not in html
    response = client.post(reverse("console:agent_set_active", args=[agent.pk]), {"active": "0"})
    assert response.status_code == 403
    agent.refresh_from_db()
    assert agent.is_active


def test_anonymous_is_sent_to_login(client, agent, voice_only):
    for url in _all_console_urls(agent, voice_only):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(f"{reverse('login')}?next=")


def test_admin_of_a_deactivated_account_is_refused(admin_client, account):
    type(account).objects.filter(pk=account.pk).update(active=False)

    assert admin_client.get(reverse("console:overview")).status_code == 403


def test_other_accounts_admin_gets_404_and_never_sees_names(other_client, agent, voice_only):
    """
    GIVEN an agent and a profile of Acme
    WHEN Globex's admin opens or posts to their URLs, or browses the console lists
    THEN every object URL answers 404 and no Acme name appears anywhere
    """
    for url in [
        reverse("console:agent_detail", args=[agent.pk]),
        reverse("console:profile_edit", args=[voice_only.pk]),
        reverse("console:profile_delete", args=[voice_only.pk]),
    ]:
        assert other_client.get(url).status_code == 404, url
    assert other_client.post(reverse("console:agent_set_active", args=[agent.pk]), {"active": "0"}).status_code == 404
    assert other_client.post(reverse("console:profile_delete", args=[voice_only.pk])).status_code == 404
    response = other_client.post(
        reverse("console:profile_edit", args=[voice_only.pk]), {"name": "Hijacked", "can_voice": "on"}
    )
    assert response.status_code == 404
    agent.refresh_from_db()
    voice_only.refresh_from_db()
    assert agent.is_active and voice_only.name == "Voice only"
    for name in [
        "console:overview",
        "console:agents",
        "console:profiles",
        "console:call_settings",
        "console:agent_create",
    ]:
        html = other_client.get(reverse(name)).content.decode()
        for secret in ("Acme Telecom", "Andy Agent", "agent@acme.example", "Voice only"):
            assert secret not in html, (name, secret)


def test_other_accounts_profile_cannot_be_given_to_an_agent(admin_client, agent, other_account):
    foreign = ProfileFactory(account=other_account, name="Globex VIP")

    response = admin_client.post(reverse("console:agent_detail", args=[agent.pk]), {"profiles": [foreign.pk]})

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert list(agent.profiles.values_list("name", flat=True)) == ["Default"]


# --- Agents: create, edit, deactivate ---------------------------------------------------------


def test_create_agent(admin_client, account, voice_only):
    response = admin_client.post(
        reverse("console:agent_create"),
        {
            "email": "New.Person@Acme.example",
            "name": "New Person",
            "password": "a-long-unusual-pass",
            "role": "agent",
            "profiles": [voice_only.pk],
        },
    )

    assert response.status_code == 302 and response["Location"] == reverse("console:agents")
    user = User.objects.get(email="new.person@acme.example")
    assert (user.account, user.role, user.name) == (account, "agent", "New Person")
    assert user.check_password("a-long-unusual-pass")
    assert list(user.profiles.all()) == [voice_only]
    assert flash(response) == ["New Person (new.person@acme.example) was added."]
    assert Client().login(email="new.person@acme.example", password="a-long-unusual-pass")


def test_create_admin_with_two_profiles(admin_client, account, voice_only):
    admin_client.post(
        reverse("console:agent_create"),
        {
            "email": "second@acme.example",
            "password": "a-long-unusual-pass",
            "role": "admin",
            "profiles": [voice_only.pk, default_profile(account).pk],
        },
    )

    user = User.objects.get(email="second@acme.example")
    assert user.is_account_admin
    assert sorted(user.profiles.values_list("name", flat=True)) == ["Default", "Voice only"]


def test_create_form_preselects_the_default_profile(admin_client, account):
    html = admin_client.get(reverse("console:agent_create")).content.decode()

    pk = default_profile(account).pk
    assert f'value="{pk}" id="id_profiles_0" checked' in html or f'value="{pk}" checked' in html
    assert '<label for="id_email">Email</label>' in html
    assert '<label for="id_password">Initial password</label>' in html


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"email": "agent@acme.example"}, "email", "agent@acme.example is already a user of this account."),
        ({"email": "AGENT@acme.example"}, "email", "agent@acme.example is already a user of this account."),
        ({"password": "short"}, "password", "This password is too short."),
        ({"password": "password123"}, "password", "This password is too common."),
        ({"profiles": []}, "profiles", "Choose at least one profile."),
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
    ],
)
def test_invalid_agent_changes_nothing_and_shows_field_errors(admin_client, account, agent, data, field, message):
    valid = {
        "email": "fresh@acme.example",
        "name": "Fresh",
        "password": "a-long-unusual-pass",
        "role": "agent",
        "profiles": [default_profile(account).pk],
    }
    before = (User.objects.count(), Profile.users.through.objects.count())

    response = admin_client.post(reverse("console:agent_create"), {**valid, **data})

    assert response.status_code == 200
    assert (User.objects.count(), Profile.users.through.objects.count()) == before
    assert response.context["form"].errors[field]
    html = response.content.decode()
    assert f'<ul class="field-errors" id="id_{field}_error"><li>{message}' in html
    assert 'role="alert"' in html
    assert "a-long-unusual-pass" not in html  # the password is never echoed back


def test_edit_agent_profiles(admin_client, agent, voice_only):
    url = reverse("console:agent_detail", args=[agent.pk])
    page = admin_client.get(url)
    assert page.status_code == 200 and "Andy Agent" in page.content.decode()

    response = admin_client.post(url, {"profiles": [voice_only.pk]})

    assert response.status_code == 302
    assert list(agent.profiles.all()) == [voice_only]
    html = admin_client.get(url).content.decode()
    assert "No profile grants “Initiate live video conversation”" in html


def test_edit_agent_profiles_needs_one(admin_client, agent):
    response = admin_client.post(reverse("console:agent_detail", args=[agent.pk]), {})

    assert response.status_code == 200
    assert "Choose at least one profile." in response.content.decode()
    assert agent.profiles.count() == 1


def test_deactivate_and_reactivate(admin_client, agent):
    url = reverse("console:agent_set_active", args=[agent.pk])

    response = admin_client.post(url, {"active": "0"})
    agent.refresh_from_db()
    assert response.status_code == 302 and not agent.is_active
    assert flash(response) == ["Andy Agent was deactivated: they can no longer log in."]
    assert not Client().login(email=agent.email, password=PASSWORD)
    assert "Deactivated" in admin_client.get(reverse("console:agents")).content.decode()

    response = admin_client.post(url, {"active": "1", "next": reverse("console:agent_detail", args=[agent.pk])})
    agent.refresh_from_db()
    assert agent.is_active
    assert response["Location"] == reverse("console:agent_detail", args=[agent.pk])
    assert Client().login(email=agent.email, password=PASSWORD)


def test_set_active_ignores_an_offsite_next(admin_client, agent):
    response = admin_client.post(
        reverse("console:agent_set_active", args=[agent.pk]), {"active": "0", "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("console:agents")


def test_cannot_deactivate_yourself(admin_client, admin_user):
    response = admin_client.post(reverse("console:agent_set_active", args=[admin_user.pk]), {"active": "0"})

    admin_user.refresh_from_db()
    assert admin_user.is_active
    assert flash(response) == ["You cannot deactivate your own login."]
    page = admin_client.get(reverse("console:agent_detail", args=[admin_user.pk])).content.decode()
    assert "You cannot deactivate yourself" in page
    assert reverse("console:agent_set_active", args=[admin_user.pk]) not in page


def test_set_active_is_post_only_and_needs_csrf(admin_user, agent):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    url = reverse("console:agent_set_active", args=[agent.pk])

    assert client.get(url).status_code == 405
    assert client.post(url, {"active": "0"}).status_code == 403
    agent.refresh_from_db()
    assert agent.is_active


# --- Profiles ---------------------------------------------------------------------------------


def test_profile_form_uses_the_product_labels(admin_client):
    html = admin_client.get(reverse("console:profile_create")).content.decode()

    assert '<label for="id_can_voice">Initiate voice conversation</label>' in html
    assert '<label for="id_can_video">Initiate live video conversation</label>' in html


def test_create_profile(admin_client, account):
    response = admin_client.post(
        reverse("console:profile_create"), {"name": " Video team ", "description": "Video only", "can_video": "on"}
    )

    assert response.status_code == 302
    profile = Profile.objects.get(account=account, name="Video team")
    assert (profile.can_voice, profile.can_video, profile.description) == (False, True, "Video only")
    assert flash(response) == ["The profile “Video team” was created."]


def test_create_profile_with_taken_name_shows_error(admin_client, account, voice_only):
    response = admin_client.post(reverse("console:profile_create"), {"name": "voice ONLY", "can_voice": "on"})

    assert response.status_code == 200
    assert Profile.objects.filter(account=account).count() == 2
    assert '<ul class="field-errors" id="id_name_error"><li>The account already has a profile named' in (
        response.content.decode()
    )


def test_edit_profile(admin_client, voice_only):
    url = reverse("console:profile_edit", args=[voice_only.pk])
    assert 'value="Voice only"' in admin_client.get(url).content.decode()

    response = admin_client.post(url, {"name": "Trainees", "description": "New starters", "can_video": "on"})

    assert response.status_code == 302
    voice_only.refresh_from_db()
    assert (voice_only.name, voice_only.description, voice_only.can_voice, voice_only.can_video) == (
        "Trainees",
        "New starters",
        False,
        True,
    )


def test_delete_unused_profile(admin_client, voice_only):
    url = reverse("console:profile_delete", args=[voice_only.pk])
    assert "Delete “Voice only”?" in admin_client.get(url).content.decode()

    response = admin_client.post(url)

    assert response.status_code == 302 and response["Location"] == reverse("console:profiles")
    assert not Profile.objects.filter(pk=voice_only.pk).exists()
    assert flash(response) == ["The profile “Voice only” was deleted."]


def test_delete_refused_while_profile_in_use(admin_client, agent, voice_only):
    UserFactory(account=agent.account, profiles=[voice_only])

    response = admin_client.post(reverse("console:profile_delete", args=[voice_only.pk]), follow=True)

    assert Profile.objects.filter(pk=voice_only.pk).exists()
    html = response.content.decode()
    assert "“Voice only” is assigned to 1 user(s); assign them another profile first." in html
    assert "1 user still has this profile" in html


def test_default_profile_can_never_be_deleted(admin_client, account, agent):
    default = default_profile(account)
    agent.profiles.clear()
    User.objects.get(email="admin@acme.example").profiles.clear()  # unused, yet still refused

    response = admin_client.post(reverse("console:profile_delete", args=[default.pk]), follow=True)

    assert Profile.objects.filter(pk=default.pk).exists()
    assert "The built-in default profile cannot be deleted." in response.content.decode()
    listing = admin_client.get(reverse("console:profiles")).content.decode()
    assert reverse("console:profile_delete", args=[default.pk]) not in listing


# --- Effective permissions --------------------------------------------------------------------


def _effective(client) -> dict:
    response = client.get(reverse("console:call_settings"))
    return {row.user.email: row for row in response.context["rows"]}, response.content.decode()


def test_effective_table_reports_the_kill_switch(admin_client, account, agent):
    AccountCallSettings.objects.filter(account=account).update(voice_enabled=False)

    rows, html = _effective(admin_client)

    assert not rows[agent.email].voice.allowed and rows[agent.email].video.allowed
    assert "Voice calls are switched off for the account by support" in html
    assert '<span class="badge badge-no">Switched off</span>' in html


def test_effective_table_reports_a_missing_grant(admin_client, agent, voice_only):
    agent.profiles.set([voice_only])

    rows, html = _effective(admin_client)

    assert rows[agent.email].voice.allowed and not rows[agent.email].video.allowed
    assert rows[agent.email].video.reason == "no profile grants “Initiate live video conversation”"
    assert "No profile grants “Initiate live video conversation”" in html


def test_effective_table_reports_deactivated_users(admin_client, agent):
    User.objects.filter(pk=agent.pk).update(is_active=False)

    rows, html = _effective(admin_client)

    assert rows[agent.email].voice.reason == "the user is deactivated"
    assert "The user is deactivated" in html


def test_texts_and_names_are_escaped(admin_client, account, agent):
    AccountCallSettings.objects.filter(account=account).update(
        texts={"invitation_accept": "<b>Yes</b>", "invitation_title_video": "<script>x()</script>"},
        sdk_style={"invitation_background": "red;background:url(https://evil.example/)"},
        analytics_config={"site_id": "<i>1</i>"},
    )
    User.objects.filter(pk=agent.pk).update(name="<em>Andy</em>")

    html = admin_client.get(reverse("console:call_settings")).content.decode()

    assert "&lt;b&gt;Yes&lt;/b&gt;" in html and "<b>Yes</b>" not in html
    assert "&lt;script&gt;x()&lt;/script&gt;" in html and "<script>x()" not in html
    assert "&lt;i&gt;1&lt;/i&gt;" in html
    assert "&lt;em&gt;Andy&lt;/em&gt;" in html and "<em>Andy</em>" not in html
    styles = re.findall(r'style="([^"]*)"', html)
    assert styles and not any("evil" in style or "red;" in style for style in styles)


# --- Query counts -----------------------------------------------------------------------------


def _add_people(account, voice_only, count: int, prefix: str) -> None:
    """Users with one or two profiles each, every fourth of them deactivated."""
    default = default_profile(account)
    for i in range(count):
        profiles = [default, voice_only] if i % 3 == 0 else [voice_only if i % 3 == 1 else default]
        user = UserFactory(account=account, email=f"{prefix}{i}@acme.example", profiles=profiles)
        if i % 4 == 0:
            User.objects.filter(pk=user.pk).update(is_active=False)


@pytest.mark.parametrize("name", ["console:overview", "console:agents", "console:profiles", "console:call_settings"])
def test_list_pages_run_a_constant_number_of_queries(
    admin_client, account, voice_only, django_assert_num_queries, name
):
    """
    GIVEN an account with 3 users (the admin and 2 agents)
    WHEN the page is rendered, then rendered again after 27 more users with mixed profiles join
    THEN both renders run the same number of queries
    """
    url = reverse(name)
    _add_people(account, voice_only, 2, prefix="few")
    assert User.objects.filter(account=account).count() == 3
    admin_client.get(url)  # warm up
    with CaptureQueriesContext(connection) as small:
        assert admin_client.get(url).status_code == 200

    _add_people(account, voice_only, 27, prefix="many")
    assert User.objects.filter(account=account).count() == 30

    with django_assert_num_queries(len(small.captured_queries)):
        response = admin_client.get(url)
    assert response.status_code == 200
    if name in {"console:agents", "console:call_settings"}:
        assert "many26@acme.example" in response.content.decode()


# --- Home, login, agent home ------------------------------------------------------------------


def test_home_sends_admins_to_the_console_and_staff_to_admin(admin_client, support_client):
    assert admin_client.get(reverse("home"))["Location"] == reverse("console:overview")
    assert support_client.get(reverse("home"))["Location"] == reverse("admin:index")


def test_home_sends_anonymous_to_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_home_sends_agents_to_their_workspace(agent_client):
    assert agent_client.get(reverse("home"))["Location"] == reverse("workspace:index")


def test_home_of_a_login_without_an_account_says_so(login):
    """
    GIVEN a login that belongs to no account and is not support staff
    WHEN it opens the home page
    THEN it has no workspace to go to: the page says so and shows that it may start no calls
    """
    loner = User.objects.create_user("loner@example.com", PASSWORD, name="Lou Loner")

    response = login(loner).get(reverse("home"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Hello, Lou Loner" in html
    assert "Your login does not belong to an account yet" in html
    assert html.count('<span class="badge badge-no">Not allowed</span>') == 3  # voice, video, screen sharing


def test_home_of_an_agent_of_a_paused_account_says_why_there_is_no_workspace(agent, login):
    agent.account.active = False
    agent.account.save()
    html = login(agent).get(reverse("home")).content.decode()
    assert "which is not active at the moment" in html
    assert "Open workspace" not in html


def test_console_nav_leads_admins_to_their_workspace(admin_client):
    html = admin_client.get(reverse("console:overview")).content.decode()
    assert f'href="{reverse("workspace:index")}"' in html and "Agent workspace" in html


def test_login_page_renders_and_logs_in(client, admin_user):
    page = client.get(reverse("login"))
    html = page.content.decode()
    assert page.status_code == 200
    assert '<label for="id_username">Email</label>' in html and 'class="skip-link"' in html

    bad = client.post(reverse("login"), {"username": admin_user.email, "password": "wrong"})
    assert 'role="alert"' in bad.content.decode()

    response = client.post(reverse("login"), {"username": admin_user.email, "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("console:overview")


def test_console_layout_has_nav_logout_and_accessibility_landmarks(admin_client):
    html = admin_client.get(reverse("console:agents")).content.decode()

    assert '<a class="skip-link" href="#main">' in html and '<main id="main"' in html
    assert 'aria-live="polite"' in html
    assert f'<form method="post" action="{reverse("logout")}"' in html
    assert f'<a href="{reverse("console:agents")}" aria-current="page">' in html
    for name in ("console:overview", "console:profiles", "console:call_settings"):
        assert f'href="{reverse(name)}"' in html
    assert "/static/css/app.css" in html and "https://" not in html.split("</head>")[0]


def test_logout_is_a_post(admin_client):
    response = admin_client.post(reverse("logout"))

    assert response.status_code == 302
    assert admin_client.get(reverse("console:overview")).status_code == 302
