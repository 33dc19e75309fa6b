"""Calls that explain themselves, in real Chromium: the consumer's live quality indicator during a
video call relayed by a real coturn (the account's own words), then the console's call detail for
that very call: the verdict the server stored when it ended, the path (relay over UDP, both sides'
candidate types) and the quality chart drawn as inline SVG.

Screenshots: screenshots/diagnosis-indicator-{desktop,phone}.png, diagnosis-call-detail-{desktop,phone}.png.
"""

from __future__ import annotations

import time

import pytest

from calls.models import Call
from reporting.models import CallDiagnosis
from settings_profiles.models import AccountCallSettings
from tests.e2e.conftest import _coturn
from tests.e2e.test_engagement_window import (  # noqa: F401 - fixtures
    PHONE,
    _assign_and_invite,
    call_state,
    connected,
    consumer,
    conversation_of,
    demo_account,
    open_contexts,
    open_window,
    start_agent_peer,
)
from tests.factories import PASSWORD, AdminFactory, UserFactory

pytestmark = pytest.mark.e2e

QUALITY_TEXTS = {
    "call_quality_good": "Crystal clear",
    "call_quality_fair": "A little shaky",
    "call_quality_poor": "Your line is struggling",
}


def _relay_through(account, turn) -> None:
    call_settings = AccountCallSettings.objects.get(account=account)
    call_settings.force_relay = True
    call_settings.turn_rest_urls = [turn.url]
    call_settings.turn_rest_shared_secret = turn.secret
    call_settings.turn_rest_ttl_s = 600
    call_settings.texts = QUALITY_TEXTS
    call_settings.full_clean()
    call_settings.save()


def shown(window) -> tuple[str, str]:
    """The indicator's level and words, read at once (a new sample may change them in between)."""
    level, text = window.hook(
        "(() => { const q = document.getElementById('engage-call-quality');"
        " return [q.dataset.level, q.querySelector('.call-quality-text').textContent]; })()"
    )
    return level, text


def _diagnosis(call_id: int) -> CallDiagnosis | None:
    return CallDiagnosis.objects.filter(call_id=call_id).first()


@pytest.fixture(scope="module")
def coturn_here(tmp_path_factory, artifacts_dir_package):
    """A coturn of this module's own, relaying on ports no other test's coturn uses (a relay port
    taken by a parallel run fails the allocation, and ICE then never starts)."""
    yield from _coturn(tmp_path_factory, artifacts_dir_package, "coturn-diagnosis", ports=(56000, 56999))


def test_the_consumer_sees_the_quality_and_the_console_explains_the_call(
    consumer,  # noqa: F811 - fixtures of test_engagement_window, imported above
    asgi_server,
    demo_account,  # noqa: F811
    open_contexts,  # noqa: F811
    coturn_here,
):
    """
    GIVEN an account that relays every call through its coturn and has its own quality words
    WHEN the consumer accepts a video call in the messaging window and talks for a while
    THEN the call stage shows the live quality indicator in the account's words (desktop and phone);
         after the consumer hangs up, the admin's call detail shows the stored verdict in words, the
         path "relayed ... over UDP" with relay candidates on both sides, who ended it, and an inline
         SVG chart with both sides' lines, without any chart script
    """
    _relay_through(demo_account, coturn_here)
    agent = UserFactory(account=demo_account, name="Alex Agent")
    AdminFactory(account=demo_account, email="admin@demo.example", name="Nora Admin")
    peer = start_agent_peer(open_contexts, agent)
    window = open_window(consumer, "/engage/demo/")
    conversation = conversation_of(asgi_server, demo_account)
    call_id = asgi_server.run(_assign_and_invite, agent=agent, conversation_id=conversation.pk, media="video")
    window.locator("#engage-accept").click()
    connected(asgi_server, call_id, window, peer)
    window.locator("#engage-call[data-state='active']").wait_for()

    indicator = window.locator("#engage-call-quality")
    # From the consumer's first sample, 5 s after its own ICE connected (slower on a loaded machine).
    indicator.wait_for(state="visible", timeout=45_000)
    level, text = shown(window)
    assert level in ("good", "fair", "poor") and text == QUALITY_TEXTS[f"call_quality_{level}"]
    window.frame.wait_for_function(
        "() => { const v = document.getElementById('engage-remote-video'); return v.srcObject && v.videoWidth > 0; }"
    )
    time.sleep(11)  # two more samples a side: the worse of the last two is what shows
    level, text = shown(window)
    assert text == QUALITY_TEXTS[f"call_quality_{level}"]
    consumer.screenshot("diagnosis-indicator-desktop")
    consumer.page.set_viewport_size(PHONE)
    time.sleep(0.5)
    consumer.screenshot("diagnosis-indicator-phone")

    window.locator("#engage-end").click()
    ended = call_state(asgi_server, call_id, "completed")
    assert ended.end_reason == "consumer_hangup"
    stored = asgi_server.run(_diagnosis, call_id=call_id)
    assert stored is not None, "the end of the call stored no diagnosis"
    assert (stored.path, stored.relay_protocol, stored.ended_by) == ("relay", "udp", "consumer")
    consumer.assert_no_console_errors("call with the quality indicator")

    admin = open_contexts()
    admin.login("admin@demo.example", PASSWORD)
    admin.open(f"/console/reports/calls/{call_id}/")
    page = admin.page
    card = page.locator(".diagnosis-card")
    assert card.get_attribute("data-verdict") == stored.verdict
    assert page.inner_text(".diagnosis-summary") == stored.summary[0].upper() + stored.summary[1:]
    assert page.inner_text(".diagnosis-path").startswith("Relayed:") and "over UDP" in page.inner_text(
        ".diagnosis-path"
    )
    for side in ("agent", "consumer"):
        assert page.inner_text(f".diagnosis-pair[data-side={side}]").startswith("relay → relay"), side
    assert page.inner_text(".diagnosis-ended").startswith("The consumer hung up after 0:")
    samples = Call.objects.get(pk=call_id).events.filter(kind="stats")
    assert samples.filter(actor="agent").count() >= 2 and samples.filter(actor="consumer").count() >= 2
    for side in ("agent", "consumer"):
        assert page.locator(f"#quality-chart polyline.qc-{side}").count() >= 3, side  # rtt, loss, bitrate (+ fps)
    box = page.locator("#quality-chart").bounding_box()
    assert box and box["width"] > 600 and box["height"] > 250
    assert page.evaluate("() => typeof window.Chart") == "undefined"
    admin.assert_no_console_errors("call detail")
    admin.screenshot("diagnosis-call-detail-desktop")
    page.set_viewport_size(PHONE)
    admin.screenshot("diagnosis-call-detail-phone")
    # On a phone the chart keeps a readable size and scrolls sideways inside its card, not the page.
    assert page.locator(".quality-chart").bounding_box()["width"] <= PHONE["width"]
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
