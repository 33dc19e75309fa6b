"""The engagement tag reports call events to the account's tracker, in real Chromium: the tracker the
brand page already has is reused; otherwise its library is loaded from its vendor's standard location
with the account's ids. The outside world (the vendors' CDNs) is a Playwright route that fulfils the
standard URLs with stand-ins that record what they are given; nothing leaves the machine.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlparse

import pytest

from calls.models import Call
from tests.e2e.test_engagement_window import (
    _assign_and_invite,
    _customise,
    call_state,
    connected,
    consumer,  # noqa: F401  (fixture)
    conversation_of,
    open_contexts,  # noqa: F401  (fixture)
    open_window,
    start_agent_peer,
    wait_for,
)
from tests.factories import AccountFactory, UserFactory

pytestmark = pytest.mark.e2e

CATEGORY = "Voice and video call"
EVENTS = [
    "vvc_invitation_shown",
    "vvc_invitation_accepted",
    "vvc_call_started",
    "vvc_call_ended",
    "vvc_invitation_shown",
    "vvc_invitation_rejected",
]
CLONE = "(x) => JSON.parse(JSON.stringify(x === undefined ? null : x))"

# Stand-ins for the vendors' libraries: each defines the object the real one defines, and records.
STUBS = {
    "gtag.js": f"""
window.__recorded = window.__recorded || [];
(function () {{
  var clone = {CLONE};
  var rec = function (a) {{ a = Array.prototype.slice.call(a); if (a[0] === "js") a[1] = "date";
    window.__recorded.push({{ tracker: "gtag", args: clone(a) }}); }};
  (window.dataLayer || []).forEach(rec);
  window.dataLayer.push = function (a) {{ rec(a); return 0; }};
}})();""",
    "gtag-present": f"""
window.__recorded = window.__recorded || [];
window.gtag = function () {{ window.__recorded.push({{ tracker: "gtag", args: ({CLONE})(Array.from(arguments)) }}); }};""",
    "matomo.js": f"""
window.__recorded = window.__recorded || [];
window.Matomo = {{
  getTracker: function (url, site) {{ return {{ trackEvent: function () {{
    window.__recorded.push({{ tracker: "matomo", url: url, site: site, args: ({CLONE})(Array.from(arguments)) }}); }} }}; }},
  getAsyncTracker: function () {{ return {{ getTrackerUrl: function () {{ return "https://stats.brand.example/matomo.php"; }} }}; }},
}};
(function () {{
  var run = function (item) {{ if (typeof item[0] === "function") item[0](); else window.__recorded.push({{ tracker: "paq", args: item }}); }};
  (window._paq || []).forEach(run);
  window._paq = {{ push: run }};
}})();""",
    "webtrekk": f"""
window.__recorded = window.__recorded || [];
window.webtrekkV3 = function (config) {{
  this.sendinfo = function (p) {{ window.__recorded.push({{ tracker: "wt", config: ({CLONE})(config), args: ({CLONE})([p]) }}); }};
}};""",
    "utag.js": f"""
window.__recorded = window.__recorded || [];
window.utag = {{ link: function (d) {{ window.__recorded.push({{ tracker: "utag", args: ({CLONE})([d]) }}); }} }};""",
}

CASES = {
    "google_analytics": ({"measurement_id": "G-ACME1234"}, "gtag-present", "https://www.googletagmanager.com/gtag/js"),
    "piwik": (
        {"site_id": "7", "tracker_url": "https://matomo.acme.example/analytics/"},
        "matomo.js",
        "https://matomo.acme.example/analytics/matomo.js",
    ),
    "webtrekk": (
        {"track_id": "123456789012345", "track_domain": "track.acme.example"},
        "webtrekk",
        "https://responder.wt-safetag.com/resp/api/get/123456789012345",
    ),
    "tealium": (
        {"account": "acme", "profile": "main", "environment": "qa"},
        "utag.js",
        "https://tags.tiqcdn.com/utag/acme/main/qa/utag.js",
    ),
}


def _stub_for(url: str) -> str | None:
    if url.startswith("https://www.googletagmanager.com/gtag/js"):
        return STUBS["gtag.js"]
    if url.startswith("https://matomo.acme.example/analytics/matomo.js"):
        return STUBS["matomo.js"]
    if url.startswith("https://responder.wt-safetag.com/resp/api/get/"):
        return STUBS["webtrekk"]
    if url.startswith("https://tags.tiqcdn.com/utag/"):
        return STUBS["utag.js"]
    return None


def _brand_page(present: str | None) -> str:
    inline = f"<script>{STUBS[present]}</script>" if present else ""
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Brand</title>{inline}
<script src="/static/engage/engagement.js" data-account="demo" async></script>
</head><body><h1>Brand page</h1></body></html>"""


def _expected(tracker: str, config: dict, ids: list[int], duration: int, loaded: bool) -> list[dict]:
    """What the tracker's object is given for the six events, in order."""
    rows = []
    if tracker == "google_analytics" and loaded:
        rows += [
            {"tracker": "gtag", "args": ["js", "date"]},
            {"tracker": "gtag", "args": ["config", "G-ACME1234", {"send_page_view": False}]},
        ]
    if tracker == "piwik" and loaded:
        rows += [
            {"tracker": "paq", "args": ["setTrackerUrl", "https://matomo.acme.example/analytics/matomo.php"]},
            {"tracker": "paq", "args": ["setSiteId", "7"]},
        ]
    for name, cid in zip(EVENTS, ids, strict=True):
        ended = name == "vvc_call_ended"
        if tracker == "google_analytics":
            params = {"event_category": CATEGORY, "call_media": "video", "call_id": cid}
            if ended:
                params["call_duration_s"] = duration
            rows.append({"tracker": "gtag", "args": ["event", name, params | {"send_to": "G-ACME1234"}]})
        elif tracker == "piwik":
            rows.append(
                {
                    "tracker": "matomo",
                    "url": "https://matomo.acme.example/analytics/matomo.php",
                    "site": "7",
                    "args": [CATEGORY, name, f"video {cid}", duration if ended else None],
                }
            )
        elif tracker == "webtrekk":
            click = {"1": "video", "2": str(cid)} | ({"3": str(duration)} if ended else {})
            rows.append(
                {
                    "tracker": "wt",
                    "config": {
                        "trackId": "123456789012345",
                        "domain": "127.0.0.1",
                        "trackDomain": "track.acme.example",
                    },
                    "args": [{"linkId": name, "customClickParameter": click}],
                }
            )
        elif tracker == "tealium":
            data = {"event_name": name, "event_category": CATEGORY, "call_media": "video", "call_id": str(cid)}
            if ended:
                data["call_duration_s"] = str(duration)
            rows.append({"tracker": "utag", "args": [data]})
    return rows


@pytest.fixture
def demo_account(transactional_db):
    return AccountFactory(slug="demo", name="Acme Telecom")


@pytest.mark.parametrize(
    ("tracker", "how"), [(t, how) for t in CASES for how in ("loaded", "present")] + [("none", "loaded")]
)
def test_tracker_gets_every_call_event_with_the_account_ids(
    consumer,  # noqa: F811  (the fixture imported above)
    asgi_server,
    demo_account,
    open_contexts,  # noqa: F811
    tracker,
    how,
):
    """
    GIVEN the account's tracker with its ids, on a brand page that has that tracker already (present)
          or has none (loaded)
    WHEN an invitation is shown, accepted, the call starts and ends, and a second one is declined
    THEN the library is requested from its standard URL with the account's ids only when the page had
         none, and the tracker got the six events in order with media, call id and the duration;
         with tracker "none" no library is requested and nothing is recorded
    """
    config, present_stub, library_url = CASES.get(tracker, ({}, None, None))
    _customise(demo_account, analytics_tracker=tracker, analytics_config=config)
    agent = UserFactory(account=demo_account, name="Alex Agent")
    peer = start_agent_peer(open_contexts, agent)
    outside: list[str] = []

    def vendor(route):
        outside.append(route.request.url)
        body = _stub_for(route.request.url)
        if body is None:
            route.fulfill(status=404, body="")
        else:
            route.fulfill(content_type="text/javascript", body=body)

    consumer.page.context.route("https://**/*", vendor)
    consumer.page.route(
        f"{asgi_server.url}/__brand__/analytics/",
        lambda route: route.fulfill(
            content_type="text/html", body=_brand_page(present_stub if how == "present" else None)
        ),
    )
    window = open_window(consumer, "/__brand__/analytics/")
    conversation = conversation_of(asgi_server, demo_account)

    first = asgi_server.run(_assign_and_invite, agent=agent, conversation_id=conversation.pk, media="video")
    window.locator("#engage-accept").click()
    connected(asgi_server, first, window, peer)
    window.locator("#engage-call[data-state='active']").wait_for()
    time.sleep(1.2)  # a call that lasted a second or more, so its duration is not 0
    window.locator("#engage-end").click()
    call_state(asgi_server, first, "completed")
    window.locator("#engage-call-dismiss").click()
    second = asgi_server.run(_assign_and_invite, agent=agent, conversation_id=conversation.pk, media="video")
    window.locator("#engage-reject").click()
    call_state(asgi_server, second, "rejected")
    recorded = "() => window.__recorded || []"

    if tracker == "none":
        time.sleep(1)  # give any stray message time to arrive
        assert outside == []
        assert consumer.page.evaluate(recorded) == []
        assert (
            consumer.page.evaluate("() => [typeof window.dataLayer, typeof window._paq, typeof window.utag]")
            == ["undefined"] * 3
        )
        return

    duration = asgi_server.run(lambda: Call.objects.get(pk=first).duration_s)
    assert duration >= 1
    expected = _expected(tracker, config, [first] * 4 + [second] * 2, duration, loaded=how == "loaded")
    got = wait_for(
        lambda: (r := consumer.page.evaluate(recorded)) and len(r) >= len(expected) and r,
        message=f"the events for {tracker}",
    )
    assert got == expected
    if how == "present":
        assert outside == [], "the page's own tracker is reused: nothing is loaded"
    else:
        assert len(outside) == 1 and outside[0].startswith(library_url), outside
        query = parse_qs(urlparse(outside[0]).query)
        if tracker == "google_analytics":
            assert query["id"] == ["G-ACME1234"]
        if tracker == "webtrekk":
            assert query["url"] == [f"{asgi_server.url}/__brand__/analytics/"]
    consumer.assert_no_console_errors(f"{tracker} {how}")


ANDROID_BRIDGE = """
window.__bridged = [];
window.VvcAnalytics = { postMessage: (json) => window.__bridged.push(JSON.parse(json)) };
"""


@pytest.mark.parametrize("tracker", ["tealium", "none"])
def test_the_webview_reports_through_the_apps_bridge(asgi_server, demo_account, open_contexts, tracker):  # noqa: F811
    """
    GIVEN an app's webview with the Android bridge (`VvcAnalytics`), the account's tracker Tealium (or none)
    WHEN the consumer declines an invitation there
    THEN the app got the shown and declined events with the call's media and id and the tracker's ids,
         and the page loaded no tracker library (with none: the bridge got nothing)
    """
    from calls import services
    from calls.models import Conversation
    from calls.tokens import consumer_token_for
    from tests.e2e.test_engagement_window import ANDROID_WEBVIEW_UA, PHONE

    config = CASES["tealium"][0] if tracker == "tealium" else {}
    _customise(demo_account, analytics_tracker=tracker, analytics_config=config)
    agent = UserFactory(account=demo_account, name="Alex Agent")
    conversation = asgi_server.run(
        services.conversation_create, account=demo_account, channel=Conversation.Channel.WEB_MESSAGING
    )
    token = consumer_token_for(conversation_id=conversation.pk, account_id=demo_account.pk)
    call_id = asgi_server.run(_assign_and_invite, agent=agent, conversation_id=conversation.pk, media="video")
    phone = open_contexts(user_agent=ANDROID_WEBVIEW_UA, viewport=PHONE)
    phone.page.context.add_init_script(ANDROID_BRIDGE)
    outside: list[str] = []
    phone.page.context.route("https://**/*", lambda route: (outside.append(route.request.url), route.abort()))
    phone.open(f"/engage/call/?token={token}")
    phone.page.locator("#engage-reject").click()
    call_state(asgi_server, call_id, "rejected")
    if tracker == "none":
        time.sleep(1)
        assert phone.page.evaluate("() => window.__bridged") == []
        return
    got = wait_for(lambda: (b := phone.page.evaluate("() => window.__bridged")) and len(b) >= 2 and b)
    base = {"source": "vvc", "kind": "analytics", "media": "video", "call_id": call_id, "tracker": "tealium"}
    assert got == [
        {**base, "event": "vvc_invitation_shown", "config": config},
        {**base, "event": "vvc_invitation_rejected", "config": config},
    ]
    assert outside == []
