"""A refusal and a withheld permission in the account's words (issue 14 item 4, second round): the
`error` frame names its code and, where one code covers different cases, its `detail`; `hello` and
`settings` name why a permission is withheld by `permission_reason_codes`. Every one of them has an
account text in each locale, and a German account's agent reads German for them. The English
`message`/`permission_reasons` stay in the frames for developers (added fields, nothing renamed)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async

from settings_profiles.models import AccountCallSettings
from settings_profiles.texts import LOCALES, TEXT_KEYS
from settings_profiles.texts_refusals import REFUSAL_TEXTS

from .factories import ProfileFactory
from .test_calls_protocol import start_conversation
from .ws import agent_socket, consumer_socket

ROOT = Path(__file__).resolve().parent.parent
_STRING = r"f?\"(?:[^\"\\]|\\.)*\""


def _sources(folder: str) -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in (ROOT / folder).rglob("*.py"))


def test_every_detail_the_server_sends_has_a_text_in_every_locale():
    source = _sources("calls")
    details = set(re.findall(rf"CallError\(\s*\"\w+\",\s*{_STRING},\s*\"(\w+)\"", source, flags=re.S))
    assert {"call_live", "not_permitted", "already_in_call", "assigned_elsewhere"} <= details  # the scan sees them
    for detail in details:
        assert set(TEXT_KEYS[f"agent_error_detail_{detail}"].defaults) == set(LOCALES), detail


def test_every_error_code_the_server_sends_has_an_explanation_in_every_locale():
    source = _sources("calls")
    codes = set(re.findall(r"(?:CallError|send_error|refusal)\(\s*\"(\w+)\"", source))
    codes |= set(re.findall(r"\"code\": \"(\w+)\"", source))
    assert {"forbidden", "invalid_state", "rate_limited", "unavailable", "expired"} <= codes
    codes -= {"unknown_type"}  # the workspace reads it as bad_request (format.js errorText)
    missing = sorted(code for code in codes if f"agent_error_text_{code}" not in TEXT_KEYS)
    assert missing == []


def test_every_withheld_permission_has_a_reason_code_with_a_text():
    source = (ROOT / "settings_profiles" / "services.py").read_text(encoding="utf-8")
    refusals = re.findall(r"Decision\(False,\s*([^\n]*)\)", source)
    assert len(refusals) >= 5
    for arguments in refusals:
        code = re.search(r",\s*\"(\w+)\"$", arguments)
        assert code, f"Decision without a reason code: {arguments}"
        assert set(TEXT_KEYS[f"agent_permission_{code.group(1)}"].defaults) == set(LOCALES)


def test_no_new_text_is_english_only():
    """Each locale has its own words (an English default copied into de/fr/es is not a translation)."""
    for key in REFUSAL_TEXTS:
        defaults = TEXT_KEYS[key].defaults
        assert len({defaults[locale] for locale in LOCALES}) == len(LOCALES), key


def _german(account_id: int) -> None:
    AccountCallSettings.objects.filter(account_id=account_id).update(locale="de")


def _voice_only(agent) -> None:
    agent.profiles.set([ProfileFactory(account=agent.account, can_voice=True, can_video=False)])


@pytest.mark.django_db(transaction=True)
async def test_a_german_agent_reads_german_reasons_and_refusals(agent):
    """
    GIVEN a German account whose agent's only profile grants voice calls but not video
    WHEN the workspace connects, invites to a video call, then transfers during a voice call
    THEN hello names the reason by code, and the refusals by code and detail, each with German words
         among hello's texts; the English explanations stay in the frames for developers
    """
    await sync_to_async(_german)(agent.account_id)
    await sync_to_async(_voice_only)(agent)
    agent_ws, hello = await agent_socket(agent)
    texts = hello["texts"]
    assert hello["permission_reason_codes"] == {"video": "no_profile"}
    assert "Initiate live video conversation" in hello["permission_reasons"]["video"]  # for developers, still there
    assert texts["agent_permission_no_profile"].startswith("keines Ihrer Profile erlaubt sie")
    assert texts["agent_video_off"].startswith("Videoanrufe stehen Ihnen nicht zur Verfügung")
    created = await sync_to_async(start_conversation)(agent.account.slug)
    await agent_ws.until("conversation")
    consumer_ws, _ = await consumer_socket(created["consumer_token"])
    conversation_id = created["id"]

    refused = await agent_ws.request({"type": "call.invite", "conversation_id": conversation_id, "media": "video"})
    assert (refused["code"], refused["detail"]) == ("forbidden", "not_permitted")
    assert "Initiate live video conversation" in refused["message"]
    assert texts["agent_error_forbidden"] == "Nicht erlaubt"
    assert texts["agent_error_detail_not_permitted"].startswith("Keines Ihrer Profile erlaubt das.")

    invited = await agent_ws.request({"type": "call.invite", "conversation_id": conversation_id, "media": "voice"})
    assert invited["type"] == "ok"
    refused = await agent_ws.request({"type": "conversation.transfer", "conversation_id": conversation_id})
    assert (refused["code"], refused["detail"]) == ("invalid_state", "call_live")
    assert texts["agent_error_detail_call_live"] == "Beenden Sie den Anruf, bevor Sie die Unterhaltung weitergeben."
    # A refusal without a distinct case has no detail: the code's own explanation is read.
    refused = await agent_ws.request({"type": "call.invite", "conversation_id": 999999, "media": "voice"})
    assert refused["code"] == "not_found" and "detail" not in refused
    assert texts["agent_error_text_not_found"].startswith("Das gibt es nicht mehr.")
    for socket in (agent_ws, consumer_ws):
        await socket.close()
