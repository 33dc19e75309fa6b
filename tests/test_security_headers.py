"""Headers that keep the pages we serve from being scripted, framed or leaking their URLs."""

from __future__ import annotations

import pytest
from django.urls import reverse

from calls import services
from calls.tokens import consumer_token_for

pytestmark = pytest.mark.django_db


def directives(response) -> dict[str, str]:
    policy = response["Content-Security-Policy"]
    return {part.split(" ", 1)[0]: part.split(" ", 1)[1] for part in (p.strip() for p in policy.split(";")) if part}


@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("admin_client", reverse("console:overview")),
        ("admin_client", reverse("console:call_settings")),
        ("admin_client", reverse("reports:index")),
        ("agent_client", reverse("workspace:index")),
        ("support_client", reverse("admin:index")),
        ("client", reverse("login")),
    ],
)
def test_console_workspace_and_admin_pages_run_only_our_scripts_and_refuse_framing(who, url, request):
    response = request.getfixturevalue(who).get(url)
    assert response.status_code == 200
    policy = directives(response)
    assert policy["script-src"] == "'self'"  # no inline script, no eval
    assert policy["frame-ancestors"] == "'none'" and response["X-Frame-Options"] == "DENY"
    assert policy["connect-src"] == "'self'" and policy["object-src"] == "'none'"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_engagement_window_may_be_framed_only_by_our_pages_and_the_accounts_origins(account, client):
    account.call_settings.allowed_origins = ["https://www.acme.example", "https://shop.acme.example:8443"]
    account.call_settings.save()
    response = client.get(reverse("engage:window"), {"account": account.slug})
    assert response.status_code == 200
    policy = directives(response)
    assert policy["frame-ancestors"] == "'self' https://www.acme.example https://shop.acme.example:8443"
    assert policy["script-src"] == "'self'"
    assert "X-Frame-Options" not in response


def test_webview_page_keeps_its_token_out_of_referrers(account, client):
    conversation = services.conversation_create(account=account, channel="web_messaging")
    token = consumer_token_for(conversation_id=conversation.pk, account_id=account.pk)
    response = client.get(reverse("engage:webview"), {"token": token})
    assert response.status_code == 200
    assert response["Referrer-Policy"] == "no-referrer"
    assert directives(response)["frame-ancestors"] == "'none'"


def test_api_docs_run_under_the_policy_without_inline_script(client):
    import re

    response = client.get("/api/docs/")
    assert response.status_code == 200
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", response.content.decode(), re.S)
    assert scripts and all("src=" in attrs and not body.strip() for attrs, body in scripts), scripts
    assert directives(response)["script-src"] == "'self'"
    init = [re.search(r'src="([^"]+)"', attrs).group(1) for attrs, _ in scripts if "script=" in attrs]
    assert init and client.get(init[0]).status_code == 200
