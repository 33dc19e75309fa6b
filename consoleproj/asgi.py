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
from consoleproj import daphne_patches  # noqa: E402
from consoleproj.bodylimit import BodyLimitMiddleware, limit_daphne_bodies  # noqa: E402
from consoleproj.logscrub import scrub_daphne_access_log  # noqa: E402

application = ProtocolTypeRouter(
    {
        # Bodies over MAX_REQUEST_BODY_BYTES get 413 before Django reads them (consoleproj/bodylimit.py).
        "http": BodyLimitMiddleware(django_asgi_app),
        # The Origin rule (calls/origins.py): the platform's own pages, exact scheme, host and port
        # (https only in production); on the consumer socket also the account's allowed_origins.
        "websocket": SocketOriginGuard(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)


# daphne and autobahn changed at start-up (a flood guard, no eager debug formatting): see that module.
daphne_patches.apply()
# And two of daphne's HTTP side: oversized bodies refused before they are buffered, and credentials
# scrubbed from its access log (tests/security/test_request_bodies.py, test_credentials_in_logs.py).
limit_daphne_bodies()
scrub_daphne_access_log()
