"""The supported browsers' floors: stored with their date, shown to support, raised with a command,
read by the client check, and the console warns when they are older than three months."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from calls.browsers import check_client
from settings_profiles.browsers import browser_floors
from settings_profiles.models import BrowserFloor

pytestmark = pytest.mark.django_db

CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{}.0.0.0 Safari/537.36"


def _chrome(version: int):
    return check_client(user_agent=CHROME.format(version), webrtc=True, camera=True, microphone=True, media="video")


def _run(*args: str) -> str:
    out = StringIO()
    call_command("browser_floors", *args, stdout=out)
    return out.getvalue()


def test_raising_a_floor_stores_every_floor_with_its_date_and_the_check_follows(settings):
    settings.SUPPORTED_BROWSERS = {"Chrome": 155, "Firefox": 157}
    settings.SUPPORTED_BROWSERS_AS_OF = "2026-11-15"
    assert "built-in defaults" in _run()
    assert _chrome(155).ok

    out = _run("--set", "Chrome=157", "--by", "Sam Support")

    rows = {r.family: (r.min_version, r.set_on.isoformat(), r.set_by) for r in BrowserFloor.objects.all()}
    today = timezone.localdate().isoformat()
    assert rows == {"Chrome": (157, today, "Sam Support"), "Firefox": (157, "2026-11-15", "")}
    assert "Chrome" in out and ">= 157" in out and "stored" in out
    assert (_chrome(156).ok, _chrome(156).reason) == (False, "unsupported_browser")
    assert _chrome(157).ok
    assert browser_floors().set_on.isoformat() == "2026-11-15"  # the oldest floor dates the list


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--set", "Chrome=150"], "lower than the current floor"),
        (["--set", "Netscape=9"], "not a supported browser family"),
        (["--set", "Chrome=latest"], "expected FAMILY=VERSION"),
        (["--set", "Chrome=160", "Firefox=1"], "lower than the current floor"),
    ],
)
def test_bad_floors_are_refused_and_nothing_changes(settings, args, words):
    settings.SUPPORTED_BROWSERS = {"Chrome": 155, "Firefox": 157}
    with pytest.raises(CommandError, match=words):
        _run(*args)
    assert not BrowserFloor.objects.exists()


def test_support_sees_the_floors_with_their_dates_read_only(support_client):
    BrowserFloor.objects.create(family="Chrome", min_version=157, set_by="Sam Support")
    page = support_client.get(reverse("admin:settings_profiles_browserfloor_changelist")).content.decode()
    assert "Chrome" in page and "157" in page and "Sam Support" in page
    assert support_client.get(reverse("admin:settings_profiles_browserfloor_add")).status_code == 403


def test_console_warns_when_the_floors_are_older_than_three_months(admin_client, settings):
    settings.SUPPORTED_BROWSERS_AS_OF = (timezone.localdate() - timedelta(days=120)).isoformat()
    page = admin_client.get(reverse("console:overview")).content.decode()
    assert 'id="browsers-stale"' in page and "out of date" in page
    BrowserFloor.objects.create(family="Chrome", min_version=157)  # raised today
    assert 'id="browsers-stale"' not in admin_client.get(reverse("console:overview")).content.decode()
