"""Chaos, bounded: the production shape with each of its processes broken in turn, while calls run.

GIVEN two daphne processes (agents on A, consumers on B), a Celery worker and a beat apart, a
      Redis of the test's own and PostgreSQL; four call pairs cycling calls (invite, accept, both
      sides connected, keyed messages both ways, numbered signals both ways, hang-up; every third
      invitation left unanswered so its ring timeout fires), every client resending an unanswered
      command with the same key after reconnecting, as the browser clients do
WHEN Redis is SIGKILLed and restarted; the worker and beat are stopped and started; daphne B is
     SIGKILLed and restarted on its port; the PostgreSQL backends of the processes are terminated
THEN, from the database and the clients: no acknowledged message lost or stored twice; no signal
     delivered twice or out of order; once the run settles no call is left live and every call has
     its reason; every ring timeout fired within the documented bound (docs/reliability.md, "The
     clock") although one process or another was down; the worker outlived the Redis restart;
     `/healthz` named the stopped worker and beat (stale heartbeats) and recovered; no handshake was
     answered with a server error.

The run is bounded: the fault schedule takes about a minute, the pairs stop when it ends, and
every wait has a deadline. Loopback only.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import random
import time
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from datetime import timedelta

import psycopg
import pytest
import websockets
from asgiref.sync import sync_to_async
from django.db import connection, connections

from calls.models import Call, CommandReceipt, Conversation, Message
from settings_profiles.models import AccountCallSettings
from tests.factories import UserFactory

from .servers import (
    ROOT,
    Process,
    post_json,
    require_real_services,
    service_env,
    start_celery_beat,
    start_celery_worker,
    start_daphne,
)
from .test_redis_restart import PrivateRedis
from .test_scale_out import CLIENT, agent_cookie

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

PAIRS = 4
SWEEP_S = 1.0
RING_TIMEOUT_S = 10  # the account setting's minimum
# docs/reliability.md: a deadline fires within CALL_SWEEP_INTERVAL_S plus one sweep of the
# processes still up; asserted with room for a loaded 2-core CI machine.
DEADLINE_BOUND_S = 2 * SWEEP_S + 3
CHILD = "vvc-chaos-child"  # application_name of the children's database sessions: the ones terminated


class Peer:
    """One party's socket, reconnecting with backoff like the browser clients, resending every
    command that got no answer (closed socket, timeout, `unavailable`) with the same key."""

    def __init__(self, name: str, port: int, path: str, cookie: str | None = None):
        self.name, self.url, self.cookie, self.port = name, f"ws://127.0.0.1:{port}{path}", cookie, port
        self.ws = None
        self.pending: dict[str, asyncio.Future] = {}
        self.signals: dict[int, list[int]] = defaultdict(list)  # call id -> signal numbers heard
        self.ids = itertools.count(1)
        self.resends = 0
        self.unavailable = 0
        self.refusals: Counter = Counter()  # error frames answering no `id` (a refused signal)

    async def connect(self, *, within_s: float = 90) -> None:
        deadline, backoff = time.monotonic() + within_s, 0.2
        while True:
            try:
                headers = {"Cookie": self.cookie} if self.cookie else {}
                ws = await websockets.connect(
                    self.url,
                    origin=f"http://127.0.0.1:{self.port}",
                    additional_headers=headers,
                    compression=None,
                    open_timeout=10,
                )
                hello = json.loads(await asyncio.wait_for(ws.recv(), 10))
                if hello.get("type") != "hello":
                    raise ConnectionError(f"no hello: {hello}")
                break
            except (OSError, TimeoutError, ConnectionError, websockets.WebSocketException):
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(backoff * (1 + random.random()))  # noqa: S311 - jitter, not crypto
                backoff = min(backoff * 2, 2.0)
        self.ws = ws
        asyncio.get_running_loop().create_task(self._read(ws))

    async def _read(self, ws) -> None:
        try:
            async for text in ws:
                frame = json.loads(text)
                kind = frame["type"]
                if kind in ("ok", "error") and "re" in frame:
                    waiting = self.pending.pop(frame["re"], None)
                    if waiting is not None and not waiting.done():
                        waiting.set_result(frame)
                elif kind == "error":
                    self.refusals[frame["code"]] += 1
                elif kind == "call.signal":
                    number = int(frame["signal"]["candidate"]["candidate"].split()[0].rsplit("-", 1)[1])
                    self.signals[frame["call_id"]].append(number)
        except websockets.ConnectionClosed:
            pass
        finally:
            if self.ws is ws:
                self.ws = None
            for waiting in self.pending.values():
                if not waiting.done():
                    waiting.set_exception(ConnectionError("socket closed"))
            self.pending.clear()

    async def command(self, frame: dict, key: str, *, within_s: float = 120) -> dict:
        deadline = time.monotonic() + within_s
        while time.monotonic() < deadline:
            if self.ws is None:
                await self.connect()
            frame_id = f"{self.name}-{next(self.ids)}"
            answer = asyncio.get_running_loop().create_future()
            self.pending[frame_id] = answer
            try:
                await self.ws.send(json.dumps({**frame, "id": frame_id, "key": key}))
                reply = await asyncio.wait_for(answer, 15)
            except (ConnectionError, TimeoutError, AttributeError, websockets.ConnectionClosed):
                self.resends += 1
                await self.drop()
                continue
            if reply["type"] == "error" and reply["code"] == "unavailable":
                self.unavailable += 1
                self.resends += 1
                await asyncio.sleep(0.3 + random.random() * 0.3)  # noqa: S311
                continue
            return reply
        raise AssertionError(f"{self.name}: {frame['type']} got no answer in {within_s} s")

    async def signal(self, call_id: int, number: int) -> None:
        """Fire and forget (no id, no key), as the browsers send candidates: lost in an outage."""
        candidate = {
            "candidate": {"candidate": f"candidate:{call_id}-{number} 1 udp 1 192.0.2.1 9 typ host", "sdpMid": "0"}
        }
        with contextlib.suppress(Exception):
            await self.ws.send(json.dumps({"type": "call.signal", "call_id": call_id, "signal": candidate}))

    async def drop(self) -> None:
        ws, self.ws = self.ws, None
        if ws is not None:
            with contextlib.suppress(Exception):
                await ws.close()


def _call_state(call_id: int) -> str | None:
    try:
        return Call.objects.filter(pk=call_id).values_list("state", flat=True).first()
    except Exception:  # our own session may be terminated too: reconnect on the next poll
        connections.close_all()
        return None


class Pair:
    def __init__(self, number: int, agent_peer: Peer, consumer_peer: Peer, conversation_id: int):
        self.number, self.agent, self.consumer, self.conversation_id = (
            number,
            agent_peer,
            consumer_peer,
            conversation_id,
        )
        self.acknowledged: dict[str, int] = {}  # message text -> the id its `ok` gave
        self.unanswered: list[int] = []
        self.errors: Counter = Counter()
        self.signal_number = {"agent": itertools.count(1), "consumer": itertools.count(1)}

    async def run(self, stop: asyncio.Event) -> None:
        for cycle in itertools.count(1):
            if stop.is_set():
                return
            await self.one_call(cycle)

    async def one_call(self, cycle: int) -> None:
        tag = f"p{self.number}-c{cycle}"
        invited = await self.agent.command(
            {"type": "call.invite", "conversation_id": self.conversation_id, "media": "voice"}, f"{tag}-invite"
        )
        if invited["type"] == "error":
            self.errors[f"invite {invited['code']}"] += 1
            await asyncio.sleep(1)
            return
        call_id = invited["call_id"]
        if cycle % 3 == 0:  # left unanswered: its ring timeout must fire whatever is down
            self.unanswered.append(call_id)
            await self.until_ended(call_id, within_s=RING_TIMEOUT_S + 60)
            return
        accepted = await self.consumer.command(
            {"type": "call.accept", "call_id": call_id, "client": CLIENT}, f"{tag}-accept"
        )
        if accepted["type"] == "error":
            self.errors[f"accept {accepted['code']}"] += 1
            await self.until_ended(call_id, within_s=RING_TIMEOUT_S + 60)
            return
        for peer, side in ((self.agent, "a"), (self.consumer, "c")):
            await peer.command({"type": "call.connected", "call_id": call_id}, f"{tag}-{side}-connected")
        for n in range(3):
            for peer, side, party in ((self.agent, "a", "agent"), (self.consumer, "c", "consumer")):
                text = f"{tag}-{side}-message-{n}"
                frame = {"type": "message.send", "text": text}
                if side == "a":
                    frame["conversation_id"] = self.conversation_id
                sent = await peer.command(frame, f"{tag}-{side}-m{n}")
                if sent["type"] == "ok":
                    self.acknowledged[text] = sent["message_id"]
                else:
                    self.errors[f"message {sent['code']}"] += 1
                for _ in range(3):
                    await peer.signal(call_id, next(self.signal_number[party]))
            await asyncio.sleep(0.2)
        hanging_up, side = (self.agent, "a") if cycle % 2 else (self.consumer, "c")
        ended = await hanging_up.command({"type": "call.hangup", "call_id": call_id}, f"{tag}-{side}-hangup")
        if ended["type"] == "error":  # ended meanwhile (dropped past the grace): told why in `code`
            self.errors[f"hangup {ended['code']}"] += 1
            await self.until_ended(call_id, within_s=60)

    async def until_ended(self, call_id: int, *, within_s: float) -> None:
        deadline = time.monotonic() + within_s
        while time.monotonic() < deadline:
            if await sync_to_async(_call_state)(call_id) not in (None, *Call.LIVE_STATES):
                return
            await asyncio.sleep(0.3)
        raise AssertionError(f"call {call_id} still live {within_s} s on")


def healthz(port: int, query: str = "") -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz{query}", timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def terminate_child_sessions(dsn: str) -> int:
    """pg_terminate_backend on the sessions of this test's own database opened by its child
    processes (daphne, worker, beat), never anyone else's."""
    with psycopg.connect(dsn, autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND application_name = %s",
            (connection.settings_dict["NAME"], CHILD),
        ).fetchall()
    return len(rows)


async def wait_for(check, *, within_s: float, what: str, every_s: float = 0.5):
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        result = await asyncio.to_thread(check)
        if result:
            return result
        await asyncio.sleep(every_s)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def production_shape(account):
    broker = require_real_services()
    del broker  # the test's own Redis is its broker too: killing it must hit the worker and beat
    AccountCallSettings.objects.filter(account=account).update(ring_timeout_s=RING_TIMEOUT_S, reconnect_grace_s=30)
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    redis_server = PrivateRedis()
    redis_server.start()
    env = {
        **service_env(broker=f"redis://127.0.0.1:{redis_server.port}/2"),
        "REDIS_URL": f"redis://127.0.0.1:{redis_server.port}/1",
        "CALL_SWEEP_INTERVAL_S": str(SWEEP_S),
        "CALL_HEARTBEAT_S": "1",
        "CLOCK_HEARTBEAT_S": "1",
        "CLOCK_HEARTBEAT_MAX_AGE_S": "5",
        "WS_LAYER_WATCH_S": "0.5",
        "LOG_LEVEL": "INFO",
    }
    env["DATABASE_URL"] += f"?application_name={CHILD}"
    shape: dict = {"env": env, "redis": redis_server, "processes": []}

    def started(process: Process) -> Process:
        shape["processes"].append(process)
        return process

    shape["started"] = started
    try:
        shape["worker"] = started(start_celery_worker(env, "chaos-worker"))
        shape["beat"] = started(start_celery_beat(env, "chaos-beat"))
        a, shape["a"] = start_daphne(env, "chaos-daphne-a")
        started(a)
        b, shape["b"] = start_daphne(env, "chaos-daphne-b")
        shape["daphne_b"] = started(b)
        yield shape
    finally:
        for process in shape["processes"]:
            process.stop()
        if redis_server.process is not None:
            redis_server.process.stop()


async def test_chaos_nothing_doubled_nothing_lost_nothing_stuck(account, agent, production_shape):
    shape, env = production_shape, production_shape["env"]
    port_a, port_b = shape["a"], shape["b"]
    db = connection.settings_dict
    dsn = f"host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432} user={db['USER'] or 'postgres'} dbname=postgres"
    agents = [agent] + [
        await sync_to_async(UserFactory)(account=account, email=f"chaos{n}@acme.example") for n in range(1, PAIRS)
    ]
    pairs: list[Pair] = []
    for number, user in enumerate(agents):
        agent_peer = Peer(f"a{number}", port_a, "/ws/agent/", await sync_to_async(agent_cookie)(user))
        await agent_peer.connect()
        created = await asyncio.to_thread(
            post_json, f"http://127.0.0.1:{port_b}/api/v1/conversations/", {"account": account.slug}
        )
        consumer_peer = Peer(f"c{number}", port_b, f"/ws/consumer/?token={created['consumer_token']}")
        await consumer_peer.connect()
        pairs.append(Pair(number, agent_peer, consumer_peer, created["id"]))
    # Each conversation went to the least busy online agent: the one whose socket just opened.
    conversation_agent = await sync_to_async(
        lambda: dict(
            Conversation.objects.filter(pk__in=[p.conversation_id for p in pairs]).values_list("pk", "agent_id")
        )
    )()
    assert [conversation_agent[p.conversation_id] for p in pairs] == [u.pk for u in agents]

    stop = asyncio.Event()
    running = [asyncio.create_task(pair.run(stop)) for pair in pairs]
    observed: dict = {}

    async def faults() -> None:
        await asyncio.sleep(6)
        # 1. Redis SIGKILLed with everything in flight (relays, publishes, the worker's tasks).
        shape["redis"].kill()
        await asyncio.sleep(2)
        await asyncio.to_thread(shape["redis"].start)
        await asyncio.sleep(8)
        observed["worker_outlived_redis"] = shape["worker"].popen.poll() is None
        # 2. The worker and beat stopped: the daphne processes' sweeps fire the deadlines.
        shape["worker"].stop()
        shape["beat"].stop()

        def both_stale():
            status, body = healthz(port_a)
            return (status, body) if body["worker"]["status"] == body["beat"]["status"] == "stale" else None

        status, body = await wait_for(both_stale, within_s=30, what="stale worker and beat heartbeats")
        observed["healthz_with_worker_stopped"] = (status, body["worker"]["status"], body["beat"]["status"])
        observed["healthz_local_with_worker_stopped"] = (await asyncio.to_thread(healthz, port_a, "?local=1"))[0]
        await asyncio.sleep(8)
        shape["worker"] = shape["started"](start_celery_worker(env, "chaos-worker-2"))
        shape["beat"] = shape["started"](start_celery_beat(env, "chaos-beat-2"))
        observed["healthz_after_restart"] = (
            await wait_for(lambda: healthz(port_a)[0] == 200 or None, within_s=60, what="healthz 200 again")
        ) and 200
        # 3. The consumers' daphne SIGKILLed, restarted on its port; the clients come back to it.
        shape["daphne_b"].kill()
        await asyncio.sleep(3)
        b, _ = await asyncio.to_thread(start_daphne, env, "chaos-daphne-b-2", port_b)
        shape["daphne_b"] = shape["started"](b)
        await asyncio.sleep(6)
        # 4. Every database session of the children terminated, twice.
        observed["terminated"] = await asyncio.to_thread(terminate_child_sessions, dsn)
        await asyncio.sleep(3)
        observed["terminated"] += await asyncio.to_thread(terminate_child_sessions, dsn)
        await asyncio.sleep(5)

    try:
        await faults()
    finally:
        stop.set()
    await asyncio.wait_for(asyncio.gather(*running), 180)

    # Settled: every call ended by its side or by its deadline, with the reason.
    def settled() -> bool:
        return not Call.objects.filter(state__in=Call.LIVE_STATES).exists()

    await wait_for(lambda: _retrying(settled), within_s=90, what="no live call")
    calls = await sync_to_async(
        lambda: list(Call.objects.values("id", "state", "end_reason", "created_at", "ended_at"))
    )()
    assert calls and all(c["state"] not in Call.LIVE_STATES and c["end_reason"] for c in calls), calls

    # No acknowledged message lost, none stored twice.
    stored = await sync_to_async(lambda: list(Message.objects.exclude(author="system").values_list("id", "text")))()
    texts = Counter(text for _, text in stored)
    assert [t for t, n in texts.items() if n > 1] == []
    by_text = dict((text, pk) for pk, text in stored)
    for pair in pairs:
        for text, message_id in pair.acknowledged.items():
            assert by_text.get(text) == message_id, f"acknowledged {text} lost or changed"

    # Signals: whatever arrived arrived once and in order (fire-and-forget ones may be lost).
    heard = 0
    for pair in pairs:
        for peer in (pair.agent, pair.consumer):
            for call_id, numbers in peer.signals.items():
                assert numbers == sorted(set(numbers)), f"{peer.name} heard call {call_id} out of order: {numbers}"
                heard += len(numbers)
    refusals = sum((p.refusals for pair in pairs for p in (pair.agent, pair.consumer)), Counter())
    assert heard > 0, refusals

    # Ring timeouts fired within the bound, whichever process was down at the time.
    unanswered = {call_id for pair in pairs for call_id in pair.unanswered}
    expired = [c for c in calls if c["id"] in unanswered]
    assert len(expired) >= PAIRS
    late = {
        c["id"]: (c["ended_at"] - c["created_at"] - timedelta(seconds=RING_TIMEOUT_S)).total_seconds() for c in expired
    }
    assert all(c["state"] == "expired" and c["end_reason"] == "no_answer" for c in expired)
    assert max(late.values()) <= DEADLINE_BOUND_S, late

    # The processes: the worker outlived Redis; /healthz saw the clock stop and start again.
    assert observed["worker_outlived_redis"]
    assert observed["healthz_with_worker_stopped"] == (503, "stale", "stale")
    assert observed["healthz_local_with_worker_stopped"] == 200  # the load balancer keeps the daphnes
    assert observed["healthz_after_restart"] == 200
    assert observed["terminated"] > 0
    logs = "".join(p.output() for p in shape["processes"] if "daphne" in p.name)
    assert "Exception inside application" not in logs  # no handshake answered with a server error
    assert await sync_to_async(CommandReceipt.objects.count)() > 0
    resends = sum(p.resends for pair in pairs for p in (pair.agent, pair.consumer))
    print(  # noqa: T201 - the run's figures, for the report
        f"chaos: {len(calls)} calls, {len(stored)} messages, {heard} signals, {resends} resends, "
        f"ring timeouts late by at most {max(late.values()):.2f} s, errors "
        f"{sum((pair.errors for pair in pairs), Counter())}, observed {observed}"
    )
    for pair in pairs:
        await pair.agent.drop()
        await pair.consumer.drop()


def _retrying(check):
    try:
        return check()
    except Exception:
        connections.close_all()
        return False
