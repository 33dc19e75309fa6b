"""Pages that production should not expose (finding 12): the demo brand page is off there (and has our
CSP when on), and the OpenAPI schema and docs need a login there."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.test import Client
from knox.models import AuthToken

from tests.test_foundation import PRODUCTION_ENV, ROOT


def production_setting(*names: str) -> list[str]:
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='consoleproj.settings'; django.setup();"
        "from django.conf import settings as s;" + "".join(f"print(s.{name});" for name in names)
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=PRODUCTION_ENV, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_production_turns_the_demo_off_and_puts_the_api_docs_behind_a_login():
    assert production_setting("ENGAGE_DEMO_ENABLED", "API_DOCS_PUBLIC") == ["False", "False"]


@pytest.mark.django_db
def test_the_demo_page_is_gone_when_off(client, settings):
    settings.ENGAGE_DEMO_ENABLED = False
    assert client.get("/engage/demo/").status_code == 404


@pytest.mark.django_db
def test_the_demo_page_has_the_content_security_policy_when_on(client, settings):
    settings.ENGAGE_DEMO_ENABLED = True
    response = client.get("/engage/demo/")
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy and "object-src 'none'" in policy


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/"])
def test_the_api_docs_need_a_login_in_production(path, settings, agent, login):
    settings.API_DOCS_PUBLIC = False
    anonymous = Client().get(path)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    assert login(agent).get(path).status_code == 200
    token = AuthToken.objects.create(user=agent)[1]
    assert Client().get(path, HTTP_AUTHORIZATION=f"Token {token}").status_code == 200
    assert Client().get(path, HTTP_AUTHORIZATION="Token not-a-token").status_code == 302


@pytest.mark.django_db
def test_the_api_docs_stay_public_in_development(client, settings):
    settings.API_DOCS_PUBLIC = True
    assert client.get("/api/schema/").status_code == 200
