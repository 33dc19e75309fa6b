"""Cross-tenant email oracle: creating a user never tells an account admin whose an address is.

Finding (issue 12, item 8): creating an agent with the email of another tenant's user, or of support
staff, answered "A user with the email ... already exists", so any admin could test addresses
against every tenant. Email addresses are logins, unique across the platform, so such an address
is still refused, but with the same words as a reserved domain: "This email address cannot be
used." An address of the admin's own account is named as such (the admin sees those users anyway).
Support's `create_agent` command may say more: support is platform staff.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import EMAIL_UNAVAILABLE
from settings_profiles.models import Profile
from tests.factories import PASSWORD, UserFactory

AGENTS = "/api/v1/agents/"
OWN = "agent@acme.example"
FOREIGN = "kim@globex.example"
SUPPORT = "support@platform.example"
RESERVED = "someone@reserved.example"


@pytest.fixture(autouse=True)
def _users(settings, agent, other_account, support):
    settings.RESERVED_EMAIL_DOMAINS = ["reserved.example"]
    UserFactory(account=other_account, email=FOREIGN)


def _api_create(admin_user, email: str):
    client = APIClient()
    client.force_authenticate(admin_user)
    return client.post(AGENTS, {"email": email, "password": "a-long-unusual-pass", "name": "New"}, format="json")


@pytest.mark.django_db
def test_api_answers_the_same_for_another_tenant_support_and_a_reserved_address(admin_user):
    before = User.objects.count()

    answers = {email: _api_create(admin_user, email) for email in (FOREIGN, FOREIGN.upper(), SUPPORT, RESERVED)}

    for email, response in answers.items():
        assert response.status_code == 400, email
        assert response.json() == {"email": [EMAIL_UNAVAILABLE]}, email
    assert len({r.content for r in answers.values()}) == 1, "the bodies are byte for byte the same"
    assert "globex" not in answers[FOREIGN].content.decode().lower()
    assert User.objects.count() == before
    assert User.objects.get(email=FOREIGN).account.slug == "globex"


@pytest.mark.django_db
def test_api_names_an_address_of_the_admins_own_account(admin_user):
    response = _api_create(admin_user, OWN.upper())

    assert response.status_code == 400
    assert response.json() == {"email": [f"{OWN} is already a user of this account."]}


@pytest.mark.django_db
@pytest.mark.parametrize("email", [FOREIGN, SUPPORT, RESERVED])
def test_console_form_shows_the_neutral_refusal(admin_client, account, email):
    before = User.objects.count()
    data = {
        "email": email,
        "name": "New",
        "password": "a-long-unusual-pass",
        "role": "agent",
        "profiles": [Profile.objects.get(account=account, is_default=True).pk],
    }

    response = admin_client.post(reverse("console:agent_create"), data)

    assert response.status_code == 200
    html = response.content.decode()
    assert '<ul class="field-errors" id="id_email_error"><li>This email address cannot be used.' in html
    assert "already" not in html and "exists" not in html
    assert User.objects.count() == before


@pytest.mark.django_db
def test_console_form_names_an_own_account_address(admin_client, account):
    data = {
        "email": OWN,
        "password": "a-long-unusual-pass",
        "role": "agent",
        "profiles": [Profile.objects.get(account=account, is_default=True).pk],
    }
    html = admin_client.post(reverse("console:agent_create"), data).content.decode()

    assert f"{OWN} is already a user of this account." in html


@pytest.mark.django_db
def test_supports_command_may_say_the_address_belongs_to_another_account(account):
    with pytest.raises(CommandError, match="already a user of another account"):
        call_command("create_agent", "acme", FOREIGN, "--password", PASSWORD)
