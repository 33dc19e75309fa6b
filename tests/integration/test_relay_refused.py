"""A relay Redis does not take is never silently lost: the sender hears `unavailable`.

Signals from the browsers are fire and forget (no `id`), so since the relay publisher stopped making
them wait for Redis, a failed publish reaches the sender from the publisher's future instead of
from the handler. This runs the real application in the test process on a channel layer of its own
(a private redis-server it can kill), with the layer watch off so only the relay path reports.

GIVEN a call in progress whose sockets share a Redis pub/sub layer, each side having relayed a frame
WHEN Redis dies and each side sends a signal, one without `id` and one with
THEN the peer in the same process still gets both frames (local delivery does not need Redis), the
     sender gets an `unavailable` error for each, the one with `id` carrying it as `re`, no `ok`, and
     the sockets stay open.
"""

from __future__ import annotations

import asyncio

import pytest
import redis
from channels.layers import channel_layers
from redis.exceptions import RedisError

from calls.sockets import relay

from ..test_calls_protocol import CANDIDATES, accept, online_agent_with_conversation, ring
from .servers import require_real_services
from .test_redis_restart import PrivateRedis

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def private_layer(settings):
    require_real_services()
    private = PrivateRedis()
    private.start()
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [f"redis://127.0.0.1:{private.port}/0"]},
        }
    }
    settings.WS_LAYER_WATCH_S = 0
    channel_layers.backends.clear()
    try:
        yield private
    finally:
        channel_layers.backends.clear()
        relay._publishers.clear()
        if private.process is not None:
            private.process.stop()


def signal(call_id: int, n: int) -> dict:
    candidate = {"candidate": CANDIDATES[n], "sdpMid": "0", "sdpMLineIndex": 0}
    return {"type": "call.signal", "call_id": call_id, "signal": {"candidate": candidate}}


async def test_a_relay_redis_refuses_is_answered_unavailable(agent, private_layer):
    agent_ws, consumer_ws, conversation_id = await online_agent_with_conversation(agent)
    call_id = await ring(agent_ws, consumer_ws, conversation_id)
    await accept(consumer_ws, call_id)
    await agent_ws.until("call.state", state="connecting")
    await consumer_ws.until("call.state", state="connecting")
    # Redis works: a frame each way, through the publisher (which now holds a live connection).
    await agent_ws.send(signal(call_id, 0))
    assert (await consumer_ws.until("call.signal"))["signal"]["candidate"]["candidate"] == CANDIDATES[0]
    await consumer_ws.send(signal(call_id, 1))
    assert (await agent_ws.until("call.signal"))["signal"]["candidate"]["candidate"] == CANDIDATES[1]
    assert await agent_ws.nothing() and await consumer_ws.nothing()

    private_layer.kill()

    for sender, peer, n in ((agent_ws, consumer_ws, 2), (consumer_ws, agent_ws, 3)):
        await sender.send(signal(call_id, n))  # fire and forget
        assert (await peer.until("call.signal"))["signal"]["candidate"]["candidate"] == CANDIDATES[n]
        error = await sender.until("error", timeout=10)
        assert error == {
            "type": "error",
            "code": "unavailable",
            "message": "The service is briefly unavailable; try again.",
        }
        answer = await sender.request(signal(call_id, 4), frame_id=f"s{n}")
        assert answer == {
            "type": "error",
            "code": "unavailable",
            "message": "The service is briefly unavailable; try again.",
            "re": f"s{n}",
        }
        assert (await peer.until("call.signal"))["signal"]["candidate"]["candidate"] == CANDIDATES[4]
    assert await agent_ws.nothing() and await consumer_ws.nothing()
    for socket in (agent_ws, consumer_ws):
        assert socket.communicator.output_queue.empty()
        await socket.close()


# --- the publisher itself, against a Redis that hangs and one that restarts ------------------------


def test_a_redis_that_stops_answering_fails_the_frames_instead_of_holding_them():
    """GIVEN a 'Redis' that accepts the connection and reads but never answers WHEN frames are
    published THEN each frame's future fails with a RedisError (answered `unavailable`) once the
    connection's socket timeout has passed, instead of waiting for TCP to give up."""
    require_real_services()

    async def scenario() -> list[BaseException | None]:
        async def swallow(reader, writer) -> None:
            while await reader.read(65536):
                pass

        server = await asyncio.start_server(swallow, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        publisher = relay._Publisher(f"redis://127.0.0.1:{port}/0?socket_timeout=0.5")
        try:
            sent = [publisher.publish("asgi__group__x", b"frame") for _ in range(3)]
            done, pending = await asyncio.wait(sent, timeout=10)
            assert not pending, "a frame is still waiting for a Redis that never answers"
            return [future.exception() for future in sent]
        finally:
            publisher.task.cancel()
            await asyncio.gather(publisher.task, return_exceptions=True)
            server.close()
            await server.wait_closed()

    failures = asyncio.run(scenario())
    assert all(isinstance(failure, RedisError) for failure in failures), failures


def test_after_a_redis_restart_the_first_relay_goes_out_at_once_on_a_fresh_connection():
    """GIVEN the publisher's connection died with Redis WHEN Redis is back and, after a quiet
    second, a frame is published THEN it reaches a subscriber, on a new connection, without waiting
    on the dead one (no stall, no error nobody reads)."""
    require_real_services()
    private = PrivateRedis()
    private.start()

    async def scenario() -> tuple[BaseException | None, bytes]:
        publisher = relay._Publisher(f"redis://127.0.0.1:{private.port}/0")
        try:
            await asyncio.wait_for(publisher.publish("asgi__group__x", b"before"), 5)
            private.kill()
            during = await asyncio.wait_for(
                asyncio.gather(publisher.publish("asgi__group__x", b"lost"), return_exceptions=True), 10
            )
            private.start()
            listener = redis.Redis(port=private.port).pubsub()
            listener.subscribe("asgi__group__x")
            assert listener.get_message(timeout=2)["type"] == "subscribe"
            await asyncio.sleep(relay.IDLE_PROBE_S + 0.2)
            await asyncio.wait_for(publisher.publish("asgi__group__x", b"after"), 1)
            arrived = listener.get_message(timeout=2)
            listener.close()
            return during[0], arrived["data"]
        finally:
            publisher.task.cancel()
            await asyncio.gather(publisher.task, return_exceptions=True)
            private.process.stop()

    during, arrived = asyncio.run(scenario())
    assert isinstance(during, RedisError)
    assert arrived == b"after"
