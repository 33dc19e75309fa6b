"""The agent workspace speaks the account's texts (issue 14, item 4): the call panel's labels, status
lines and the ended card's reasons come from settings_profiles/texts.py in the account's locale, with
the account's own overrides, in real Chromium against the ASGI server.
"""

from __future__ import annotations

import pytest

from accounts.models import Account, User
from calls.models import Conversation
from settings_profiles.models import AccountCallSettings
from tests.e2e.test_workspace_page import CALL_TIMEOUT_MS, Consumer, open_workspace, row
from tests.factories import AccountFactory, ProfileFactory, UserFactory

pytestmark = pytest.mark.e2e

GERMAN_MUTE = "Mikro stumm schalten"
GERMAN_CONSUMER_HUNG_UP = "die Kundschaft hat das Gespräch beendet"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def account(transactional_db) -> Account:
    return AccountFactory(slug="marke", name="Marke GmbH")


@pytest.fixture
def agent(account) -> User:
    return UserFactory(account=account, name="Alex Agent")


def _german(account_id: int) -> None:
    call_settings = AccountCallSettings.objects.get(account_id=account_id)
    call_settings.locale = "de"
    call_settings.texts = {"call_mute": GERMAN_MUTE, "agent_reason_consumer_hangup": GERMAN_CONSUMER_HUNG_UP}
    call_settings.full_clean()
    call_settings.save()


def test_a_german_account_custom_in_call_label_and_end_reason_show_in_the_workspace(tabs, asgi_server, account, agent):
    """
    GIVEN a German account with its own mute label and its own words for "the consumer hung up"
    WHEN its agent calls a consumer, the call connects and the consumer hangs up
    THEN the workspace's call panel reads German (title, status, the custom mute label, the camera
         button's German default) and the ended card says the call ended with the custom reason
    """
    asgi_server.run(_german, account_id=account.pk)
    agent_tab, consumer_tab = tabs(), tabs()
    open_workspace(agent_tab, agent)
    consumer = Consumer.start(consumer_tab, account, "Dana Schmidt")
    page = agent_tab.page
    row(agent_tab, consumer.conversation_id).locator(".ws-conv-item").click()
    assert page.locator("#ws-call-video").inner_text() == "Videoanruf"
    page.locator("#ws-call-video").click()
    page.locator("#ws-ringing-title").filter(has_text="warten auf den Kunden").wait_for()
    assert page.locator("#ws-call-status").inner_text() == "Dana Schmidt wird angerufen…"
    agent_tab.screenshot("workspace-de-ringing")
    consumer.accept(consumer.ringing_call_id())

    page.wait_for_selector("#ws-call[data-call-state='active']", timeout=CALL_TIMEOUT_MS)
    assert page.locator("#ws-call-title").inner_text() == "Videoanruf mit Dana Schmidt"
    page.locator("#ws-call-status").filter(has_text="Verbunden").wait_for()
    assert page.locator("#ws-mute .ws-ctl-label").inner_text() == GERMAN_MUTE
    assert page.locator("#ws-camera .ws-ctl-label").inner_text() == "Kamera aus"
    assert page.locator("#ws-hangup .ws-ctl-label").inner_text() == "Auflegen"
    agent_tab.screenshot("workspace-de-in-call")
    page.set_viewport_size(PHONE)
    agent_tab.screenshot("workspace-de-in-call-phone")
    page.set_viewport_size({"width": 1440, "height": 900})

    consumer.web.page.evaluate("() => window.__consumer.session.hangup()")
    title = page.locator("#ws-ended-title")
    title.filter(has_text="Anruf beendet").wait_for()
    detail = page.locator("#ws-ended-detail").inner_text()
    assert detail.startswith("Videoanruf, 0:"), detail
    assert detail.endswith("Die Kundschaft hat das Gespräch beendet."), detail
    assert page.locator("#ws-ended-dismiss").inner_text() == "Schließen"
    agent_tab.screenshot("workspace-de-ended-custom-reason")
    page.set_viewport_size(PHONE)
    agent_tab.screenshot("workspace-de-ended-custom-reason-phone")
    agent_tab.assert_no_console_errors("German workspace")


# One customised text per group issue 14 item 4 moved into the account's texts.
OWN_WORDS = {
    "agent_said_muted": "Ihr Mikro ist jetzt aus (Marke).",  # a screen-reader announcement
    "call_share_screen": "Bildschirm zeigen",  # the share controls
    "agent_invite_tooltip": "{consumer_name} per {media} anrufen",  # a call button's tooltip
    "invitation_devices_note_video": "Gleich fragt Ihr Browser nach Kamera und Mikro (Marke).",  # the window's note
    "call_label_controls": "Bedienung",  # the window's call stage label
}


def _german_with_own_words(account_id: int) -> None:
    call_settings = AccountCallSettings.objects.get(account_id=account_id)
    call_settings.locale = "de"
    call_settings.texts = OWN_WORDS
    call_settings.full_clean()
    call_settings.save()


def _conversation_of(account_id: int) -> Conversation | None:
    return Conversation.objects.filter(account_id=account_id).order_by("-id").first()


def test_a_german_account_s_own_words_reach_announcements_tooltips_share_and_the_window(
    tabs, asgi_server, account, agent
):
    """
    GIVEN a German account with its own words for an announcement, the share button, the call button's
          tooltip, the invitation's device note and the call stage's label
    WHEN a visitor writes from the real messaging window and the agent calls them from the workspace
    THEN the tooltip, the invitation's note, the share button and the announcement after muting read the
         account's words, the rest (the visitor's name, the window's badges and labels) its German defaults
    """
    asgi_server.run(_german_with_own_words, account_id=account.pk)
    agent_tab, consumer_tab = tabs(), tabs()
    open_workspace(agent_tab, agent)
    page = agent_tab.page
    consumer_tab.open(f"/engage/window/?account={account.slug}&locale=de")
    window = consumer_tab.page
    window.locator("#engage-root[data-state='ready']").wait_for()
    assert window.locator("#engage-call .call-controls").get_attribute("aria-label") == "Bedienung"
    window.locator("#engage-input").fill("Mein Modem blinkt rot.")
    window.locator("#engage-send").click()
    window.locator(".msg-consumer .msg-text").filter(has_text="Mein Modem blinkt rot.").wait_for()
    conversation = asgi_server.run(_conversation_of, account_id=account.pk)
    name = conversation.consumer_name or f"Besucher {conversation.pk}"

    row(agent_tab, conversation.pk).locator(".ws-conv-item").click()
    video = page.locator("#ws-call-video")
    video.wait_for()
    assert video.get_attribute("title") == f"{name} per Videoanruf anrufen"
    video.click()
    note = window.locator("#engage-invitation-note")
    note.filter(has_text=OWN_WORDS["invitation_devices_note_video"]).wait_for()
    assert window.locator("#engage-accept-audio").inner_text().strip() == "Nur Audio"
    window.locator("#engage-accept").click()

    page.wait_for_selector("#ws-call[data-call-state='active']", timeout=CALL_TIMEOUT_MS)
    assert page.locator("#ws-call-title").inner_text() == f"Videoanruf mit {name}"
    share = page.locator("#ws-share")
    share.wait_for()
    assert share.locator(".ws-ctl-label").inner_text() == "Bildschirm zeigen"
    assert page.locator("#ws-ask-share .ws-ctl-label").inner_text() == "Bildschirm anfragen"
    assert page.locator("#ws-remote-video").get_attribute("aria-label") == "Video des Kunden"
    page.locator("#ws-mute").click()
    page.locator("#ws-announcer").filter(has_text=OWN_WORDS["agent_said_muted"]).wait_for(state="attached")
    window.locator("#engage-remote-muted").filter(has_text="Stumm").wait_for(state="visible")
    page.locator("#ws-call-status").filter(has_text="Verbunden").wait_for()
    agent_tab.screenshot("workspace-de-own-words-in-call")
    consumer_tab.screenshot("window-de-own-words-in-call")

    page.locator("#ws-hangup").click()
    page.locator("#ws-ended-title").filter(has_text="Anruf beendet").wait_for()
    agent_tab.assert_no_console_errors("German workspace, own words")
    consumer_tab.assert_no_console_errors("German window, own words")


def _german_voice_only(account_id: int, agent_id: int) -> None:
    AccountCallSettings.objects.filter(account_id=account_id).update(locale="de")
    agent = User.objects.get(pk=agent_id)
    agent.profiles.set([ProfileFactory(account=agent.account, can_voice=True, can_video=False)])


def test_a_german_agent_reads_why_video_is_off_and_a_refusal_in_german(tabs, asgi_server, account, agent):
    """
    GIVEN a German account whose agent's profile grants voice calls but not video
    WHEN the agent opens a conversation, calls by voice, opens the transfer and close dialogs, and the
         server refuses a transfer during the call
    THEN the video button's note and the "Your calls" card say why in German, both dialogs' call
         sentences are German, and the refusal's notice reads the account's German title and explanation,
         not the server's English message
    """
    asgi_server.run(_german_voice_only, account_id=account.pk, agent_id=agent.pk)
    agent_tab, consumer_tab = tabs(), tabs()
    open_workspace(agent_tab, agent)
    consumer = Consumer.start(consumer_tab, account, "Dana Schmidt")
    page = agent_tab.page
    row(agent_tab, consumer.conversation_id).locator(".ws-conv-item").click()
    why = "keines Ihrer Profile erlaubt sie; fragen Sie eine Admin-Person Ihres Kontos"
    off = page.locator("#ws-video-off")
    off.wait_for()
    assert off.locator("[data-reason]").inner_text() == f"Videoanrufe stehen Ihnen nicht zur Verfügung: {why}."
    assert page.locator("#ws-perm-video .ws-check-text").inner_text() == f"Nicht erlaubt: {why}."

    page.locator("#ws-call-voice").click()
    page.locator("#ws-ringing-title").wait_for()
    page.locator("#ws-transfer").click()
    blocked = page.locator("#ws-transfer-blocked")
    blocked.wait_for()
    assert blocked.inner_text() == "Beenden Sie den Anruf, bevor Sie die Unterhaltung weitergeben."
    page.keyboard.press("Escape")
    page.locator("#ws-close").click()
    assert page.locator("#ws-close-text").inner_text() == (
        "Der laufende Anruf mit Dana Schmidt endet, und Dana Schmidt kann in dieser Unterhaltung nicht mehr schreiben."
    )
    page.keyboard.press("Escape")

    # The server refuses a transfer during the call (a frame without id: its error comes as an event).
    page.evaluate(
        "(id) => window.__workspace.socket.send({type: 'conversation.transfer', conversation_id: id})",
        consumer.conversation_id,
    )
    toast = page.locator(".ws-toast-error").last
    toast.wait_for()
    assert toast.locator(".ws-toast-title").inner_text() == "Gerade nicht möglich"
    assert (
        toast.locator(".ws-toast-text").inner_text() == "Beenden Sie den Anruf, bevor Sie die Unterhaltung weitergeben."
    )
    assert "End the call" not in page.locator("#ws-toasts").inner_text()
    agent_tab.screenshot("workspace-de-refusal-and-reason")
    agent_tab.assert_no_console_errors("German refusal")
