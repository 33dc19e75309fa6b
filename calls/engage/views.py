"""Pages of the consumer side (mounted at /engage/): the brand's script, the embedded messaging window,
the mobile webview call page and the demo brand page.

The views only look things up and render; the window's live state comes over /ws/consumer/ and every
change goes through calls.services behind that socket.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET

from ..origins import frame_ancestors
from .chrome_texts import UNAVAILABLE, words_for
from .selectors import active_account, conversation_for_token, engagement_config

CONSUMER_SOCKET_PATH = "/ws/consumer/"
SCRIPT = "engage/engagement.js"


def _unavailable(request: HttpRequest, reason: str, *, status: int) -> HttpResponse:
    """A page in words, naming nothing about the account or the conversation that was asked for."""
    return render(request, "engage/unavailable.html", {"reason": reason, **UNAVAILABLE[reason]}, status=status)


@require_GET
def engagement_script(request: HttpRequest) -> FileResponse:
    """The brand's script tag at a URL that never changes (the file itself lives in static/)."""
    path = finders.find(SCRIPT)
    if not path:
        raise Http404("The engagement script is not installed.")
    response = FileResponse(open(path, "rb"), content_type="text/javascript; charset=utf-8")  # noqa: SIM115
    # Brands embed this URL on every page: short caching keeps fixes rolling out within minutes.
    response["Cache-Control"] = "public, max-age=300"
    return response


@require_GET
@never_cache
@xframe_options_exempt  # framed on the brand's pages by engagement.js: that is its whole purpose
def window_page(request: HttpRequest) -> HttpResponse:
    """The messaging window inside the brand page's iframe: the account's texts, style and tracker.

    Only our own pages and the account's allowed origins may frame it (frame-ancestors, exact scheme,
    host and port; https only in production)."""
    account = active_account(slug=request.GET.get("account", ""))
    if account is None:
        return _unavailable(request, "account", status=404)
    config = engagement_config(account=account, locale=request.GET.get("locale"))
    config.update(
        words=words_for(config["locale"]),
        conversations_url=reverse("conversation-create"),
        socket_path=CONSUMER_SOCKET_PATH,
    )
    response = render(request, "engage/window.html", {"config": config})
    # django-csp reads this attribute (its documented per-response override).
    response._csp_replace = {"frame-ancestors": frame_ancestors(account.call_settings)}  # type: ignore[attr-defined]
    return response


# The public call client, version 1: ES modules brands import from their own pages, so they are
# served with CORS (public code, no credentials). The product's own window imports the same URLs.
SDK_FILES = {
    "callclient.js": "engage/sdk/v1/callclient.js",
    "session.js": "calls/callclient.js",
    "signaling.js": "calls/signaling.js",
    "policy.js": "calls/policy.js",  # session.js's browser-free decisions (negotiation, restarts, stats)
    "devices.js": "calls/devices.js",  # session.js's microphone, camera and speaker choice
    "share.js": "calls/share.js",  # screen sharing on a CallSession (and its browser-free decisions)
    "readiness.js": "calls/readiness.js",  # readiness before accept: devices, browser, STUN/TURN reachable
}


@require_GET
def sdk_module(request: HttpRequest, name: str) -> HttpResponse:
    """`/engage/sdk/v1/<name>`: one module of the public call client (docs/engagement.md)."""
    static_path = SDK_FILES.get(name)
    path = finders.find(static_path) if static_path else None
    if not path:
        raise Http404("No such module of the call client.")
    # Small files, read whole: a file iterator would be consumed synchronously under ASGI.
    response = HttpResponse(Path(path).read_bytes(), content_type="text/javascript; charset=utf-8")
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "public, max-age=300"
    return response


@require_GET
@never_cache
def webview_page(request: HttpRequest) -> HttpResponse:
    """The full-screen call page a mobile app opens in a webview with its conversation's consumer token."""
    conversation = conversation_for_token(request.GET.get("token", ""))
    if conversation is None:
        response = _unavailable(request, "token", status=403)
    else:
        config = engagement_config(account=conversation.account, locale=conversation.locale)
        # The tracker and its public ids stay: the page hands the events to the app's bridge (analytics.js).
        config.update(
            words=words_for(config["locale"]), conversation_id=conversation.pk, socket_path=CONSUMER_SOCKET_PATH
        )
        response = render(request, "engage/webview.html", {"config": config})
    # The URL carries the consumer token: never send it on as a referrer.
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_GET
def demo_page(request: HttpRequest, page: int = 1) -> HttpResponse:
    """A brand's support site of two pages, each with the script tag, for `make run` and the browser
    tests: the window follows the visitor from one page to the next.

    Off in production (ENGAGE_DEMO_ENABLED): a page of ours that takes any account slug is no
    brand's site. When on it has our Content-Security-Policy like every other page (its styles are
    inline, which the policy allows; its one script is the tag, from our origin)."""
    if not settings.ENGAGE_DEMO_ENABLED:
        raise Http404("The demo page is off.")
    return render(request, "engage/demo.html", {"account": request.GET.get("account", "demo"), "page": page})
