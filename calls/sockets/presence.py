"""What runs once per process (per event loop) for all its sockets: the presence heartbeat, the
watch over the channel layer, and the in-process call timer sweep of the embedded default.

One presence heartbeat per process, not one per socket.

Each side of a connecting or active call holds a lease on it (`agent_deadline`, `consumer_deadline`)
that its open sockets renew every `CALL_HEARTBEAT_S`, and each agent socket renews its online lease
(`AgentConnection.lease_until`) every third of `AGENT_LEASE_S`. Done socket by socket, that was two
queries per socket every two seconds: 400 sockets in calls made 400 queries a second, and on the
signaling benchmark the heartbeats of 200 idle call pairs took a third of the relay throughput.

So one beat per event loop renews every lease its sockets hold in a few statements (one read, one
UPDATE per side and reconnect grace, one for the agents' online leases), whatever the number of
sockets. A socket that has just learnt of a live call (a reconnect's `hello`, a call turning
`connecting`) asks for a beat at once (`soon`), so a reconnect renews its lease without waiting for
the next period; many asking together share one beat.

A failed beat (the database gone for a moment) is logged and the next one renews everything: the
leases are long (the account's reconnect grace) next to the period.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref

from channels.db import database_sync_to_async
from channels.layers import InMemoryChannelLayer
from django.conf import settings
from django.db import InterfaceError, OperationalError, connections

from calls import services
from calls.models import Call

from .relay import running_in_this_loop

logger = logging.getLogger(__name__)

# However many sockets ask for a beat at once, beats are at least this far apart.
MIN_GAP_S = 0.05


class PresenceBeat:
    def __init__(self, sockets: weakref.WeakSet) -> None:
        # The loop's sockets live in `_sockets`, not in the beat: a beat that stopped for any reason
        # is replaced by one that renews the very same sockets.
        self.sockets = sockets
        self.due = asyncio.Event()
        self.task = asyncio.get_running_loop().create_task(self._run(), name="presence-beat")

    async def _run(self) -> None:
        while True:
            # asyncio.timeout, not wait_for: Python 3.11's wait_for can swallow a cancellation that
            # meets a completed wait, and the beat would never stop.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(settings.CALL_HEARTBEAT_S):
                    await self.due.wait()
            self.due.clear()
            try:
                await self.beat()
            except (OperationalError, InterfaceError) as exc:
                # A database blip: one line, no traceback flood; the next beat renews everything.
                logger.warning("presence heartbeat failed: %s", type(exc).__name__)
                with contextlib.suppress(Exception):
                    await database_sync_to_async(connections.close_all)()
            except Exception:
                # One failed renewal must not stop the heartbeat for good: the leases would lapse and
                # the sweeper would drop healthy calls.
                logger.exception("presence heartbeat failed")
            await asyncio.sleep(MIN_GAP_S)

    async def beat(self) -> None:
        calls: dict[str, set[int]] = {"agent": set(), "consumer": set()}
        agent_channels: list[str] = []
        renewed: list = []
        now = time.monotonic()
        for socket in list(self.sockets):
            calls[socket.party].update(
                call_id for call_id, call in socket.calls.items() if call["state"] in Call.MEDIA_STATES
            )
            if socket.party == "agent" and now - socket.lease_renewed >= settings.AGENT_LEASE_S / 3:
                agent_channels.append(socket.channel_name)
                renewed.append(socket)
        if not (calls["agent"] or calls["consumer"] or agent_channels):
            return
        await database_sync_to_async(services.presence_renew)(
            agent_calls=calls["agent"], consumer_calls=calls["consumer"], agent_channels=agent_channels
        )
        for socket in renewed:
            socket.lease_renewed = now


_beats: dict[asyncio.AbstractEventLoop, PresenceBeat] = {}
_sockets: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, weakref.WeakSet] = weakref.WeakKeyDictionary()


def _beat() -> PresenceBeat:
    """This loop's beat, started (again, if it ever stopped) over this loop's sockets."""
    loop = asyncio.get_running_loop()
    sockets = _sockets.setdefault(loop, weakref.WeakSet())
    return running_in_this_loop(_beats, lambda: PresenceBeat(sockets))


def join(socket) -> None:
    """Renew this accepted socket's leases from now on (its `calls`, and the online lease of an agent
    socket, which has `lease_renewed`)."""
    _beat().sockets.add(socket)


def leave(socket) -> None:
    sockets = _sockets.get(asyncio.get_running_loop())
    if sockets is not None:
        sockets.discard(socket)


def soon() -> None:
    """A socket of this loop has just learnt of a live call: renew at once rather than at the next
    period."""
    _beat().due.set()


# --- the layer watch --------------------------------------------------------------------------------

CLOSE_UNAVAILABLE = 4503


class LayerWatch:
    def __init__(self, layer) -> None:
        self.layer = layer
        self.sockets: weakref.WeakSet = weakref.WeakSet()
        self.healthy = True
        self.seen = 0
        self.arrived = asyncio.Event()
        self.task = asyncio.get_running_loop().create_task(self._run(), name="layer-watch")

    async def _run(self) -> None:
        # One channel for the watch's life, read by a task that never stops: a receive cancelled by
        # a timeout would unsubscribe it, and a fresh channel per outage would pile up subscriptions.
        channel = await self._channel()
        receiver = asyncio.get_running_loop().create_task(self._receive_forever(channel))
        try:
            seq, misses = 0, 0
            while True:
                await asyncio.sleep(settings.WS_LAYER_WATCH_S)
                if receiver.done():  # its receive failed: listen on a fresh channel
                    channel = await self._channel()
                    receiver = asyncio.get_running_loop().create_task(self._receive_forever(channel))
                seq += 1
                try:
                    await self.layer.send(channel, {"type": "layerwatch.ping", "seq": seq})
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # Redis refused or reset the publish: down for sure
                    await self._lost(exc)
                    continue
                try:
                    await asyncio.wait_for(self._arrival(seq), settings.WS_LAYER_WATCH_TIMEOUT_S)
                except TimeoutError as exc:
                    # Published but not heard back: the subscription is gone (or the loop is very
                    # busy). Twice in a row before acting, so one slow or lost ping (the one sent
                    # just as Redis came back) does not close every socket.
                    misses += 1
                    if misses >= 2:
                        await self._lost(exc)
                    continue
                misses = 0
                if not self.healthy:
                    logger.warning("the channel layer delivers again")
                    self.healthy = True
        finally:
            receiver.cancel()

    async def _channel(self) -> str:
        while True:
            try:
                return await self.layer.new_channel("layerwatch.")
            except Exception:
                logger.warning("the layer watch cannot subscribe yet", exc_info=True)
                await asyncio.sleep(settings.WS_LAYER_WATCH_S)

    async def _receive_forever(self, channel: str) -> None:
        while True:
            message = await self.layer.receive(channel)
            self.seen = max(self.seen, message.get("seq", 0))
            self.arrived.set()

    async def _arrival(self, seq: int) -> None:
        while self.seen < seq:
            self.arrived.clear()
            await self.arrived.wait()

    async def _lost(self, exc: Exception) -> None:
        if self.healthy:
            logger.warning(
                "the channel layer stopped delivering (%s); closing %d sockets", type(exc).__name__, len(self.sockets)
            )
        self.healthy = False
        for socket in list(self.sockets):
            self.sockets.discard(socket)
            try:
                await socket.close(code=CLOSE_UNAVAILABLE)
            except Exception:  # a socket already gone
                logger.debug("closing a socket after a layer outage failed", exc_info=True)


_watches: dict[asyncio.AbstractEventLoop, LayerWatch] = {}


def watch(layer, socket) -> None:
    """Put an accepted socket under this event loop's watch (started on first use)."""
    if isinstance(layer, InMemoryChannelLayer) or settings.WS_LAYER_WATCH_S <= 0:
        return
    running_in_this_loop(_watches, lambda: LayerWatch(layer)).sockets.add(socket)


def unwatch(socket) -> None:
    current = _watches.get(asyncio.get_running_loop())
    if current is not None:
        current.sockets.discard(socket)


# --- the in-process timer sweep (every process, production included: calls/clock.py) -------------------

_sweepers: dict[int, asyncio.Task] = {}


def ensure_process_sweeper() -> None:
    """This process fires due call timers itself every CALL_SWEEP_INTERVAL_S, beside beat and the
    other processes (SKIP LOCKED), so no single process's death stops the clock."""
    if not settings.CALL_TIMERS_IN_PROCESS:
        return
    loop = asyncio.get_running_loop()
    task = _sweepers.get(id(loop))
    if task is None or task.done():
        _sweepers[id(loop)] = loop.create_task(_sweep_forever())


async def _sweep_forever() -> None:
    while True:
        await asyncio.sleep(settings.CALL_SWEEP_INTERVAL_S)
        try:
            await database_sync_to_async(services.call_sweep)()
        except (OperationalError, InterfaceError) as exc:
            # The database is away (restarted, backends terminated): one line, not a traceback every
            # interval; the next sweep catches up on everything that fell due meanwhile.
            logger.warning("in-process call sweep failed: %s", type(exc).__name__)
            with contextlib.suppress(Exception):
                await database_sync_to_async(connections.close_all)()
        except Exception:
            logger.exception("in-process call sweep failed")
