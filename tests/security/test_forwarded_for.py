"""Throttles bypassed with a forged X-Forwarded-For (finding 1).

The client address comes from one place (consoleproj/client_address.py), which believes the header
only as far as trusted proxies (TRUSTED_PROXIES) appended it; every throttle keys on it.
"""

from __future__ import annotations

import json

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from calls.models import Conversation
from consoleproj.client_address import client_address, client_address_of_scope
from consoleproj.throttling import ClientAddressMixin

from .conftest import http

CONVERSATIONS = "/api/v1/conversations/"
START_LIMIT = 30  # calls.api.views.ConversationStartThrottle


def start(client: APIClient, account, forwarded_for: str):
    return client.post(
        CONVERSATIONS,
        {"account": account.slug, "channel": "web_messaging"},
        format="json",
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


@pytest.mark.django_db
def test_a_rotating_forwarded_for_header_does_not_escape_the_throttle(account, settings):
    """
    GIVEN the default settings (no trusted proxy)
    WHEN one client POSTs 300 conversations, each with a different X-Forwarded-For
    THEN only the throttle's 30 are created; the rest get 429 with a reason and create nothing
    """
    client = APIClient()
    statuses = [start(client, account, f"198.51.100.{n % 250}, 203.0.113.{n % 200}").status_code for n in range(300)]
    assert statuses.count(201) == START_LIMIT
    assert statuses[START_LIMIT:] == [429] * (300 - START_LIMIT)
    assert Conversation.objects.count() == START_LIMIT
    refused = start(client, account, "192.0.2.99")
    assert refused.status_code == 429 and "throttled" in refused.json()["detail"].lower()


@pytest.mark.django_db
def test_behind_a_trusted_proxy_each_client_has_its_own_budget(account, settings):
    """
    GIVEN the test client's address (127.0.0.1) configured as the trusted proxy
    WHEN two clients behind it start conversations, and one of them forges an extra entry
    THEN each client address gets its own 30 (the proxy's appended entry is believed, the forged one
         further left is not)
    """
    settings.TRUSTED_PROXIES = ["127.0.0.0/8"]
    client = APIClient()
    first = [start(client, account, "192.0.2.10").status_code for _ in range(START_LIMIT + 1)]
    assert first.count(201) == START_LIMIT and first[-1] == 429
    # Forged entries left of the proxy's own do not change who the client is.
    assert start(client, account, "10.9.9.9, 192.0.2.10").status_code == 429
    assert start(client, account, "192.0.2.20").status_code == 201


def test_the_address_rules(settings):
    settings.TRUSTED_PROXIES = []
    assert client_address("203.0.113.5", "1.2.3.4") == "203.0.113.5"
    assert client_address(None, "1.2.3.4") is None  # no peer (a request made in-process): no address
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "2001:db8::/32"]
    assert client_address("10.0.0.2", "198.51.100.7") == "198.51.100.7"
    # Two trusted hops: the balancer (10.0.0.2) and an inner proxy (10.1.1.1) it forwarded from.
    assert client_address("10.0.0.2", "6.6.6.6, 198.51.100.7, 10.1.1.1") == "198.51.100.7"
    assert client_address("203.0.113.5", "198.51.100.7") == "203.0.113.5"  # not from a proxy: ignored
    assert client_address("10.0.0.2", "not-an-address") == "10.0.0.2"
    assert client_address("2001:db8::1", "[2001:db8:ffff::9]:443, 198.51.100.8:5555") == "198.51.100.8"
    assert client_address("::ffff:10.0.0.2", "198.51.100.7") == "198.51.100.7"
    scope = {"client": ["10.0.0.2", 4321], "headers": [(b"x-forwarded-for", b"198.51.100.9")]}
    assert client_address_of_scope(scope) == "198.51.100.9"


def _views(patterns, found):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            _views(pattern.url_patterns, found)
        elif isinstance(pattern, URLPattern):
            view = getattr(pattern.callback, "cls", None) or getattr(pattern.callback, "view_class", None)
            if view is not None:
                found.add(view)
    return found


def test_every_api_throttle_keys_on_the_one_client_address():
    throttles = {
        throttle
        for view in _views(get_resolver().url_patterns, set())
        for throttle in getattr(view, "throttle_classes", [])
    }
    assert throttles, "no throttled view found"
    assert all(issubclass(throttle, ClientAddressMixin) for throttle in throttles), throttles


@pytest.mark.integration
def test_a_live_daphne_throttles_a_rotating_header(account, live_daphne):
    """
    GIVEN a daphne process with the default settings
    WHEN one client sends 60 conversation starts with rotating X-Forwarded-For headers, and 25
         token requests likewise
    THEN 30 conversations are created and the rest get 429; the token endpoint's throttle answers
         429 after its 20 guesses
    """
    # The lockout would refuse these guesses too; raised out of the way, the throttle alone is tested.
    process, port = live_daphne("daphne-security-xff", LOGIN_FAILURE_LIMIT="1000")
    body = json.dumps({"account": account.slug, "channel": "web_messaging"}).encode()
    statuses = [
        http(
            "POST",
            f"http://127.0.0.1:{port}{CONVERSATIONS}",
            body=body,
            headers={"Content-Type": "application/json", "X-Forwarded-For": f"198.51.100.{n}"},
        )[0]
        for n in range(60)
    ]
    assert statuses.count(201) == START_LIMIT and statuses[-1] == 429
    assert Conversation.objects.count() == START_LIMIT
    guess = json.dumps({"email": "nobody@acme.example", "password": "wrong-password"}).encode()
    token_statuses = [
        http(
            "POST",
            f"http://127.0.0.1:{port}/api/v1/auth/token/",
            body=guess,
            headers={"Content-Type": "application/json", "X-Forwarded-For": f"203.0.113.{n}"},
        )[0]
        for n in range(25)
    ]
    assert token_statuses == [400] * 20 + [429] * 5
    assert "Traceback" not in process.output()
