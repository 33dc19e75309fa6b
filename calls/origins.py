"""Which web origins may talk to us from a browser: the platform's own, and each account's list.

- **The platform's own origin**: the page is served by us. Its Origin must name exactly the host
  and port the request itself was sent to (the Host header), that host must be in ALLOWED_HOSTS,
  and in production its scheme must be https. The workspace, the console, the hosted window and
  the demo page connect this way. `PLATFORM_ORIGINS` adds origins for deployments whose proxy
  rewrites Host.
- **An account's `allowed_origins`** (its call settings): brand pages that run the account's own
  messaging window. They open that account's consumer sockets, read the window's endpoints with
  CORS, and may frame the hosted window. In production only their https entries count.

Everything else is refused, whatever its scheme or port. Used by the socket guard below (every
socket passes it before authentication), the CORS middleware (calls/engage/cors.py) and the window
page's frame-ancestors.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.core.cache import cache
from django.http.request import split_domain_port, validate_host

from settings_profiles.models import AccountCallSettings
from settings_profiles.origins import ANY_ACCOUNT_CACHE_KEY, DEFAULT_PORTS, Origin, origin_in, parse_origin

from .tokens import token_account_id

logger = logging.getLogger(__name__)

CONSUMER_SOCKET_PATH = "/ws/consumer/"
# The union of every active account's origins, for CORS preflights (which carry no account).
ANY_ACCOUNT_CACHE_S = 60


def https_only() -> bool:
    return bool(getattr(settings, "PRODUCTION", False))


def is_platform_origin(origin: Origin | None, host_header: str, *, secure: bool) -> bool:
    """Whether a page of ours sent this request: the request's own scheme (https only in production,
    where TLS ends at the proxy), host and port (Host, one of ALLOWED_HOSTS), or one of PLATFORM_ORIGINS."""
    if origin is None:
        return False
    if origin.scheme != ("https" if https_only() or secure else "http"):
        return False
    if any(parse_origin(extra) == origin for extra in settings.PLATFORM_ORIGINS):
        return True
    host, port = split_domain_port(host_header or "")
    if not host or not validate_host(host, settings.ALLOWED_HOSTS):
        return False
    try:
        port_number = int(port) if port else DEFAULT_PORTS[origin.scheme]
    except ValueError:
        return False
    return origin.host == host.lower() and origin.port == port_number


def account_allows(call_settings: AccountCallSettings | None, origin: Origin | None) -> bool:
    """Whether `origin` is one of the account's allowed origins (exactly; https only in production)."""
    if origin is None or call_settings is None:
        return False
    return origin_in(origin, call_settings.allowed_origins, https_only=https_only())


def any_account_allows(origin: Origin | None) -> bool:
    """Whether some active account lists `origin` (cached briefly; call-settings saves clear it)."""
    if origin is None:
        return False
    listed = cache.get(ANY_ACCOUNT_CACHE_KEY)
    if listed is None:
        rows = (
            AccountCallSettings.objects.filter(account__active=True)
            .exclude(allowed_origins=[])
            .values_list("allowed_origins", flat=True)
        )
        listed = sorted({entry for row in rows if isinstance(row, list) for entry in row if isinstance(entry, str)})
        cache.set(ANY_ACCOUNT_CACHE_KEY, listed, ANY_ACCOUNT_CACHE_S)
    return origin_in(origin, listed, https_only=https_only())


def frame_ancestors(call_settings: AccountCallSettings) -> list[str]:
    """Who may frame the account's hosted window: our own pages and the account's origins."""
    listed = [str(o) for o in map(parse_origin, call_settings.allowed_origins or []) if o is not None]
    if https_only():
        listed = [entry for entry in listed if entry.startswith("https://")]
    return ["'self'", *listed]


def _consumer_call_settings(token: str) -> AccountCallSettings | None:
    """The call settings of the account a genuine token names, expired or not: an expired token of
    an allowed origin is let through so the socket can say 4401 ("start a new conversation")."""
    account_id = token_account_id(token) if token else None
    if account_id is None:
        return None
    return AccountCallSettings.objects.filter(account_id=account_id).first()


def _header(scope: dict, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin1")
    return None


async def socket_origin_allowed(scope: dict) -> bool:
    """The Origin rule of every socket: the platform's own pages always; on the consumer socket,
    also the origins of the account whose token it carries."""
    origin = parse_origin(_header(scope, b"origin"))
    if origin is None:
        return False
    if is_platform_origin(origin, _header(scope, b"host") or "", secure=scope.get("scheme") in {"wss", "https"}):
        return True
    if scope.get("path") != CONSUMER_SOCKET_PATH:
        return False
    token = (parse_qs(scope.get("query_string", b"").decode("latin1")).get("token") or [""])[0]
    call_settings = await database_sync_to_async(_consumer_call_settings)(token)
    return account_allows(call_settings, origin)


class SocketOriginGuard:
    """ASGI middleware in front of every socket: a refused Origin gets HTTP 403 at the handshake
    (browsers report 1006), before authentication or any frame. Replaces Channels'
    AllowedHostsOriginValidator, which ignored scheme and port."""

    def __init__(self, application) -> None:
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not await socket_origin_allowed(scope):
            logger.warning(
                "socket refused at the handshake: origin %r is not allowed on %s",
                (_header(scope, b"origin") or "(none)")[:200],
                scope.get("path"),
            )
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)
