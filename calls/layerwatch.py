"""Notice when the channel layer stopped carrying frames, and make this process's clients reconnect.

With Redis restarted or unreachable, a process's sockets stay open but stop hearing the other
processes: frames published meanwhile are gone, and until the layer has subscribed again (which
it does by itself only when something subscribes or reads) even new ones may not arrive. A client
cannot tell. So one watch per event loop proves, every `WS_LAYER_WATCH_S` seconds, that the layer
still delivers: it sends a numbered ping to a channel of its own through the layer (the same Redis
connections and subscriptions the sockets use) and waits for it to come back. When a ping fails or
does not come back within `WS_LAYER_WATCH_TIMEOUT_S` twice in a row, every socket of this process is closed with
4503 ("unavailable, reconnect"). The clients reconnect with backoff; a reconnect subscribes afresh,
and its `hello` carries the live call, so the call resumes where it stood (its presence lease gives
it the account's reconnect grace to do so) or, past the grace, ends `dropped` with a reason.

The in-memory layer (embedded default) cannot lose frames and is not watched.
"""

from __future__ import annotations

import asyncio
import logging
import weakref

from channels.layers import InMemoryChannelLayer
from django.conf import settings

from .relaybus import running_in_this_loop

logger = logging.getLogger(__name__)

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
