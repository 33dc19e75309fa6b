"""Validation of the advanced call settings and the audit trail of their changes."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from settings_profiles.models import AccountCallSettings, SettingsChange
from settings_profiles.secrecy import MASK
from settings_profiles.services import call_settings_update
from settings_profiles.texts import TEXT_KEYS, text_errors

BAD_VALUES = [
    # (field, value, words the message must contain)
    ("sdk_style", {"accept_button_background": "green"}, "not a colour"),
    ("sdk_style", {"accept_button_background": "#12345"}, "not a colour"),
    ("sdk_style", {"invitation_border_radius": 99}, "from 0 to 32"),
    ("sdk_style", {"button_shadow": "#000000"}, "unknown style property"),
    ("ice_servers", [{"urls": "http://stun.example.com"}], "scheme must be"),
    ("ice_servers", [{"urls": "stun://stun.example.com:3478"}], "without //"),
    ("ice_servers", [{"urls": "turn:turn.example.com:99999", "username": "u", "credential": "p"}], "port"),
    (
        "ice_servers",
        [{"urls": "turn:turn.example.com:3478?transport=sctp", "username": "u", "credential": "p"}],
        "transport=udp",
    ),
    ("ice_servers", [{"urls": "turn:turn.example.com:3478"}], "need a username"),
    ("ice_servers", [{"urls": "stun:bad_host!:3478"}], "not a valid host"),
    ("ice_servers", [{"urls": "stun:stun.example.com", "secret": "x"}], "unknown field"),
    ("ice_servers", "stun:stun.example.com", "must be a list"),
    ("turn_rest_urls", ["stun:stun.example.com:3478"], "only apply to turn"),
    ("texts", {"invitation_tittle": "Hi"}, "unknown text key"),
    ("texts", {"system_call_completed": "Ended after {duraton}"}, "{duraton}"),
    ("texts", {"system_call_completed": "Ended after {duration!r}"}, "not allowed"),
    ("texts", {"system_call_completed": "Ended after {duration"}, "broken placeholder"),
    ("texts", {"invitation_accept": "A" * 41}, "at most 40 characters"),
    ("texts", {"invitation_body_video": "<b>Hello</b>"}, "HTML"),
    ("texts", {"invitation_body_video": "Hello &amp; welcome"}, "HTML"),
    ("texts", {"invitation_accept": "   "}, "blank"),
    ("texts_by_locale", {"xx": {"invitation_accept": "Ok"}}, "unknown locale"),
    ("texts_by_locale", {"de": {"invitation_accept": "<i>Ja</i>"}}, "HTML"),
    ("analytics_config", {"measurement_id": "nope"}, "not a valid value"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "words"), BAD_VALUES, ids=[f"{f}-{i}" for i, (f, _, _) in enumerate(BAD_VALUES)]
)
def test_bad_values_are_refused_naming_the_field(account, support, field, value, words):
    call_settings = AccountCallSettings.objects.get(account=account)
    data = {field: value}
    if field == "analytics_config":
        data["analytics_tracker"] = "google_analytics"
    before = AccountCallSettings.objects.filter(pk=call_settings.pk).values().get()

    with pytest.raises(ValidationError) as excinfo:
        call_settings_update(call_settings=call_settings, data=data, changed_by=support, source="api")

    messages = excinfo.value.message_dict
    assert field in messages, messages
    assert any(words in m for m in messages[field]), messages[field]
    assert AccountCallSettings.objects.filter(pk=call_settings.pk).values().get() == before
    assert not SettingsChange.objects.exists()


@pytest.mark.django_db
def test_force_relay_needs_a_turn_server(account, support, settings):
    settings.ICE_SERVERS, settings.TURN_REST_URLS, settings.TURN_REST_SECRET = [], [], ""
    call_settings = AccountCallSettings.objects.get(account=account)
    with pytest.raises(ValidationError) as excinfo:
        call_settings_update(call_settings=call_settings, data={"force_relay": True}, changed_by=support, source="api")
    assert "force_relay" in excinfo.value.message_dict

    call_settings.refresh_from_db()
    call_settings_update(
        call_settings=call_settings,
        data={
            "force_relay": True,
            "turn_rest_urls": ["turn:127.0.0.1:3478?transport=udp"],
            "turn_rest_shared_secret": "s3cret-value",
        },
        changed_by=support,
        source="api",
    )
    call_settings.refresh_from_db()
    assert call_settings.force_relay is True


@pytest.mark.django_db
def test_turn_rest_urls_need_a_secret(account, support):
    call_settings = AccountCallSettings.objects.get(account=account)
    with pytest.raises(ValidationError) as excinfo:
        call_settings_update(
            call_settings=call_settings,
            data={"turn_rest_urls": ["turn:turn.example.com:3478"]},
            changed_by=support,
            source="api",
        )
    assert "turn_rest_shared_secret" in excinfo.value.message_dict


@pytest.mark.django_db
def test_good_values_are_accepted(account, support):
    call_settings = AccountCallSettings.objects.get(account=account)
    call_settings_update(
        call_settings=call_settings,
        data={
            "ice_servers": [
                {"urls": ["stun:stun.example.com:3478", "stun:[2001:db8::1]:3478"]},
                {"urls": "turns:turn.example.com:5349?transport=tcp", "username": "u", "credential": "p"},
            ],
            "texts": {"system_call_completed": "Call over ({duration}). Thanks from {agent_name}!"},
            "texts_by_locale": {"de": {"invitation_accept": "Los geht's"}},
            "sdk_style": {"accept_button_background": "#0A0", "invitation_border_radius": 0},
            "analytics_tracker": "tealium",
            "analytics_config": {"account": "acme", "profile": "main", "environment": "prod"},
        },
        changed_by=support,
        source="api",
    )
    call_settings.refresh_from_db()
    assert call_settings.resolved_texts()["system_call_completed"].startswith("Call over")
    assert call_settings.resolved_texts("de")["invitation_accept"] == "Los geht's"
    # German defaults fill what the account did not customise.
    assert call_settings.resolved_texts("de")["invitation_reject"] == "Ablehnen"
    assert call_settings.resolved_style()["accept_button_background"] == "#0A0"
    assert call_settings.resolved_style()["reject_button_background"] == "#DC2626"


def test_every_builtin_text_passes_its_own_validation():
    for key, spec in TEXT_KEYS.items():
        for locale, text in spec.defaults.items():
            assert text_errors(key, text) == [], (key, locale)
        assert set(spec.defaults) == {"en", "de", "fr", "es"}, key


@pytest.mark.django_db
def test_each_change_writes_an_audit_row_with_secrets_masked(account, support):
    call_settings = AccountCallSettings.objects.get(account=account)
    changes = call_settings_update(
        call_settings=call_settings,
        data={
            "video_enabled": False,
            "turn_rest_urls": ["turn:turn.example.com:3478"],
            "turn_rest_shared_secret": "very-secret-value",
            "ice_servers": [{"urls": "turn:t.example.com:3478", "username": "u", "credential": "static-password"}],
        },
        changed_by=support,
        source="api",
    )
    rows = {row.field: row for row in SettingsChange.objects.filter(account=account)}
    assert set(rows) == {"video_enabled", "turn_rest_urls", "turn_rest_shared_secret", "ice_servers"}
    assert len(changes) == 4
    assert (rows["video_enabled"].old_value, rows["video_enabled"].new_value) == ("True", "False")
    assert rows["turn_rest_shared_secret"].old_value == ""
    assert rows["turn_rest_shared_secret"].new_value == MASK
    assert all(r.changed_by == support and r.source == "api" for r in rows.values())
    dump = "".join(f"{r.old_value}{r.new_value}" for r in SettingsChange.objects.all())
    assert "very-secret-value" not in dump and "static-password" not in dump

    # Saving the same values again writes nothing.
    call_settings.refresh_from_db()
    assert (
        call_settings_update(
            call_settings=call_settings, data={"video_enabled": False}, changed_by=support, source="api"
        )
        == []
    )
    assert SettingsChange.objects.count() == 4


@pytest.mark.django_db
def test_unknown_setting_is_refused(account, support):
    call_settings = AccountCallSettings.objects.get(account=account)
    with pytest.raises(ValidationError) as excinfo:
        call_settings_update(call_settings=call_settings, data={"warp_drive": True}, changed_by=support, source="api")
    assert "warp_drive" in excinfo.value.message_dict


def test_turn_rest_secret_is_encrypted_at_rest_and_survives_a_key_rotation(account, settings):
    from django.db import connection

    from settings_profiles.secrecy import PREFIX

    call_settings = AccountCallSettings.objects.get(account=account)
    call_settings.turn_rest_urls = ["turn:turn.example.com:3478?transport=udp"]
    call_settings.turn_rest_shared_secret = "very-secret-shared-value"
    call_settings.save()

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT turn_rest_shared_secret FROM settings_profiles_accountcallsettings WHERE id = %s",
            [call_settings.pk],
        )
        [stored] = cursor.fetchone()
    assert stored.startswith(PREFIX) and "very-secret" not in stored
    assert AccountCallSettings.objects.get(pk=call_settings.pk).turn_rest_shared_secret == "very-secret-shared-value"

    # SECRET_KEY rotated with the old key kept as a fallback: still readable.
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-brand-new-secret-key-" + "x" * 40
    assert AccountCallSettings.objects.get(pk=call_settings.pk).turn_rest_shared_secret == "very-secret-shared-value"

    # Rotated without the old key: logged, and the secret reads as unset (never a wrong one), so
    # pages and calls keep working without TURN REST until support enters it again.
    settings.SECRET_KEY_FALLBACKS = []
    assert AccountCallSettings.objects.get(pk=call_settings.pk).turn_rest_shared_secret == ""


def test_a_secret_stored_in_plain_text_before_encryption_still_reads(account):
    from django.db import connection

    call_settings = AccountCallSettings.objects.get(account=account)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE settings_profiles_accountcallsettings SET turn_rest_shared_secret = %s WHERE id = %s",
            ["legacy-plain", call_settings.pk],
        )
    assert AccountCallSettings.objects.get(pk=call_settings.pk).turn_rest_shared_secret == "legacy-plain"
