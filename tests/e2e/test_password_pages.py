"""Real Chromium through the password pages: change (with the API token list) and reset by email.

Screenshots: password-change, password-change-error, password-reset, password-reset-sent,
password-reset-confirm, password-reset-complete, agent-detail-tokens (test-artifacts/screenshots/).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from knox.models import AuthToken

from accounts.models import User
from tests.factories import PASSWORD, AccountFactory, AdminFactory, UserFactory

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "a-brand-new-passphrase-42"


@pytest.fixture
def people(transactional_db) -> dict[str, User]:
    account = AccountFactory(slug="acme", name="Acme Telecom")
    agent = UserFactory(account=account, email="kim@acme.example", name="Kim Novak")
    admin = AdminFactory(account=account, email="ada@acme.example", name="Ada Admin")
    AuthToken.objects.create(user=agent)
    AuthToken.objects.create(user=agent)
    return {"agent": agent, "admin": admin}


def test_an_agent_changes_the_password_and_sees_their_tokens(web, people):
    web.login("kim@acme.example", PASSWORD)  # lands on the workspace, whose socket needs daphne: not here
    web.open("/accounts/password/change/")
    web.errors.clear()
    page = web.page
    assert page.locator("h1").inner_text() == "Change your password"
    assert "2 active tokens" in page.locator(".token-box").inner_text()
    web.screenshot("password-change")

    page.fill("#id_old_password", "not-my-password")
    page.fill("#id_new_password1", NEW_PASSWORD)
    page.fill("#id_new_password2", NEW_PASSWORD)
    with page.expect_navigation(wait_until="networkidle"):
        page.click("text=Change password")
    assert "Your old password was entered incorrectly" in page.locator("#id_old_password_error").inner_text()
    web.screenshot("password-change-error")

    page.fill("#id_old_password", PASSWORD)
    page.fill("#id_new_password1", NEW_PASSWORD)
    page.fill("#id_new_password2", NEW_PASSWORD)
    with page.expect_navigation(wait_until="networkidle"):
        page.click("text=Change password")
    assert page.locator("h1").inner_text() == "Password changed"
    assert AuthToken.objects.filter(user=people["agent"]).count() == 0
    web.assert_no_console_errors("password change")


def test_a_forgotten_password_is_reset_by_email(web, people):
    web.open("/accounts/login/")
    page = web.page
    with page.expect_navigation(wait_until="networkidle"):
        page.click("text=Forgot your password?")
    web.screenshot("password-reset")
    page.fill("#id_email", "kim@acme.example")
    with page.expect_navigation(wait_until="networkidle"):
        page.click("text=Send the link")
    assert page.locator("h1").inner_text() == "Check your email"
    web.screenshot("password-reset-sent")

    (message,) = mail.outbox
    link = re.search(r"https?://\S+/accounts/password/reset/\S+/", message.body).group(0)
    page.goto(web.base_url + urlsplit(link).path, wait_until="networkidle")
    assert page.locator("h1").inner_text() == "Set a new password"
    web.screenshot("password-reset-confirm")
    page.fill("#id_new_password1", NEW_PASSWORD)
    page.fill("#id_new_password2", NEW_PASSWORD)
    with page.expect_navigation(wait_until="networkidle"):
        page.click("text=Set the password")
    assert page.locator("h1").inner_text() == "Password set"
    web.screenshot("password-reset-complete")
    assert User.objects.get(email="kim@acme.example").check_password(NEW_PASSWORD)
    web.assert_no_console_errors("password reset")


def test_an_admin_sees_and_revokes_an_agents_tokens(web, people):
    web.login("ada@acme.example", PASSWORD)
    web.open(f"/console/agents/{people['agent'].pk}/")
    page = web.page
    assert "holds 2 active API tokens" in page.locator("#tokens-heading + p").inner_text()
    web.screenshot("agent-detail-tokens")
    with page.expect_navigation(wait_until="networkidle"):
        page.click("text=Revoke API tokens")
    assert "2 API token(s) of Kim Novak revoked." in page.locator(".messages").inner_text()
    web.assert_no_console_errors("agent tokens")
