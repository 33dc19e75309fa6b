"""ASGI entry point: HTTP to Django, WebSockets through the Origin check and auth to `calls`."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "consoleproj.settings")
# Django must be set up before anything imports models (the routing below does).
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from calls.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
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


_quiet_autobahn_debug_formatting()
