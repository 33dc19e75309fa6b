"""The two places where we change daphne's WebSocket engine (autobahn) at start-up, and why.

`apply()` runs from consoleproj/asgi.py, so every daphne process serving the project has both;
tests/test_daphne_patches.py fails when the daphne or autobahn internals they replace move (a
release renaming `WebSocketProtocol.onMessage` or the debug helpers), so an upgrade cannot silently
drop the flood guard.
"""

from __future__ import annotations

import logging

# What each patch replaces, for the test that checks these still exist as expected.
AUTOBAHN_DEBUG_HELPERS = ("hltype", "hlval")  # autobahn.websocket.protocol.<name>, from autobahn.util
DAPHNE_FRAME_HANDLER = "onMessage"  # daphne.ws_protocol.WebSocketProtocol.onMessage(self, payload, isBinary)

# daphne's own onMessage, kept when the flood guard replaces it (None until then).
daphne_on_message = None


def quiet_autobahn_debug_formatting() -> None:
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


def abort_floods_in_daphne() -> None:
    """Daphne hands every frame it parses to an unbounded application queue and keeps reading, so
    a client that sends tens of thousands of frames a second without reading fills the process's
    memory and event loop long before the socket's own rate limit (calls.sockets.limits) can close
    it: the other calls of the process wait behind the backlog (bench/flood.py). So each connection
    gets a second, looser token bucket right where daphne receives frames, twice the application's
    burst plus its close threshold and twice its rate; a connection that empties it is aborted
    there and then, with no further frame parsed or queued. A client within the application's
    limits never comes near it."""
    global daphne_on_message
    try:
        from daphne.ws_protocol import WebSocketProtocol
    except ImportError:  # pragma: no cover - another ASGI server: only the application's limit applies
        return
    if getattr(WebSocketProtocol, "flood_guarded", False):
        return
    from django.conf import settings

    from calls.sockets.limits import TokenBucket
    from consoleproj import metrics

    logger = logging.getLogger("calls.sockets.limits")
    receive = daphne_on_message = WebSocketProtocol.onMessage

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
                metrics.flood_closed("daphne")
                self.dropConnection(abort=True)
            return None
        return receive(self, payload, isBinary)

    WebSocketProtocol.onMessage = onMessage
    WebSocketProtocol.flood_guarded = True


def apply() -> None:
    quiet_autobahn_debug_formatting()
    abort_floods_in_daphne()
