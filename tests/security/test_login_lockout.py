"""Password guessing on every login path (finding 2): the session form, the Django admin's form and
the API token endpoint are throttled per login name and per client address (django-axes), with a
clear 429, the lockout recorded where support sees it, and `axes_reset` to lift it."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import Client
from knox.models import AuthToken

from tests.factories import PASSWORD, UserFactory

LIMIT = 5


@pytest.fixture(autouse=True)
def _small_limit(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT


def form_login(client: Client, path: str, email: str, password: str, address: str = "198.51.100.1"):
    return client.post(path, {"username": email, "password": password}, REMOTE_ADDR=address)


def token_login(client: Client, email: str, password: str, address: str = "198.51.100.1"):
    return client.post(
        "/api/v1/auth/token/",
        {"email": email, "password": password},
        content_type="application/json",
        REMOTE_ADDR=address,
    )


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/"])
def test_the_login_forms_lock_a_guessed_account(path, agent, support):
    """
    GIVEN an agent (the session form) or support (the admin's form)
    WHEN someone sends LIMIT wrong passwords, then the right one
    THEN the right one is refused too, with 429 and the reason in words; no session is opened; the
         lockout is recorded for the login name and the address
    """
    user = support if path.startswith("/admin/") else agent
    client = Client()
    for _ in range(LIMIT - 1):
        assert form_login(client, path, user.email, "wrong-password").status_code == 200  # the form again
    assert form_login(client, path, user.email, "wrong-password").status_code == 429  # the LIMIT-th locks
    refused = form_login(client, path, user.email, PASSWORD)
    assert refused.status_code == 429
    assert b"Too many failed logins" in refused.content
    assert "_auth_user_id" not in client.session
    attempt = AccessAttempt.objects.get(username=user.email)
    assert attempt.failures_since_start >= LIMIT and attempt.ip_address == "198.51.100.1"


@pytest.mark.django_db
def test_the_lock_holds_for_the_account_from_any_address_and_for_the_address_on_any_account(agent, admin_user):
    """
    GIVEN an agent whose password was guessed LIMIT times from one address
    WHEN the agent logs in from another address, and the guessing address tries another account
    THEN both are refused (per login name, and per address), while the admin logs in from elsewhere
    """
    client = Client()
    for _ in range(LIMIT):
        form_login(client, "/accounts/login/", agent.email, "wrong-password", address="198.51.100.1")
    assert form_login(Client(), "/accounts/login/", agent.email, PASSWORD, address="203.0.113.9").status_code == 429
    assert form_login(Client(), "/accounts/login/", admin_user.email, PASSWORD, "198.51.100.1").status_code == 429
    ok = form_login(Client(), "/accounts/login/", admin_user.email, PASSWORD, address="203.0.113.10")
    assert ok.status_code == 302


@pytest.mark.django_db
def test_the_token_endpoint_locks_with_a_json_refusal(admin_user):
    client = Client()
    for _ in range(LIMIT - 1):
        wrong = token_login(client, admin_user.email.upper(), "wrong-password")  # case does not spread guesses
        assert wrong.status_code == 400
    assert token_login(client, admin_user.email, "wrong-password").status_code == 429
    refused = token_login(client, admin_user.email, PASSWORD)
    assert refused.status_code == 429
    assert "Too many failed logins" in refused.json()["detail"]
    assert int(refused["Retry-After"]) > 0
    assert not AuthToken.objects.filter(user=admin_user).exists()


@pytest.mark.django_db
def test_support_unlocks_with_axes_reset_and_sees_the_lockout_in_the_admin(agent, support_client):
    client = Client()
    for _ in range(LIMIT):
        form_login(client, "/accounts/login/", agent.email, "wrong-password")
    page = support_client.get("/admin/axes/accessattempt/")
    assert page.status_code == 200 and agent.email.encode() in page.content
    call_command("axes_reset_username", agent.email)
    call_command("axes_reset_ip", "198.51.100.1")
    assert form_login(Client(), "/accounts/login/", agent.email, PASSWORD).status_code == 302


@pytest.mark.django_db
def test_a_successful_login_clears_earlier_failures(agent):
    client = Client()
    for _ in range(LIMIT - 1):
        form_login(client, "/accounts/login/", agent.email, "wrong-password")
    assert form_login(Client(), "/accounts/login/", agent.email, PASSWORD).status_code == 302
    for _ in range(LIMIT - 1):
        form_login(client, "/accounts/login/", agent.email, "wrong-password")
    assert form_login(Client(), "/accounts/login/", agent.email, PASSWORD).status_code == 302


@pytest.mark.django_db
def test_an_unknown_login_name_is_counted_like_a_known_one(account):
    """Guessing names (no such user) locks the address as well: names are not free to enumerate."""
    client = Client()
    for n in range(LIMIT):
        form_login(client, "/accounts/login/", f"nobody{n}@acme.example", "x")
    someone = UserFactory(account=account, email="someone@acme.example")
    assert form_login(Client(), "/accounts/login/", someone.email, PASSWORD).status_code == 429
