"""schemathesis against our own OpenAPI schema (/api/schema/): generated requests for every operation,
as an account admin and as support, must never get a server error, and a refused request (4xx) must
change nothing (the suite's other tests check what an accepted one changes).

Account paths name the requesting admin's own account (`acme`): a random slug would only ever meet
404, and the call-settings validator behind `PATCH /accounts/{slug}/call-settings/` never be reached."""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from knox.models import AuthToken
from schemathesis.checks import not_a_server_error

from accounts.models import User
from consoleproj.wsgi import application
from settings_profiles.models import AccountCallSettings, Profile, SettingsChange

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)

pytestmark = pytest.mark.django_db


# Operations anyone may call (no authentication): the consumer's conversation start, the SDK config,
# the token exchange.
PUBLIC = {"/api/v1/conversations/", "/api/v1/sdk/config", "/api/v1/auth/token/"}
# DELETE revokes the token the examples share, so the examples after the first one get 401.
REVOKING = {"/api/v1/auth/token/", "/api/v1/auth/tokens/"}


@pytest.fixture(autouse=True)
def _keep_the_test_transaction():
    """The WSGI app closes the database connection after each request (request_finished); inside a
    test that would end the test's transaction. Django's own test Client disconnects these handlers
    for the same reason."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(params=["admin", "support"])
def token(request, admin_user, support) -> str:
    user = admin_user if request.param == "admin" else support
    return AuthToken.objects.create(user=user)[1]


def stored_state() -> tuple[list[dict], ...]:
    """What a request of the API could change: settings and their audit, profiles, users, assignments."""
    return (
        list(AccountCallSettings.objects.order_by("pk").values()),
        list(SettingsChange.objects.order_by("pk").values("pk")),
        list(Profile.objects.order_by("pk").values()),
        list(User.objects.order_by("pk").values("pk", "email", "name", "role", "is_active", "account_id")),
        list(Profile.users.through.objects.order_by("pk").values()),
    )


@schema.parametrize()
# Deterministic in the suite (the same examples on every run, so CI is stable); an exploratory run
# draws fresh ones: SCHEMATHESIS_RANDOM=1 SCHEMATHESIS_EXAMPLES=300 pytest tests/test_api_schemathesis.py
@settings(
    max_examples=int(os.environ.get("SCHEMATHESIS_EXAMPLES", "25")),
    derandomize=os.environ.get("SCHEMATHESIS_RANDOM") != "1",
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_answers_a_server_error(case, token, account):
    if "slug" in case.path_parameters:
        case.path_parameters = {**case.path_parameters, "slug": account.slug}
    before = stored_state()
    response = case.call(headers={"Authorization": f"Token {token}"})
    case.validate_response(response, checks=[not_a_server_error])
    if 400 <= response.status_code < 500:
        assert stored_state() == before, ("a refused request changed something", case.method, case.path, response.text)
    # The token was accepted: every refusal is about the input or the role, never a failed login.
    assert response.status_code != 401 or case.operation.path in PUBLIC | REVOKING, (case.operation.path, response.text)
