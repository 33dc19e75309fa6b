"""Relays of `call.signal` and `call.media` to the peer's sockets: in this process directly, to the
others through Redis without waiting in line.

A relay goes straight to the peer's sockets of this process (`_local_members`, serialised once), and
to other processes through the channel layer, tagged with this process's origin so that the copy this
process receives back is ignored.

Cross-process relays without waiting in line:

channels_redis's pub/sub layer publishes under one per-process lock held across a Redis round trip,
so a daphne process relays at most one frame per round trip however many calls it carries (measured:
about 1,700 frames/s at 20 call pairs on two processes, with 94 ms round trips). The relay path is
the hot one (every SDP and ICE candidate), so it publishes here instead: the frame goes into a queue
and one writer task per event loop writes everything queued in one go on its own connection, without
waiting for the replies to the previous batch (a reader task of the connection matches them to the
frames in order). `publish_to_group` returns a future that completes once Redis has the frame; a
caller that acknowledges the frame (`ok`) awaits it, so nothing is acknowledged early, and a caller
relaying a fire-and-forget frame may go on at once and learn of a failure from the future. Frames
leave in the order they were queued, so one sender's frames stay in order either way. When Redis
falls behind, the queue is bounded: past MAX_QUEUED frames, `publish_to_group` tells the caller to
wait (`Publishing.backlogged`).

Receivers are untouched: the frame is published, serialised by the channel layer itself, on the very
Redis channel the layer subscribed for the group, and arrives as any `group_send` would.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import math
import uuid
from collections import defaultdict, deque
from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

from channels.layers import InMemoryChannelLayer, get_channel_layer
from channels_redis.pubsub import RedisPubSubChannelLayer
from channels_redis.utils import _consistent_hash
from django.conf import settings
from redis.asyncio.connection import ConnectionPool
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from consoleproj import metrics

logger = logging.getLogger(__name__)

MAX_BATCH = 512
# Frames waiting for Redis beyond which senders wait for their own frame (back-pressure towards the
# sockets, whose reads then pause): a slow Redis must not grow the queue without bound.
MAX_QUEUED = 5_000
T = TypeVar("T")
IDLE_PROBE_S = 1.0
DEFAULT_REPLY_TIMEOUT_S = 5.0


class _Link:
    """One connection to Redis with the replies still owed on it, read by a task of its own, so a
    batch is written as soon as it is queued without waiting for the previous batch's replies
    (Redis answers the commands of one connection in order, so the replies match the queue of
    futures)."""

    def __init__(self, url: str) -> None:
        pool = ConnectionPool.from_url(url)  # only to read the address the way redis-py does
        self.connection = pool.connection_class(**pool.connection_kwargs)
        self.owed: deque[asyncio.Future] = deque()  # one per command written, in order
        self.replies_owed = asyncio.Event()
        self.failure: BaseException | None = None
        self.reader: asyncio.Task | None = None
        # The idle probes' PINGs among `owed`: no relay is lost when only they fail.
        self.probes: set[asyncio.Future] = set()

    async def write(self, commands: list[tuple], futures: list[asyncio.Future]) -> None:
        if self.reader is None:
            await self.connection.connect()
            self.reader = asyncio.get_running_loop().create_task(self._read_forever(), name="relaybus-replies")
        self.owed.extend(futures)
        self.replies_owed.set()
        await self.connection.send_packed_command(self.connection.pack_commands(commands), check_health=False)

    async def _read_forever(self) -> None:
        try:
            while True:
                if not self.owed:
                    self.replies_owed.clear()
                    await self.replies_owed.wait()
                    continue
                # The replies owed now, under one deadline (the connection's socket_timeout, redis-py's
                # 5 s): read only while replies are owed, so running out of it means Redis is late,
                # and the link fails rather than hang. One deadline per drain, not per reply.
                async with asyncio.timeout(self.connection.socket_timeout or DEFAULT_REPLY_TIMEOUT_S):
                    for _ in range(len(self.owed)):
                        await self.connection.read_response(timeout=math.inf)
                        done = self.owed.popleft()
                        if not done.done():
                            done.set_result(None)
        except BaseException as exc:
            self.fail(exc)
            if not isinstance(exc, Exception):
                raise

    def fail(self, exc: BaseException) -> None:
        """Every frame still owed a reply gets the error (it may or may not have reached Redis;
        it is never sent again, which could deliver it twice), as a RedisError, which the sockets
        answer `unavailable`."""
        exc = as_redis_error(exc)
        if self.failure is None:
            self.failure = exc
            # An idle connection that closed owes nothing, and a failed idle probe (a PING after a
            # quiet second, typically on a connection Redis dropped when it restarted) loses no
            # relay: neither is worth a warning, the connection is replaced.
            frames = sum(1 for done in self.owed if done not in self.probes)
            if frames:
                logger.warning("relay publish of %d frames failed: %s", frames, type(exc).__name__)
            else:
                logger.debug("idle relay connection dropped (%s); a new one is opened", type(exc).__name__)
        while self.owed:
            done = self.owed.popleft()
            if not done.done():
                done.set_exception(exc)

    async def close(self) -> None:
        if self.reader is not None:
            self.reader.cancel()
        with contextlib.suppress(Exception):
            await self.connection.disconnect(nowait=True)


class _Publisher:
    def __init__(self, url: str, group_prefix: str = "", serialize: Callable[[dict], bytes] | None = None) -> None:
        self.url = url
        # The layer's own channel name prefix for groups and its own serialisation: its subscribers
        # (in every process) receive what is published here exactly as a group_send.
        self.group_prefix = group_prefix
        self.serialize = serialize
        self.link: _Link | None = None
        self.last_sent = 0.0
        self.queue: deque[tuple[str, bytes, asyncio.Future, float]] = deque()
        self.wakeup = asyncio.Event()
        self.task = asyncio.get_running_loop().create_task(self._run(), name="relaybus-publisher")

    def publish(self, channel: str, data: bytes) -> asyncio.Future:
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        self.queue.append((channel, data, done, loop.time()))
        self.wakeup.set()
        return done

    def pending(self) -> int:
        """Frames queued or written and not yet acknowledged by Redis."""
        return len(self.queue) + (len(self.link.owed) if self.link is not None else 0)

    async def _run(self) -> None:
        try:
            await self._drain_forever()
        finally:  # cancelled or broken: nobody may wait for a batch that will never be sent
            stopped = RedisConnectionError("the relay publisher stopped")
            while self.queue:
                _, _, done, _ = self.queue.popleft()
                if not done.done():
                    done.set_exception(stopped)
            if self.link is not None:
                self.link.fail(stopped)
                await self.link.close()

    async def _current_link(self) -> _Link:
        """The live connection; a failed one is dropped for a new one (a reconnect after a Redis
        restart)."""
        if self.link is not None and self.link.failure is not None:
            await self.link.close()
            self.link = None
        if self.link is None:
            self.link = _Link(self.url)
        return self.link

    async def _drain_forever(self) -> None:
        while True:
            await self.wakeup.wait()
            self.wakeup.clear()
            await self._probe_if_idle()
            while self.queue:
                batch = [self.queue.popleft() for _ in range(min(len(self.queue), MAX_BATCH))]
                futures = [done for _, _, done, _ in batch]
                link = await self._current_link()
                futures[-1].add_done_callback(functools.partial(_observe_publish, batch[0][3]))
                try:
                    await link.write([("PUBLISH", channel, data) for channel, data, _, _ in batch], futures)
                except Exception as exc:  # Redis down: every waiting sender gets the error
                    link.fail(exc)
                    for done in futures:  # those of a batch that never got as far as the socket
                        if not done.done():
                            done.set_exception(as_redis_error(exc))
                    continue
                self.last_sent = asyncio.get_running_loop().time()

    async def _probe_if_idle(self) -> None:
        """After a quiet second, PING before the batch: if Redis restarted meanwhile, the dead
        connection fails the PING (and is dropped) instead of the batch, which then goes out on a
        fresh one. A failed batch is never retried: it may have reached Redis, and a retry could
        deliver its frames twice."""
        link = self.link
        if asyncio.get_running_loop().time() - self.last_sent < IDLE_PROBE_S or link is None or link.failure:
            return  # no link, or one already failed: the batch goes out on a fresh connection
        probe = asyncio.get_running_loop().create_future()
        probe.add_done_callback(_retrieve)
        link.probes.add(probe)
        probe.add_done_callback(link.probes.discard)
        try:
            await link.write([("PING",)], [probe])
            await probe  # answered, or failed by the reader (Redis gone, or late past socket_timeout)
        except Exception as exc:  # a Redis really down is reported by the batch itself
            link.fail(exc)


def as_redis_error(exc: BaseException) -> RedisError:
    """The failure as redis-py's own kind (a bare TimeoutError or a cancellation otherwise), which
    the sockets report as `unavailable`."""
    if isinstance(exc, RedisError):
        return exc
    failure = RedisConnectionError(f"relay publish failed: {type(exc).__name__}")
    failure.__cause__ = exc
    return failure


def _observe_publish(queued_at: float, done: asyncio.Future) -> None:
    """The batch's oldest frame, from queued to acknowledged (failed batches are not latencies)."""
    if not done.cancelled() and done.exception() is None:
        metrics.relay_published(asyncio.get_running_loop().time() - queued_at)


def _retrieve(future: asyncio.Future) -> None:
    """Mark a future's exception as seen (a probe's failure is reported through its link)."""
    if not future.cancelled():
        future.exception()


_publishers: dict[asyncio.AbstractEventLoop, _Shards] = {}


def running_in_this_loop(registry: dict, start: Callable[[], T]) -> T:
    """The one background worker of this event loop kept in `registry` (an object with a `task`),
    started afresh if there is none or its task ended; entries of closed loops (finished tests,
    sync_to_async bridges) are dropped on the way."""
    loop = asyncio.get_running_loop()
    current = registry.get(loop)
    if current is None or current.task.done():
        for old_loop in [other for other in registry if other.is_closed()]:
            del registry[old_loop]
        current = registry[loop] = start()
    return current


def layer_redis_urls() -> list[str] | None:
    """The Redis instances the channel layer publishes to, in the layer's order, when each is a plain
    address (our settings make them so: CHANNEL_REDIS_URLS); otherwise None, and relays go through
    the layer's own group_send (sentinel set-ups pick hosts in ways this module does not copy)."""
    layer: dict[str, Any] = settings.CHANNEL_LAYERS["default"]
    hosts = layer.get("CONFIG", {}).get("hosts", [])
    urls: list[str] = []
    for host in hosts:
        if isinstance(host, str):
            urls.append(host)
        elif isinstance(host, dict) and set(host) == {"address"}:
            urls.append(host["address"])
        else:
            return None
    return urls or None


def shard_index(channel: str, shards: int) -> int:
    """Which of the layer's Redis instances carries `channel`: channels-redis's own consistent hash,
    the one its `_get_shard` uses to subscribe, so a relay is published where its group listens."""
    return _consistent_hash(channel, shards)


class Publishing(NamedTuple):
    sent: asyncio.Future  # done once Redis has the frame; its exception if the batch failed
    backlogged: bool  # the queue is past MAX_QUEUED: the caller should await `sent`


class _Shards:
    """One publisher per Redis instance of the layer (each its own connection and batches), for one
    event loop; a publisher whose task ended is replaced on its next use."""

    def __init__(self) -> None:
        layer = get_channel_layer()
        urls = layer_redis_urls()
        if urls is None:  # publish_to_group's callers check layer_redis_urls() first
            raise RuntimeError("the relay publisher needs the channel layer on plain Redis addresses")
        self.urls = urls
        self.group_prefix = layer._get_layer()._get_group_channel_name("")
        self.serialize = layer.serialize
        self.publishers = [self._start(url) for url in self.urls]
        self.task = asyncio.get_running_loop().create_future()  # never done: the set lives with its loop

    def _start(self, url: str) -> _Publisher:
        return _Publisher(url, self.group_prefix, self.serialize)

    def for_channel(self, channel: str) -> _Publisher:
        index = shard_index(channel, len(self.publishers))
        publisher = self.publishers[index]
        if publisher.task.done():
            publisher = self.publishers[index] = self._start(self.urls[index])
        return publisher


def publish_to_group(group: str, message: dict) -> Publishing:
    """`channel_layer.group_send(group, message)` for the Redis pub/sub layer on plain Redis
    addresses (callers check `layer_redis_urls()` once), batched, on the shard the layer itself
    uses for the group; see the module's docstring for when to await the result."""
    shards = running_in_this_loop(_publishers, _Shards)
    channel = shards.group_prefix + group
    publisher = shards.for_channel(channel)
    sent = publisher.publish(channel, shards.serialize(message))
    return Publishing(sent, publisher.pending() > MAX_QUEUED)


# --- the sockets' side: local delivery and the choice of path ---------------------------------------

# Sockets of this process by group, for relays that skip the channel layer when the peer is here.
# A socket is listed only once accepted (a relay must never reach a socket still handshaking).
_local_members: dict[str, set] = defaultdict(set)

# Tags relays published to a cross-process layer, so this process ignores its own copy.
PROCESS_ORIGIN = uuid.uuid4().hex

# Tasks started from callbacks, kept referenced until they finish.
_background: set[asyncio.Task] = set()


def keep_until_done(task: asyncio.Task) -> None:
    _background.add(task)
    task.add_done_callback(_background.discard)


def layer_is_local(layer) -> bool:
    """With the in-memory layer every socket lives in this process, so local delivery is complete."""
    return isinstance(layer, InMemoryChannelLayer)


def relays_via_bus(layer) -> bool:
    """Relays to other processes go through the batched publisher when it can publish where the
    layer subscribes (plain Redis addresses, sharded or not); otherwise through the layer's group_send."""
    return isinstance(layer, RedisPubSubChannelLayer) and layer_redis_urls() is not None


def join_local(socket, groups: list[str]) -> None:
    for group in groups:
        _local_members[group].add(socket)


def local_members(group: str) -> frozenset:
    """The accepted sockets of `group` in this process."""
    return frozenset(_local_members.get(group, ()))


def leave_local(socket, groups: list[str]) -> None:
    for group in groups:
        members = _local_members.get(group)
        if members is not None:
            members.discard(socket)
            if not members:
                del _local_members[group]


async def relay(sender, groups: list[str], frame: dict, *, acknowledged: bool = True) -> None:
    """To the sockets of `groups`: directly to those in this process (serialised once), and through
    the channel layer to other processes. Frames of one sender stay in order on both paths.

    `acknowledged`: the sender gets `ok` for this frame, so return only once Redis has it; a
    fire-and-forget frame returns once queued (the socket's next frame need not wait for Redis),
    and a failed publish reaches the sender (`sender.relay_failed`) as an `unavailable` error all the
    same."""
    text = json.dumps(frame, separators=(",", ":"))
    for group in groups:
        for member in tuple(_local_members.get(group, ())):
            try:
                metrics.frame_out(member.party, frame["type"])
                await member.send(text_data=text)
            except Exception:  # one closing peer socket must not stop the others' delivery
                logger.warning("relay to a %s socket failed", member.party, exc_info=True)
        if sender.layer_is_local:
            continue
        message = {"type": "deliver", "text": text, "origin": PROCESS_ORIGIN, "kind": frame["type"]}
        if sender.relay_via_bus:
            publishing = publish_to_group(group, message)  # batched with every other relay in flight
            if acknowledged or publishing.backlogged:
                await publishing.sent
            else:
                publishing.sent.add_done_callback(sender.relay_failed)
        else:
            await sender.channel_layer.group_send(group, message)
