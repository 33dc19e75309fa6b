"""A flooding socket against a real daphne process: it is cut off, and it costs nobody else anything.

GIVEN a daphne process with the production rate limits and a consumer socket in a conversation
WHEN that socket sends thousands of messages as fast as it can without reading any answer
THEN daphne aborts the connection (no close handshake); at most a burst's worth of the messages
     were handled (the transcript holds no more); the socket's slot was given back: the same token
     can open its five sockets again at once; and another conversation's messages flow as before.
Latency under a flood is measured by bench/flood.py, not here.
"""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets
from asgiref.sync import sync_to_async

from calls.models import Message

from .servers import post_json, require_real_services, service_env, start_daphne

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

BURST, PER_S, CLOSE_AFTER = 120, 60, 120


@pytest.fixture
def daphne(account):
    require_real_services()
    env = {
        **service_env(broker=None),
        "WS_RATE_BURST": str(BURST),
        "WS_RATE_PER_S": str(PER_S),
        "WS_FLOOD_CLOSE_AFTER": str(CLOSE_AFTER),
        "WS_FLOOD_BAN_S": "2",
        "CALL_TIMERS_IN_PROCESS": "1",
    }
    process, port = start_daphne(env, "daphne-flood")
    try:
        yield process, port
    finally:
        process.stop()


async def open_consumer(port: int, token: str):
    ws = await websockets.connect(
        f"ws://127.0.0.1:{port}/ws/consumer/?token={token}",
        origin=f"http://127.0.0.1:{port}",
        compression=None,
        max_queue=None,
    )
    hello = json.loads(await ws.recv())
    assert hello["type"] == "hello"
    return ws


async def test_a_flooding_socket_is_aborted_and_costs_nobody_else(account, daphne):
    process, port = daphne
    create = sync_to_async(post_json)
    url = f"http://127.0.0.1:{port}/api/v1/conversations/"
    flooder = await create(url, {"account": account.slug, "channel": "web_messaging"})
    bystander = await create(url, {"account": account.slug, "channel": "web_messaging"})

    ws = await open_consumer(port, flooder["consumer_token"])
    sent, closed = 0, None
    try:
        for sent in range(1, 20_001):  # bounded: it stops by itself if the guard never fires
            await ws.send(json.dumps({"type": "message.send", "text": f"flood {sent}"}))
            if sent % 64 == 0:
                await asyncio.sleep(0)
        await asyncio.wait_for(ws.wait_closed(), 10)
    except websockets.ConnectionClosed as end:
        closed = end
    closed = closed or ws.close_exc
    assert closed is not None and closed.rcvd is None  # aborted: no close frame, no handshake
    assert sent < 20_000

    handled = await sync_to_async(Message.objects.filter(conversation_id=flooder["id"], author="consumer").count)()
    # At most the burst, plus what the refill allowed in the moment the flood lasted.
    assert handled <= BURST + PER_S
    assert "aborting a flooding WebSocket connection" in process.output()

    # The aborted socket's slot comes back once the messages it had already sent are dealt with, and
    # the flood ban (if the backlog earned one) ends: the token's five sockets open again. A slot kept
    # for good would answer 4429 for ever.
    others, refused = [], 0
    while len(others) < 5:
        try:
            others.append(await asyncio.wait_for(open_consumer(port, flooder["consumer_token"]), 10))
        except websockets.ConnectionClosed as refusal:
            assert refusal.rcvd.code in {4008, 4429}, refusal
            refused += 1
            assert refused < 50, "the flooding socket's slot was never given back"
            await asyncio.sleep(0.2)
    for other in others:
        await other.close()

    calm = await open_consumer(port, bystander["consumer_token"])
    await calm.send(json.dumps({"type": "message.send", "text": "hello?", "id": 1}))
    answers = [json.loads(await asyncio.wait_for(calm.recv(), 5)) for _ in range(2)]
    assert {a["type"] for a in answers} == {"ok", "message"}
    await calm.close()
    assert await sync_to_async(Message.objects.filter(conversation_id=bystander["id"], text="hello?").count)() == 1
