"""The small edges of a Redis outage, on a Redis of the test's own:

- a socket opened while Redis is down gets the protocol's 4503, not an HTTP 500 with a traceback
  (its channel cannot even be made: `new_channel()` subscribes on Redis);
- after a restart, the PING that probes the relay publisher's idle connection fails on the dead
  connection; that is not a lost relay and is not logged as one.
"""

from __future__ import annotations

import asyncio
import logging

import pytest
import redis
from asgiref.sync import sync_to_async

from calls.sockets import relay as relaybus
from tests.ws import HOST, ORIGIN, refused_code, session_cookie

from ..test_calls_protocol import start_conversation
from .servers import require_real_services
from .test_redis_restart import PrivateRedis
from .test_relay_refused import private_layer  # noqa: F401 - the fixture

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


async def test_handshakes_while_redis_is_down_are_closed_with_4503(account, agent, admin_user, private_layer):  # noqa: F811
    created = await sync_to_async(start_conversation)(account.slug)
    agent_cookie = await sync_to_async(session_cookie)(agent)
    admin_cookie = await sync_to_async(session_cookie)(admin_user)
    private_layer.kill()
    assert await refused_code("/ws/agent/", [ORIGIN, HOST, (b"cookie", agent_cookie)]) == 4503
    assert await refused_code(f"/ws/consumer/?token={created['consumer_token']}", [ORIGIN, HOST]) == 4503
    assert await refused_code("/ws/live/", [ORIGIN, HOST, (b"cookie", admin_cookie)]) == 4503


def test_an_idle_probe_failing_after_a_restart_is_not_logged_as_a_lost_relay(caplog):
    """GIVEN the publisher's idle connection, killed with Redis, and Redis back WHEN a frame is
    published after a quiet second THEN the probe fails on the dead connection, the frame goes out
    on a new one, and nothing is logged as a failed relay publish."""
    require_real_services()
    private = PrivateRedis()
    private.start()

    async def scenario() -> bytes:
        publisher = relaybus._Publisher(f"redis://127.0.0.1:{private.port}/0")
        try:
            await asyncio.wait_for(publisher.publish("asgi__group__x", b"before"), 5)
            private.kill()
            private.start()
            listener = redis.Redis(port=private.port).pubsub()
            listener.subscribe("asgi__group__x")
            assert listener.get_message(timeout=2)["type"] == "subscribe"
            await asyncio.sleep(relaybus.IDLE_PROBE_S + 0.2)
            await asyncio.wait_for(publisher.publish("asgi__group__x", b"after"), 5)
            arrived = listener.get_message(timeout=2)
            listener.close()
            return arrived["data"]
        finally:
            publisher.task.cancel()
            await asyncio.gather(publisher.task, return_exceptions=True)
            private.process.stop()

    with caplog.at_level(logging.DEBUG, logger="calls.sockets.relay"):
        assert asyncio.run(scenario()) == b"after"
    relaybus_lines = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "calls.sockets.relay"]
    assert not [line for line in relaybus_lines if line[0] == "WARNING"], relaybus_lines
    assert any("idle relay connection dropped" in message for _, message in relaybus_lines), relaybus_lines
