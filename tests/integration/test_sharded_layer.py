"""The channel layer over two Redis instances (CHANNEL_REDIS_URLS), with two daphne processes.

GIVEN two daphne processes whose channel layer is sharded over two redis-servers of the test's own
WHEN an agent on one process and a consumer on the other run a call, with SDP and candidates relayed
     through the relay publisher (calls/sockets/relay.py) and state frames through the layer
THEN everything arrives, in order, across processes; each channel the processes subscribed lives on
     the Redis instance channels-redis's consistent hash names (the one the relay publisher publishes
     to), and both instances carry some of them.
"""

from __future__ import annotations

import pytest
import redis
from channels_redis.utils import _consistent_hash

from calls.push import agent_group, consumer_group
from calls.sockets import relay as relaybus

from .servers import require_real_services, service_env, start_daphne
from .test_redis_restart import PrivateRedis
from .test_scale_out import connected_pair, start_call

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sharded(account):
    require_real_services()
    shards = [PrivateRedis(), PrivateRedis()]
    started = []
    try:
        for shard in shards:
            shard.start()
            started.append(shard.process)
        urls = [f"redis://127.0.0.1:{shard.port}/0" for shard in shards]
        env = {**service_env(broker=None), "CHANNEL_REDIS_URLS": ",".join(urls), "CALL_TIMERS_IN_PROCESS": "1"}
        daphne_a, port_a = start_daphne(env, "sharded-daphne-a")
        started.append(daphne_a)
        daphne_b, port_b = start_daphne(env, "sharded-daphne-b")
        started.append(daphne_b)
        yield {"ports": (port_a, port_b), "shards": shards, "daphnes": (daphne_a, daphne_b)}
    finally:
        for process in reversed(started):
            process.stop()


def subscribed(shard: PrivateRedis) -> set[str]:
    return {name.decode() for name in redis.Redis(port=shard.port).pubsub_channels()}


async def test_a_call_across_two_processes_on_a_sharded_layer(agent, sharded):
    port_a, port_b = sharded["ports"]
    agent_ws, consumer_ws, conversation_id = await connected_pair(agent, port_a, port_b)
    call_id = await start_call(agent_ws, consumer_ws, conversation_id)

    sdp = {"type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}
    await agent_ws.send({"type": "call.signal", "call_id": call_id, "signal": {"sdp": sdp}})
    candidates = [f"candidate:{n} 1 udp 2122260223 192.0.2.1 {40000 + n} typ host" for n in range(30)]
    for candidate in candidates:
        signal = {"candidate": {"candidate": candidate, "sdpMid": "0", "sdpMLineIndex": 0}}
        await agent_ws.send({"type": "call.signal", "call_id": call_id, "signal": signal})
    assert (await consumer_ws.until("call.signal"))["signal"] == {"sdp": sdp}
    received = [(await consumer_ws.until("call.signal"))["signal"]["candidate"]["candidate"] for _ in candidates]
    assert received == candidates
    for n in range(30):  # the other way, acknowledged (awaits Redis's reply on its shard)
        await consumer_ws.send(
            {"type": "call.signal", "call_id": call_id, "id": n, "signal": {"sdp": {"type": "answer", "sdp": f"{n}"}}}
        )
    answers = [(await agent_ws.until("call.signal"))["signal"]["sdp"]["sdp"] for _ in range(30)]
    assert answers == [str(n) for n in range(30)]

    await agent_ws.send({"type": "call.connected", "call_id": call_id})
    await consumer_ws.until("call.state", state="active")
    await agent_ws.until("call.state", state="active")

    # Where each subscription lives: the shard the consistent hash names, the one relays go to.
    shards = sharded["shards"]
    on_shard = [subscribed(shard) for shard in shards]
    assert on_shard[0] and on_shard[1], "both Redis instances carry channels"
    assert not on_shard[0] & on_shard[1]
    for index, channels in enumerate(on_shard):
        for channel in channels:
            assert _consistent_hash(channel, 2) == index == relaybus.shard_index(channel, 2), channel
    for group in (agent_group(agent.pk), consumer_group(conversation_id)):
        group_channels = [c for channels in on_shard for c in channels if c.endswith("__group__" + group)]
        assert len(group_channels) == 1, (group, on_shard)

    await agent_ws.send({"type": "call.hangup", "call_id": call_id})
    assert (await consumer_ws.until("call.state", state="completed"))["call"]["reason"] == "agent_hangup"
    await agent_ws.close()
    await consumer_ws.close()
