"""Credential hygiene: API tokens hashed, expiring and revocable; every user changes and resets their
password; sessions end after a working day.

Finding (issue 12, item 10): API tokens were stored in clear (DRF authtoken) and never expired;
agents and admins could not change their password; there was no password reset; sessions lasted two
weeks.
"""

from __future__ import annotations

import importlib
import re
from datetime import timedelta

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from knox.crypto import hash_token
from knox.models import AuthToken
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import User
from tests.factories import PASSWORD

TOKEN_URL = "/api/v1/auth/token/"
TOKENS_URL = "/api/v1/auth/tokens/"
PROFILES = "/api/v1/profiles/"
NEW_PASSWORD = "a-brand-new-passphrase-42"


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    from django.core.cache import cache

    cache.clear()


def issue(user: User) -> str:
    response = APIClient().post(TOKEN_URL, {"email": user.email, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    return response.json()["token"]


def with_token(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def raw_token_rows() -> list[str]:
    """Every column of every stored API token, as text, straight from the database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT digest, token_key, user_id, created, expiry FROM knox_authtoken")
        rows = [" ".join(str(v) for v in row) for row in cursor.fetchall()]
        cursor.execute("SELECT key FROM authtoken_token")
        rows += [key for (key,) in cursor.fetchall()]
    return rows


# --- API tokens ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_database_holds_a_digest_never_the_token(admin_user):
    token = issue(admin_user)

    rows = raw_token_rows()
    assert len(rows) == 1 and token not in rows[0]
    assert hash_token(token) in rows[0]
    assert with_token(token).get(PROFILES).status_code == 200


@pytest.mark.django_db
def test_a_token_expires_after_the_configured_lifetime(admin_user, settings):
    response = APIClient().post(TOKEN_URL, {"email": admin_user.email, "password": PASSWORD}, format="json")
    token, expires_at = response.json()["token"], response.json()["expires_at"]
    stored = AuthToken.objects.get(user=admin_user)
    assert abs(stored.expiry - (stored.created + timedelta(seconds=settings.API_TOKEN_TTL_S))) < timedelta(seconds=5)
    assert expires_at.startswith(stored.expiry.date().isoformat())

    AuthToken.objects.filter(pk=stored.pk).update(expiry=timezone.now() - timedelta(seconds=1))
    response = with_token(token).get(PROFILES)

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}
    assert not AuthToken.objects.exists(), "an expired token is deleted when it is tried"


@pytest.mark.django_db
def test_a_user_revokes_the_token_they_hold_and_only_that_one(admin_user):
    first, second = issue(admin_user), issue(admin_user)

    response = with_token(first).delete(TOKEN_URL)

    assert response.status_code == 204
    assert with_token(first).get(PROFILES).status_code == 401
    assert with_token(second).get(PROFILES).status_code == 200


@pytest.mark.django_db
def test_revoking_all_ones_tokens(admin_user, agent):
    mine = [issue(admin_user), issue(admin_user)]
    theirs = issue(agent)

    response = with_token(mine[0]).delete(TOKENS_URL)

    assert response.status_code == 200 and response.json() == {"revoked": 2}
    assert all(with_token(t).get(PROFILES).status_code == 401 for t in mine)
    assert (
        AuthToken.objects.filter(user=agent).count() == 1
        and with_token(theirs).get("/api/v1/agents/").status_code == 403
    )


@pytest.mark.django_db
def test_revoking_without_a_token_is_refused_clearly(admin_user, agent):
    session = APIClient()
    session.force_login(admin_user)

    assert session.delete(TOKEN_URL).json() == {
        "detail": 'Send the token to revoke in the header "Authorization: Token <token>".'
    }
    assert APIClient().delete(TOKEN_URL).status_code == 401
    assert APIClient().delete(TOKENS_URL).status_code == 401


@pytest.mark.django_db
def test_too_many_tokens_is_a_clear_refusal(admin_user, settings):
    settings.API_TOKENS_PER_USER = 2
    issue(admin_user), issue(admin_user)

    response = APIClient().post(TOKEN_URL, {"email": admin_user.email, "password": PASSWORD}, format="json")

    assert response.status_code == 403
    assert response.json()["detail"].startswith("You already hold 2 unexpired API tokens.")
    assert AuthToken.objects.count() == 2


@pytest.mark.django_db
def test_an_account_admin_revokes_an_agents_tokens_in_the_console(admin_client, agent, other_account):
    token = issue(agent)
    page = admin_client.get(reverse("console:agent_detail", args=[agent.pk])).content.decode()
    assert "holds 1 active API token" in page

    response = admin_client.post(reverse("console:agent_tokens_revoke", args=[agent.pk]), follow=True)

    assert "1 API token(s) of Andy Agent revoked." in response.content.decode()
    assert with_token(token).get("/api/v1/agents/").status_code == 401


@pytest.mark.django_db
def test_an_admin_cannot_revoke_another_accounts_tokens(admin_client, other_account):
    from tests.factories import UserFactory

    outsider = UserFactory(account=other_account, email="o@globex.example")
    issue(outsider)

    response = admin_client.post(reverse("console:agent_tokens_revoke", args=[outsider.pk]))

    assert response.status_code == 404
    assert AuthToken.objects.filter(user=outsider).count() == 1


@pytest.mark.django_db
def test_support_revokes_tokens_in_the_admin_and_never_sees_one(support_client, admin_user):
    token = issue(admin_user)
    listing = support_client.get(reverse("admin:knox_authtoken_changelist")).content.decode()
    # The digest (the row's key, in its links) is no credential; the token itself is never there.
    assert admin_user.email in listing and token[:8] in listing and token not in listing
    assert support_client.get(reverse("admin:knox_authtoken_add")).status_code == 403

    support_client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "revoke_api_tokens", "_selected_action": [admin_user.pk]},
    )

    assert not AuthToken.objects.filter(user=admin_user).exists()


@pytest.mark.django_db
def test_deactivating_a_user_revokes_their_tokens(admin_client, agent):
    issue(agent)

    admin_client.post(reverse("console:agent_set_active", args=[agent.pk]), {"active": "0"})
    User.objects.filter(pk=agent.pk).update(is_active=True)

    assert not AuthToken.objects.filter(user=agent).exists()


@pytest.mark.django_db
def test_clear_text_tokens_from_before_are_migrated_to_digests(admin_user):
    """
    GIVEN a DRF token stored in clear before the move
    WHEN accounts' migration 0002 runs
    THEN the same token still authenticates, now with an expiry, and its clear text is gone
    """
    migration = importlib.import_module("accounts.migrations.0002_hash_api_tokens")
    old = Token.objects.create(user=admin_user).key

    migration.hash_existing_tokens(apps, None)

    assert not any(old in row for row in raw_token_rows())
    stored = AuthToken.objects.get(user=admin_user)
    assert stored.expiry > timezone.now() + timedelta(days=6)
    assert with_token(old).get(PROFILES).status_code == 200


# --- Passwords ----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["agent", "admin_user"])
def test_every_user_changes_their_password_and_loses_their_tokens(request, who):
    user = request.getfixturevalue(who)
    token = issue(user)
    client = Client()
    client.force_login(user)
    page = client.get(reverse("password_change")).content.decode()
    assert "Change your password" in page and "1 active token" in page

    wrong = client.post(
        reverse("password_change"),
        {"old_password": "not-it", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert wrong.status_code == 200
    assert "Your old password was entered incorrectly." in wrong.content.decode()

    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )

    assert "Password changed" in response.content.decode()
    assert User.objects.get(pk=user.pk).check_password(NEW_PASSWORD)
    assert client.get(reverse("password_change")).status_code == 200, "the session survives its own change"
    assert with_token(token).get(PROFILES).status_code == 401


@pytest.mark.django_db
def test_the_password_page_needs_a_login():
    response = Client().get(reverse("password_change"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_password_reset_by_email_for_an_agent(agent):
    client = Client()
    assert 'href="/accounts/password/reset/"' in client.get(reverse("login")).content.decode()
    token = issue(agent)

    sent = client.post(reverse("password_reset"), {"email": "AGENT@acme.example"}, follow=True)

    assert "Check your email" in sent.content.decode()
    (message,) = mail.outbox
    assert message.to == ["agent@acme.example"] and message.subject == "Reset your Voice & Video password"
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", message.body).group(1)
    form_page = client.get(link, follow=True)
    assert "Set a new password" in form_page.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, follow=True
    )
    assert "Password set" in done.content.decode()
    assert Client().login(email=agent.email, password=NEW_PASSWORD)
    assert with_token(token).get(PROFILES).status_code == 401
    assert "This link no longer works" in client.get(link, follow=True).content.decode(), "a link works once"


@pytest.mark.django_db
def test_password_reset_answers_the_same_for_an_unknown_address(agent):
    known = Client().post(reverse("password_reset"), {"email": agent.email})
    unknown = Client().post(reverse("password_reset"), {"email": "nobody@nowhere.example"})

    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert len(mail.outbox) == 1


# --- Sessions -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_login_session_lasts_a_working_day(agent):
    assert django_settings.SESSION_COOKIE_AGE == 12 * 3600
    client = Client()
    response = client.post(reverse("login"), {"username": agent.email, "password": PASSWORD})

    assert response.status_code == 302
    assert response.cookies["sessionid"]["max-age"] == 12 * 3600
