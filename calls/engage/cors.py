"""CORS for the two endpoints a brand's own messaging window calls from its page, decided per account.

`POST /api/v1/conversations/` and `GET /api/v1/sdk/config` answer a cross-origin browser request
with `Access-Control-Allow-Origin: <that origin>` only when the origin is one of the account's
`allowed_origins` (calls/origins.py); any other origin, another port or another scheme included,
gets no CORS header at all. A small middleware rather than django-cors-headers: the decision needs
the account, which only the view knows (the conversation's account is in the request body), so the
view marks the request (`decide_window_origin`) and this middleware writes the headers.

Preflights carry no body, so they are answered here: allowed when some active account lists the
origin (the request that follows is then checked against its own account by the view). No
credentials are ever allowed: the window's calls carry no cookie and no key.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers

from settings_profiles.models import AccountCallSettings
from settings_profiles.origins import Origin, parse_origin

from ..origins import account_allows, any_account_allows, is_platform_origin

WINDOW_ENDPOINTS: dict[str, str] = {"/api/v1/conversations/": "POST", "/api/v1/sdk/config": "GET"}
ALLOWED_REQUEST_HEADERS = {"content-type", "accept", "accept-language"}
PREFLIGHT_MAX_AGE_S = 600
_DECIDED = "_window_origin_allowed"


def request_origin(request: HttpRequest) -> Origin | None:
    return parse_origin(request.headers.get("Origin"))


def is_cross_origin(request: HttpRequest) -> bool:
    """A browser request from a page that is not ours (an Origin header that is not our own)."""
    if "Origin" not in request.headers:
        return False
    return not is_platform_origin(request_origin(request), request.get_host(), secure=request.is_secure())


def decide_window_origin(request: HttpRequest, call_settings: AccountCallSettings | None) -> bool:
    """The view's word on a cross-origin request for one account: True when the page's origin is one
    of the account's allowed origins. Same-origin and origin-less requests (apps, backends) are True."""
    if not is_cross_origin(request):
        return True
    allowed = account_allows(call_settings, request_origin(request))
    setattr(request, _DECIDED, allowed)
    return allowed


class WindowCorsMiddleware:
    """Adds per-account CORS headers to the window's two endpoints and answers their preflights."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        method = WINDOW_ENDPOINTS.get(request.path_info)
        if method is None:
            return self.get_response(request)
        if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            return self.preflight(request, method)
        response = self.get_response(request)
        patch_vary_headers(response, ["Origin"])
        if is_cross_origin(request):
            # The view decided for its account; a refusal before it got that far (a 400 naming a bad
            # field, a 429) is readable by pages that some account allows, so developers see why.
            allowed = getattr(request, _DECIDED, None)
            if allowed is None:
                allowed = any_account_allows(request_origin(request))
            if allowed:
                response["Access-Control-Allow-Origin"] = str(request_origin(request))
        return response

    def preflight(self, request: HttpRequest, method: str) -> HttpResponse:
        asked_method = request.headers.get("Access-Control-Request-Method", "")
        asked_headers = {
            h.strip().lower() for h in request.headers.get("Access-Control-Request-Headers", "").split(",") if h.strip()
        }
        origin = request_origin(request)
        allowed = (
            is_cross_origin(request)
            and asked_method == method
            and asked_headers <= ALLOWED_REQUEST_HEADERS
            and any_account_allows(origin)
        )
        if not allowed:
            response = HttpResponse(
                "CORS preflight refused: this origin, method or header is not allowed.",
                status=403,
                content_type="text/plain; charset=utf-8",
            )
            response["Vary"] = "Origin"
            return response
        response = HttpResponse(status=204)
        response["Access-Control-Allow-Origin"] = str(origin)
        response["Access-Control-Allow-Methods"] = method
        response["Access-Control-Allow-Headers"] = "Content-Type, Accept, Accept-Language"
        response["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE_S)
        response["Vary"] = "Origin"
        return response
