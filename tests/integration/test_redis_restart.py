"""Redis restarted mid-call, with real processes: two daphne servers on a Redis of the test's own
(so it can be killed without touching anything else), PostgreSQL, real WebSocket clients.

GIVEN two calls in progress across two daphne processes (agent 1 on A with consumer 1 on B, agent 2
      on B with consumer 2 on A), each side having relayed frames to the other
WHEN Redis is SIGKILLed and started again on the same port
THEN every socket is closed with 4503 (the layer watch noticed), the clients reconnect with backoff,
     each `hello` carries its live call, still `active`; the calls resume: frames sent after the
     restart all arrive once, in order, at their own peer only; nothing sent before the restart is
     delivered again; hang-ups end both calls `completed`, and no call was ever `dropped`.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import time

import pytest
import redis
import websockets
from asgiref.sync import sync_to_async

from calls.models import CallEvent
from settings_profiles.models import AccountCallSettings
from tests.factories import UserFactory

from .servers import ROOT, Client, Process, free_port, require_real_services, service_env, start_daphne
from .test_scale_out import CLIENT, agent_cookie

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


class PrivateRedis:
    """A redis-server of the test's own on a free loopback port, with no persistence."""

    def __init__(self) -> None:
        if shutil.which("redis-server") is None:
            pytest.fail("redis-server is not installed (the Debian package redis-server provides it)")
        self.port = free_port()
        self.process: Process | None = None

    def start(self) -> None:
        self.process = Process(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            {"PATH": "/usr/bin:/bin"},
            f"redis-{self.port}",
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if redis.Redis(port=self.port, socket_timeout=1).ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("the private redis-server did not start")

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.stop()


@pytest.fixture
def restartable(account):
    require_real_services()
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    # A grace long enough for the outage and the reconnects; the call must resume, not drop.
    AccountCallSettings.objects.filter(account=account).update(reconnect_grace_s=30)
    private = PrivateRedis()
    private.start()
    env = {**service_env(broker=None), "REDIS_URL": f"redis://127.0.0.1:{private.port}/0", "WS_LAYER_WATCH_S": "0.5"}
    env["CALL_TIMERS_IN_PROCESS"] = "1"  # no worker here: the daphne processes fire the call timers
    started = []
    try:
        a, port_a = start_daphne(env, "daphne-redis-a")
        started.append(a)
        b, port_b = start_daphne(env, "daphne-redis-b")
        started.append(b)
        yield {"redis": private, "a": port_a, "b": port_b, "processes": started}
    finally:
        for process in started:
            process.stop()
        if private.process is not None:
            private.process.stop()


class Side:
    """One party's socket that reconnects like signaling.js does, and records every frame it hears."""

    def __init__(self, name: str, port: int, path: str, cookie: str | None = None):
        self.name, self.port, self.path, self.cookie = name, port, path, cookie
        self.client: Client | None = None
        self.hello: dict | None = None
        self.heard: list[dict] = []
        self.closes: list[int] = []

    async def connect(self, *, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        backoff = 0.2
        while True:
            try:
                self.client, self.hello = await Client.connect(self.port, self.path, self.cookie)
                return
            except (OSError, websockets.InvalidStatus, websockets.ConnectionClosed, AssertionError):
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 2.0)

    async def send(self, frame: dict) -> None:
        await self.client.send(frame)

    async def next(self, frame_type: str, *, state: str | None = None, timeout: float = 15) -> dict:
        async def _wait() -> dict:
            while True:
                frame = json.loads(await self.client.ws.recv())
                self.heard.append(frame)
                if frame["type"] == frame_type and (state is None or frame["call"]["state"] == state):
                    return frame

        return await asyncio.wait_for(_wait(), timeout)

    async def until_closed(self, timeout: float = 20) -> int:
        async def _drain() -> int:
            try:
                while True:
                    self.heard.append(json.loads(await self.client.ws.recv()))
            except websockets.ConnectionClosed as closed:
                return closed.rcvd.code if closed.rcvd else 1006

        code = await asyncio.wait_for(_drain(), timeout)
        self.closes.append(code)
        return code

    def signals(self) -> list[str]:
        return [f["signal"]["candidate"]["candidate"] for f in self.heard if f["type"] == "call.signal"]


def candidate(call_id: int, n: int) -> dict:
    return {"candidate": {"candidate": f"candidate:{call_id}-{n} 1 udp 1 192.0.2.1 9 typ host", "sdpMid": "0"}}


async def active_call(agent, port_agent: int, port_consumer: int) -> tuple[Side, Side, int]:
    cookie = await sync_to_async(agent_cookie)(agent)
    agent_side = Side(f"agent {agent.pk}", port_agent, "/ws/agent/", cookie)
    await agent_side.connect()
    created = await sync_to_async(_create_conversation)(port_consumer, agent.account.slug)
    routed = await agent_side.next("conversation")
    assert routed["conversation"]["agent_id"] == agent.pk
    consumer_side = Side(f"consumer of {agent.pk}", port_consumer, f"/ws/consumer/?token={created['consumer_token']}")
    await consumer_side.connect()
    await agent_side.send({"type": "call.invite", "conversation_id": created["id"], "media": "video"})
    call_id = (await consumer_side.next("call.state", state="ringing"))["call"]["id"]
    await consumer_side.send({"type": "call.accept", "call_id": call_id, "client": CLIENT})
    await agent_side.next("call.state", state="connecting")
    await consumer_side.send({"type": "call.connected", "call_id": call_id})
    await agent_side.next("call.state", state="active")
    await consumer_side.next("call.state", state="active")
    return agent_side, consumer_side, call_id


def _create_conversation(port: int, slug: str) -> dict:
    from .servers import post_json

    return post_json(f"http://127.0.0.1:{port}/api/v1/conversations/", {"account": slug, "channel": "web_messaging"})


async def relay(sender: Side, receiver: Side, call_id: int, numbers: range) -> None:
    for n in numbers:
        await sender.send({"type": "call.signal", "call_id": call_id, "signal": candidate(call_id, n)})
    for _ in numbers:
        await receiver.next("call.signal")


async def test_calls_resume_after_redis_restarts_with_nothing_lost_or_doubled(account, agent, restartable):
    other_agent = await sync_to_async(UserFactory)(account=account, email="second@acme.example")
    a, b = restartable["a"], restartable["b"]
    agent_1, consumer_1, call_1 = await active_call(agent, a, b)
    agent_2, consumer_2, call_2 = await active_call(other_agent, b, a)
    pairs = [(agent_1, consumer_1, call_1), (agent_2, consumer_2, call_2)]
    for agent_side, consumer_side, call_id in pairs:
        await relay(agent_side, consumer_side, call_id, range(0, 5))
        await relay(consumer_side, agent_side, call_id, range(100, 105))

    restartable["redis"].kill()
    sides = [side for pair in pairs for side in pair[:2]]
    codes = await asyncio.gather(*(side.until_closed() for side in sides))
    assert codes == [4503] * 4  # every socket told to reconnect, on both processes
    await asyncio.sleep(1)
    restartable["redis"].start()

    await asyncio.gather(*(side.connect() for side in sides))
    for agent_side, consumer_side, call_id in pairs:
        for side in (agent_side, consumer_side):
            live = side.hello["call"]
            assert (live["id"], live["state"]) == (call_id, "active"), side.name

    for agent_side, consumer_side, call_id in pairs:
        await relay(agent_side, consumer_side, call_id, range(5, 35))
        await relay(consumer_side, agent_side, call_id, range(105, 135))
    for agent_side, consumer_side, call_id in pairs:
        await agent_side.send({"type": "call.hangup", "call_id": call_id})
        ended = await consumer_side.next("call.state", state="completed")
        assert ended["call"]["reason"] == "agent_hangup"
        await agent_side.next("call.state", state="completed")

    for agent_side, consumer_side, call_id in pairs:
        # Once each, in order, before and after the restart; and only this call's.
        prefix = f"candidate:{call_id}-"
        assert consumer_side.signals() == [f"{prefix}{n} 1 udp 1 192.0.2.1 9 typ host" for n in range(0, 35)]
        assert agent_side.signals() == [f"{prefix}{n} 1 udp 1 192.0.2.1 9 typ host" for n in range(100, 135)]
    for side in sides:
        await side.client.close()
    states = await sync_to_async(
        lambda: {
            call_id: list(CallEvent.objects.filter(call_id=call_id, kind="state").values_list("state", flat=True))
            for call_id in (call_1, call_2)
        }
    )()
    assert states == {call_id: ["ringing", "connecting", "active", "completed"] for call_id in (call_1, call_2)}
    for process in restartable["processes"]:
        assert "the channel layer stopped delivering" in process.output()
