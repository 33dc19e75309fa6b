"""The ICE configuration service: TURN REST credentials as coturn's use-auth-secret verifies them."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from settings_profiles.ice import ice_config_for
from settings_profiles.models import AccountCallSettings

SECRET = "shared-secret-of-the-account"
NOW = 1_800_000_000.0


@pytest.fixture
def call_settings(account):
    AccountCallSettings.objects.filter(account=account).update(
        turn_rest_urls=["turn:turn.acme.example:3478?transport=udp", "turns:turn.acme.example:5349?transport=tcp"],
        turn_rest_shared_secret=SECRET,
        turn_rest_ttl_s=600,
        ice_servers=[{"urls": "stun:stun.acme.example:3478"}],
    )
    return AccountCallSettings.objects.get(account=account)


def _turn_entry(config):
    [entry] = [s for s in config["iceServers"] if "username" in s]
    return entry


def test_credentials_verify_with_hmac_sha1_of_the_secret(call_settings):
    config = ice_config_for(call_settings=call_settings, participant="call-7-agent", now=NOW)
    entry = _turn_entry(config)
    expected = base64.b64encode(hmac.new(SECRET.encode(), entry["username"].encode(), hashlib.sha1).digest()).decode()
    assert entry["credential"] == expected
    assert entry["urls"] == ["turn:turn.acme.example:3478?transport=udp", "turns:turn.acme.example:5349?transport=tcp"]
    assert {"urls": ["stun:stun.acme.example:3478"]} in config["iceServers"]
    # A different secret would not verify.
    wrong = base64.b64encode(hmac.new(b"other", entry["username"].encode(), hashlib.sha1).digest()).decode()
    assert entry["credential"] != wrong


def test_credentials_expire_after_the_ttl_and_name_the_participant(call_settings):
    entry = _turn_entry(ice_config_for(call_settings=call_settings, participant="call-7-consumer", now=NOW))
    expiry, participant = entry["username"].split(":", 1)
    assert int(expiry) == int(NOW) + 600
    assert participant == "call-7-consumer"


def test_each_participant_gets_its_own_credentials(call_settings):
    agent = _turn_entry(ice_config_for(call_settings=call_settings, participant="call-7-agent", now=NOW))
    consumer = _turn_entry(ice_config_for(call_settings=call_settings, participant="call-7-consumer", now=NOW))
    assert agent["username"] != consumer["username"]
    assert agent["credential"] != consumer["credential"]


def test_relay_policy_when_forced(call_settings):
    assert ice_config_for(call_settings=call_settings, participant="p")["iceTransportPolicy"] == "all"
    call_settings.force_relay = True
    assert ice_config_for(call_settings=call_settings, participant="p")["iceTransportPolicy"] == "relay"


def test_secret_never_leaves_the_server(call_settings):
    config = ice_config_for(call_settings=call_settings, participant="p", now=NOW)
    assert SECRET not in repr(config)


@pytest.mark.django_db
def test_platform_defaults_apply_to_accounts_without_their_own(account, settings):
    settings.ICE_SERVERS = [{"urls": "stun:stun.platform.example:3478"}]
    settings.TURN_REST_URLS = ["turn:turn.platform.example:3478"]
    settings.TURN_REST_SECRET = "platform-secret"
    settings.TURN_REST_TTL_S = 120
    call_settings = AccountCallSettings.objects.get(account=account)
    config = ice_config_for(call_settings=call_settings, participant="p", now=NOW)
    assert config["iceServers"][0] == {"urls": ["stun:stun.platform.example:3478"]}
    entry = _turn_entry(config)
    assert entry["username"] == f"{int(NOW) + 120}:p"
    expected = base64.b64encode(hmac.new(b"platform-secret", entry["username"].encode(), hashlib.sha1).digest())
    assert entry["credential"] == expected.decode()
