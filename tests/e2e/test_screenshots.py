"""Real Chromium walks the support admin and the account console, and leaves a screenshot of each page.

Screenshots land in the artifacts dir (TEST_ARTIFACTS, default test-artifacts/) under screenshots/.
"""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.urls import URLPattern, reverse

from accounts.console import urls as console_urls
from accounts.models import Account, User
from settings_profiles.models import Profile, SettingsChange
from settings_profiles.secrecy import MASK
from settings_profiles.services import call_settings_update
from tests.factories import AccountFactory, UserFactory

pytestmark = pytest.mark.e2e

SUPPORT = ("support@platform.example", "demo-support-pass")
ACCOUNT_ADMIN = ("admin@demo.example", "demo-admin-pass")
TURN_SECRET = "e2e-Turn-Rest-Secret-1234"
ICE_CREDENTIAL = "e2e-Ice-Credential-5678"
# Console endpoints that only take a POST (actions, not pages).
CONSOLE_ACTIONS = {"agent_set_active", "agent_tokens_revoke"}


@pytest.fixture
def demo(transactional_db) -> dict[str, object]:
    """The demo account from `seed_demo`, with secrets to hide and an audit trail, plus a second account."""
    call_command("seed_demo", stdout=io.StringIO())
    account = Account.objects.get(slug="demo")
    support = User.objects.get(email=SUPPORT[0])
    call_settings_update(
        call_settings=account.call_settings,
        data={
            "ice_servers": [
                {"urls": "stun:stun.demo.example:3478"},
                {
                    "urls": ["turn:turn.demo.example:3478?transport=udp"],
                    "username": "demo",
                    "credential": ICE_CREDENTIAL,
                },
            ],
            "turn_rest_urls": ["turn:relay.demo.example:3478?transport=udp"],
            "turn_rest_shared_secret": TURN_SECRET,
            "sdk_style": {"accept_button_background": "#0F766E", "invitation_border_radius": 16},
            "texts": {"invitation_accept": "Join the call"},
        },
        changed_by=support,
        source=SettingsChange.Source.ADMIN,
    )
    call_settings_update(
        call_settings=account.call_settings,
        data={"ring_timeout_s": 45},
        changed_by=support,
        source=SettingsChange.Source.ADMIN,
    )
    globex = AccountFactory(slug="globex", name="Globex Mobile")
    call_settings_update(
        call_settings=globex.call_settings, data={"video_enabled": False}, changed_by=support, source="admin"
    )
    for _ in range(3):
        UserFactory(account=globex)
    return {
        "account": account,
        "agent": User.objects.get(email="agent1@demo.example"),
        "profile": Profile.objects.get(account=account, name="Voice only"),
    }


def test_support_admin_pages(web, demo):
    """
    GIVEN the demo data
    WHEN support logs in through /accounts/login/ and opens the admin pages
    THEN each page shows its heading, logs no console error, shows no stored secret, and is screenshotted
    """
    account, agent = demo["account"], demo["agent"]
    pages = [
        ("admin-index", reverse("admin:index"), "Accounts, call settings and their audit trail"),
        ("admin-account-changelist", reverse("admin:accounts_account_changelist"), "Select account to change"),
        ("admin-account-change", reverse("admin:accounts_account_change", args=[account.pk]), "Change account"),
        (
            "admin-settings-changes",
            reverse("admin:settings_profiles_settingschange_changelist"),
            "Select settings change to view",
        ),
        (
            "admin-call-settings-changelist",
            reverse("admin:settings_profiles_accountcallsettings_changelist"),
            "Select account call settings to change",
        ),
        ("admin-user-changelist", reverse("admin:accounts_user_changelist"), "Select user to change"),
        ("admin-user-change", reverse("admin:accounts_user_change", args=[agent.pk]), "Change user"),
        ("admin-profile-changelist", reverse("admin:settings_profiles_profile_changelist"), "Select profile to change"),
    ]
    web.login(*SUPPORT)
    assert web.page.url.endswith(reverse("admin:index")), "support lands in the admin"

    for name, path, heading in pages:
        web.open(path)
        assert web.page.get_by_role("heading", name=heading, exact=True).first.is_visible(), f"{name}: {heading!r}"
        assert "Voice & Video" in web.page.locator("#site-name").inner_text()
        html = web.page.content()
        assert TURN_SECRET not in html and ICE_CREDENTIAL not in html, f"{name} shows a stored secret"
        web.assert_no_console_errors(name)
        if name == "admin-account-change":
            for title in (
                "Kill switches",
                "Media at start",
                "Relay and ICE",
                "Texts",
                "Analytics",
                "Mobile SDK style",
                "Timers",
            ):
                assert web.page.get_by_role("heading", name=title, exact=True).first.is_visible(), title
            assert MASK in web.page.locator("textarea[name='call_settings-0-ice_servers']").input_value()
            assert web.page.locator("input[name='call_settings-0-turn_rest_shared_secret']").input_value() == ""
            web.page.locator("summary", has_text="Settings audit trail").click()  # open the collapsed audit trail
            assert web.page.get_by_role("link", name=re.compile(r"^Audit trail \(\d+\)$")).is_visible()
        web.screenshot(name)


def test_account_admin_console_pages(web, demo):
    """Every GET page of the console (read from accounts/console/urls.py) renders for the account admin."""
    args_for = {"agent": demo["agent"].pk, "profile": demo["profile"].pk}
    web.login(*ACCOUNT_ADMIN)
    assert "/console/" in web.page.url, "an account admin lands in the console"

    visited = []
    for pattern in console_urls.urlpatterns:
        assert isinstance(pattern, URLPattern)
        name = pattern.name
        if name in CONSOLE_ACTIONS:
            continue
        kwargs = {}
        if pattern.pattern.converters:
            owner = next((key for key in args_for if name.startswith(key)), None)
            assert owner is not None, (
                f"console:{name} takes {list(pattern.pattern.converters)}: teach this test its args"
            )
            kwargs = {key: args_for[owner] for key in pattern.pattern.converters}
        path = reverse(f"console:{name}", kwargs=kwargs)
        response = web.page.goto(web.base_url + path, wait_until="networkidle")
        if response is not None and response.status == 405:
            continue  # a POST-only action, not a page
        assert response is not None and response.ok, f"console:{name} answered {response and response.status}"
        heading = web.page.locator("h1").first
        assert heading.is_visible() and heading.inner_text().strip(), f"console:{name} has no visible heading"
        assert TURN_SECRET not in web.page.content(), f"console:{name} shows the TURN secret"
        web.assert_no_console_errors(f"console:{name}")
        web.screenshot(f"console-{name.replace('_', '-')}")
        visited.append(name)

    assert {"overview", "agents", "profiles", "call_settings"} <= set(visited)
