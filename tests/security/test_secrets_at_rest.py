"""Static TURN credentials: encrypted in the column, masked wherever settings are shown, in clear only
in the ICE configuration of a call.

Finding (issue 12, item 9): `ice_servers` credentials were stored in clear while the TURN REST secret
was encrypted. Both now go through settings_profiles/secrecy.py: Fernet with a key from SECRET_KEY,
SECRET_KEY_FALLBACKS during a rotation, `reencrypt_secrets` to finish it.
"""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Value
from django.db.models.fields.json import JSONField
from django.urls import reverse
from rest_framework.test import APIClient

from settings_profiles.ice import ice_config_for
from settings_profiles.models import AccountCallSettings, SettingsChange
from settings_profiles.secrecy import MASK
from settings_profiles.services import call_settings_update

CREDENTIAL = "static-turn-pass-7Q2x"
SECRET = "rest-shared-secret-9Zk"
SERVERS = [
    {"urls": "stun:stun.acme.example:3478"},
    {"urls": ["turn:turn.acme.example:3478?transport=udp"], "username": "acme", "credential": CREDENTIAL},
]
OLD_KEY = "old-secret-key-" + "o" * 50
NEW_KEY = "new-secret-key-" + "n" * 50


def raw_columns(account) -> tuple[str, str]:
    """The two secret-holding columns exactly as the database holds them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ice_servers, turn_rest_shared_secret FROM settings_profiles_accountcallsettings "
            "WHERE account_id = %s",
            [account.pk],
        )
        ice, secret = cursor.fetchone()
    return (ice if isinstance(ice, str) else json.dumps(ice)), secret


@pytest.fixture
def stored(account, support) -> AccountCallSettings:
    call_settings = AccountCallSettings.objects.get(account=account)
    call_settings_update(
        call_settings=call_settings,
        data={
            "ice_servers": SERVERS,
            "turn_rest_urls": ["turn:rest.acme.example:3478"],
            "turn_rest_shared_secret": SECRET,
        },
        changed_by=support,
        source=SettingsChange.Source.API,
    )
    return call_settings


@pytest.mark.django_db
def test_the_column_holds_no_credential_in_clear(account, stored):
    ice, secret = raw_columns(account)

    assert CREDENTIAL not in ice and SECRET not in secret
    servers = json.loads(ice)
    assert servers[1]["credential"].startswith("fernet:")
    assert servers[1]["username"] == "acme"  # urls and usernames stay readable JSON
    assert secret.startswith("fernet:")
    assert AccountCallSettings.objects.get(account=account).ice_servers == SERVERS


@pytest.mark.django_db
def test_only_the_ice_configuration_of_a_call_carries_it(account, stored):
    config = ice_config_for(call_settings=AccountCallSettings.objects.get(account=account), participant="call-1-agent")

    static_turn = next(s for s in config["iceServers"] if s.get("username") == "acme")
    assert static_turn["credential"] == CREDENTIAL


@pytest.mark.django_db
def test_masked_in_the_api_the_admin_the_console_and_the_audit_trail(
    account, stored, admin_user, admin_client, support, support_client
):
    api = APIClient()
    api.force_authenticate(support)
    body = api.get(f"/api/v1/accounts/{account.slug}/call-settings/").content.decode()
    admin_page = support_client.get(reverse("admin:accounts_account_change", args=[account.pk])).content.decode()
    settings_page = support_client.get(
        reverse("admin:settings_profiles_accountcallsettings_change", args=[stored.pk])
    ).content.decode()
    audit_page = support_client.get(reverse("admin:settings_profiles_settingschange_changelist")).content.decode()
    console_page = admin_client.get(reverse("console:call_settings")).content.decode()
    audit_values = " ".join(SettingsChange.objects.values_list("old_value", "new_value").first() or ())

    for shown in (body, admin_page, settings_page, audit_page, console_page, audit_values):
        assert CREDENTIAL not in shown and SECRET not in shown
    assert json.loads(body)["ice_servers"][1]["credential"] == MASK
    assert MASK in settings_page and MASK in console_page and MASK in audit_values


@pytest.mark.django_db
def test_the_data_migration_encrypts_credentials_stored_in_clear(account):
    """
    GIVEN a row written before encryption (credentials in clear in the JSON)
    WHEN the data migration runs
    THEN the column holds ciphertext and the model still reads the credential
    """
    import importlib

    from django.apps import apps

    migration = importlib.import_module("settings_profiles.migrations.0003_encrypt_ice_server_credentials")
    AccountCallSettings.objects.filter(account=account).update(ice_servers=Value(SERVERS, output_field=JSONField()))
    assert CREDENTIAL in raw_columns(account)[0]

    migration.encrypt_existing(apps, None)

    assert CREDENTIAL not in raw_columns(account)[0]
    assert AccountCallSettings.objects.get(account=account).ice_servers == SERVERS


@pytest.mark.django_db
def test_a_key_rotation_keeps_the_secrets_and_reencrypt_finishes_it(account, support, settings):
    """
    GIVEN secrets written under the old SECRET_KEY
    WHEN the key changes with the old one in SECRET_KEY_FALLBACKS, and `reencrypt_secrets` runs
    THEN calls keep the credentials throughout, and afterwards the old key is no longer needed
    """
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = OLD_KEY, []
    call_settings_update(
        call_settings=AccountCallSettings.objects.get(account=account),
        data={
            "ice_servers": SERVERS,
            "turn_rest_urls": ["turn:rest.acme.example:3478"],
            "turn_rest_shared_secret": SECRET,
        },
        changed_by=support,
        source=SettingsChange.Source.COMMAND,
    )
    written_under_old = raw_columns(account)

    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = NEW_KEY, [OLD_KEY]
    row = AccountCallSettings.objects.get(account=account)
    assert (row.ice_servers, row.turn_rest_shared_secret) == (SERVERS, SECRET)

    call_command("reencrypt_secrets", stdout=io.StringIO())

    assert raw_columns(account) != written_under_old
    settings.SECRET_KEY_FALLBACKS = []
    row = AccountCallSettings.objects.get(account=account)
    assert (row.ice_servers, row.turn_rest_shared_secret) == (SERVERS, SECRET)
    assert (
        SettingsChange.objects.filter(source=SettingsChange.Source.COMMAND).count() == 3
    )  # no audit for re-encrypting


@pytest.mark.django_db
def test_reencrypt_without_the_old_key_refuses_and_changes_nothing(account, stored, settings):
    before = raw_columns(account)
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = NEW_KEY, []

    with pytest.raises(CommandError, match="No key decrypts the secrets of acme"):
        call_command("reencrypt_secrets", stdout=io.StringIO())

    assert raw_columns(account) == before
