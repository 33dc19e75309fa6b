"""ASGI entry point: HTTP to Django, WebSockets through the Origin check and auth to `calls`."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "consoleproj.settings")
# Django must be set up before anything imports models (the routing below does).
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from calls.origins import SocketOriginGuard  # noqa: E402
from calls.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # The Origin rule (calls/origins.py): the platform's own pages, exact scheme, host and port
        # (https only in production); on the consumer socket also the account's allowed_origins.
        "websocket": SocketOriginGuard(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)


def _quiet_autobahn_debug_formatting() -> None:
    """autobahn (daphne's WebSocket engine) formats the arguments of its debug log lines eagerly,
    with click colour codes, on every frame sent and received, even when debug logging is off:
    8 calls of `hltype`/`hlval` per relayed frame, about 7% of a relay's CPU (bench/README.md).
    Those helpers only decorate debug log text (which we never enable), so they become no-ops."""
    try:
        from autobahn.websocket import protocol
    except ImportError:  # pragma: no cover - daphne always brings autobahn
        return
    if getattr(protocol, "hltype", None) is not None:
        protocol.hltype = protocol.hlval = lambda *args, **kwargs: ""


def _abort_floods_in_daphne() -> None:
    """Daphne hands every frame it parses to an unbounded application queue and keeps reading, so
    a client that sends tens of thousands of frames a second without reading fills the process's
    memory and event loop long before the socket's own rate limit (calls.consumers) can close it:
    the other calls of the process wait behind the backlog (bench/flood.py). So each connection
    gets a second, looser token bucket right where daphne receives frames, twice the application's
    burst plus its close threshold and twice its rate; a connection that empties it is aborted
    there and then, with no further frame parsed or queued. A client within the application's
    limits never comes near it."""
    try:
        from daphne.ws_protocol import WebSocketProtocol
    except ImportError:  # pragma: no cover - another ASGI server: only the application's limit applies
        return
    if getattr(WebSocketProtocol, "flood_guarded", False):
        return
    import logging

    from django.conf import settings

    from calls.consumers import TokenBucket

    logger = logging.getLogger("calls.consumers")
    receive = WebSocketProtocol.onMessage

    def onMessage(self, payload, isBinary):  # noqa: N802, N803 - daphne's names
        bucket = self.__dict__.get("flood_bucket")
        if bucket is None:
            bucket = self.flood_bucket = TokenBucket(
                2 * (settings.WS_RATE_BURST + settings.WS_FLOOD_CLOSE_AFTER), 2 * settings.WS_RATE_PER_S
            )
        if not bucket.take():
            # Not daphne's `muted`: that would also keep the disconnect from the application, which
            # then never gives back the socket's slot and groups.
            if not self.__dict__.get("flood_aborted"):
                self.flood_aborted = True
                logger.warning("aborting a flooding WebSocket connection")
                self.dropConnection(abort=True)
            return None
        return receive(self, payload, isBinary)

    WebSocketProtocol.onMessage = onMessage
    WebSocketProtocol.flood_guarded = True


_quiet_autobahn_debug_formatting()
_abort_floods_in_daphne()
