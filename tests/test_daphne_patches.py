"""consoleproj/daphne_patches.py replaces internals of daphne and autobahn: these tests fail when a
release moves them (a renamed method, a changed signature, a helper that is no longer called), so an
upgrade cannot silently turn the flood guard or the debug-formatting fix into dead code."""

from __future__ import annotations

import inspect

import pytest
from autobahn import util
from autobahn.twisted.websocket import WebSocketAdapterProtocol
from autobahn.websocket import protocol
from daphne.ws_protocol import WebSocketProtocol

from consoleproj import daphne_patches


@pytest.fixture(scope="module")
def patched():
    import consoleproj.asgi  # noqa: F401 - applies the patches, as daphne's start-up does

    return daphne_patches


def test_autobahn_debug_helpers_are_where_the_patch_replaces_them(patched):
    for name in daphne_patches.AUTOBAHN_DEBUG_HELPERS:
        # Defined in autobahn.util with these parameters, imported by name into the protocol module,
        # which calls them for every frame: the module attribute is what the patch must replace.
        original = getattr(util, name)
        assert callable(original), name
        assert f"{name}(" in inspect.getsource(protocol), f"autobahn's protocol no longer calls {name}"
        assert "from autobahn.util import" in inspect.getsource(protocol)
    assert list(inspect.signature(util.hltype).parameters) == ["obj"]
    assert list(inspect.signature(util.hlval).parameters)[0] == "val"
    # After start-up they only return empty text (they decorated debug lines we never enable).
    assert protocol.hltype(object) == "" and protocol.hlval(1, color="green") == ""
    assert util.hltype(object) != "", "the patch must not reach autobahn.util itself"


def test_daphne_frame_handler_is_where_the_flood_guard_wraps_it(patched):
    original = patched.daphne_on_message
    assert original is not None, "the flood guard did not wrap daphne's onMessage"
    assert original.__qualname__ == f"WebSocketProtocol.{daphne_patches.DAPHNE_FRAME_HANDLER}"
    assert original.__module__ == "daphne.ws_protocol"
    assert list(inspect.signature(original).parameters) == ["self", "payload", "isBinary"]
    # autobahn hands every parsed frame to exactly this method...
    assert "self.onMessage(payload, isBinary)" in inspect.getsource(WebSocketAdapterProtocol._onMessage)
    # ...and daphne's version queues it for the application (what a flood must not reach).
    assert "application_queue.put_nowait" in inspect.getsource(original)
    # The guard aborts with autobahn's dropConnection(abort=True).
    assert "abort" in inspect.signature(WebSocketProtocol.dropConnection).parameters
    assert WebSocketProtocol.flood_guarded is True
    guard = getattr(WebSocketProtocol, daphne_patches.DAPHNE_FRAME_HANDLER)
    assert guard is not original and list(inspect.signature(guard).parameters) == ["self", "payload", "isBinary"]


def test_applying_twice_wraps_once(patched):
    guard = WebSocketProtocol.onMessage
    daphne_patches.apply()
    assert WebSocketProtocol.onMessage is guard
