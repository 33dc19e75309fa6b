"""WebSocket consumers for agents (`/ws/agent/`) and consumers (`/ws/consumer/?token=`).

They authenticate before handling anything, validate every frame against its schema, and hand
commands to `calls.services`; they never change a row themselves. `call.signal` frames are relayed
to the other side without touching the database: each socket keeps the live calls it belongs to,
learnt from `hello` and the `call.state` frames pushed to it, and authorises relays from that.
Nothing of a relayed frame (SDP, candidates) is logged or stored.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import time
import uuid
from collections import defaultdict
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import InMemoryChannelLayer, get_channel_layer
from channels_redis.pubsub import RedisPubSubChannelLayer
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import InterfaceError, OperationalError, connections
from pydantic import ValidationError
from redis.exceptions import RedisError

from accounts.models import User

from . import layerwatch, presence, services
from .events import account_agents_group, account_live_group, agent_group, consumer_group, user_access_group
from .models import Call, Conversation
from .relaybus import layer_redis_url, publish_to_group
from .schemas import AGENT_FRAMES, CONSUMER_FRAMES, Frame, describe
from .selectors import agent_hello, consumer_hello
from .tokens import conversation_id_from_token

logger = logging.getLogger(__name__)

CLOSE_NOT_AUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_TOO_MANY_SOCKETS = 4429
CLOSE_FLOODING = 4008
MEDIA_STATES = {Call.State.CONNECTING, Call.State.ACTIVE}


class TokenBucket:
    """Per-socket rate limit: `burst` frames at once, refilled at `rate` per second."""

    def __init__(self, burst: int, rate: float):
        self.capacity, self.rate = float(burst), rate
        self.tokens, self.stamp = float(burst), time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True

    def is_full(self) -> bool:
        return self.tokens + (time.monotonic() - self.stamp) * self.rate >= self.capacity


_sweepers: dict[int, asyncio.Task] = {}

# Returned by a handler that answered the frame itself (with `re`), so no `ok` follows.
ANSWERED = object()

# Sockets of this process by group, for relays that skip the channel layer when the peer is here.
# A socket is listed only once accepted (a relay must never reach a socket still handshaking).
_local_members: dict[str, set[CallSocket]] = defaultdict(set)
# Sockets held per agent / per consumer conversation in this process, reserved synchronously before
# the first await of a handshake, so concurrent handshakes cannot all slip under the cap.
_slots: dict[str, int] = defaultdict(int)


def take_slot(key: str, limit: int) -> bool:
    """Take one of the `limit` sockets this process allows one agent, one consumer token or one
    admin's live panels (a cap per process: behind a balancer over N processes a client holds at
    most N x limit). Synchronous: no await between the check and the take."""
    if _slots[key] >= limit:
        return False
    _slots[key] += 1
    return True


# Rate buckets per client (an agent, a consumer token's conversation, an admin's live panels),
# shared by its sockets and kept after they close, so reconnecting does not refill a flooder's
# tokens; and when a client was closed for flooding, until when its new sockets are refused.
_buckets: dict[str, TokenBucket] = {}
_flood_banned_until: dict[str, float] = {}
MAX_KEPT_BUCKETS = 10_000


def bucket_for(key: str) -> TokenBucket:
    bucket = _buckets.get(key)
    if bucket is None:
        if len(_buckets) >= MAX_KEPT_BUCKETS:
            _forget_idle_clients()
        bucket = _buckets[key] = TokenBucket(settings.WS_RATE_BURST, settings.WS_RATE_PER_S)
    return bucket


def _forget_idle_clients() -> None:
    """Keep the per-client tables bounded: a full bucket is the same as a new one, so forgetting
    it changes nobody's limit; expired bans go too. If every kept bucket is still refilling, the
    ones untouched longest go (their clients get a fresh burst: the daphne guard still holds)."""
    now = time.monotonic()
    for key in [k for k, until in _flood_banned_until.items() if until <= now]:
        del _flood_banned_until[key]
    for key in [k for k, b in _buckets.items() if b.is_full() and k not in _slots]:
        del _buckets[key]
    if len(_buckets) >= MAX_KEPT_BUCKETS:
        oldest = sorted(_buckets, key=lambda k: _buckets[k].stamp)[: len(_buckets) // 2]
        for key in oldest:
            del _buckets[key]


def flood_banned(key: str) -> bool:
    until = _flood_banned_until.get(key)
    if until is not None and time.monotonic() >= until:
        del _flood_banned_until[key]
        return False
    return until is not None


def reserve_slot(key: str, limit: int) -> int | None:
    """Take one of a client's socket slots: None, or the close code refusing the socket (4008 while
    the client is banned for flooding, 4429 when it holds `limit` already)."""
    if flood_banned(key):
        return CLOSE_FLOODING
    if not take_slot(key, limit):
        return CLOSE_TOO_MANY_SOCKETS
    return None


async def lost_access(user_id: int, *, admin: bool) -> int | None:
    """Whether a user still may hold its socket (active, its account active and, for the live panel,
    still an account admin): None, or the close code (4401 deactivated or gone, 4403 otherwise)."""
    user = await database_sync_to_async(
        lambda: User.objects.filter(pk=user_id).values("is_active", "role", "account__active").first()
    )()
    if user is None or not user["is_active"]:
        return CLOSE_NOT_AUTHENTICATED
    if not user["account__active"] or (admin and user["role"] != User.Role.ADMIN):
        return CLOSE_FORBIDDEN
    return None


async def leave_groups(socket: AsyncWebsocketConsumer, groups: list[str]) -> None:
    """Leave these channel-layer groups; a failure (Redis down) is logged, not raised."""
    for group in groups:
        try:
            await socket.channel_layer.group_discard(group, socket.channel_name)
        except Exception:
            logger.warning("leaving group %s failed", group, exc_info=True)


def reset_limits() -> None:
    """Forget every rate bucket and flood ban of this process (tests)."""
    _buckets.clear()
    _flood_banned_until.clear()


def give_back_slot(key: str | None) -> None:
    if key is not None:
        _slots[key] -= 1
        if _slots[key] <= 0:
            del _slots[key]


# Tasks started from callbacks, kept referenced until they finish.
_background: set[asyncio.Task] = set()

# Tags relays published to a cross-process layer, so this process ignores its own copy.
PROCESS_ORIGIN = uuid.uuid4().hex


def ensure_process_sweeper() -> None:
    """Embedded default (eager Celery, no beat): this process fires call timers itself."""
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
        except Exception:
            logger.exception("in-process call sweep failed")


async def dispatch_in_turn(dispatch, *sources) -> None:
    """What Channels' `await_many_dispatch` does, for less per message: each source (the socket,
    the channel layer) is read by its own task, and `dispatch` handles one message at a time (a
    lock), so a handler never runs beside another and each source's messages keep their order.
    `await_many_dispatch` waits on `asyncio.wait` and makes a new task for every message, which was
    a tenth of a relay's cost. Returns, or raises, when a dispatch raises (StopConsumer included)."""
    turn = asyncio.Lock()
    stopping = False

    async def pump(source) -> None:
        nonlocal stopping
        while True:
            message = await source()
            async with turn:
                if stopping:
                    return
                try:
                    await dispatch(message)
                except BaseException:
                    stopping = True  # before the lock goes to a pump waiting with a message
                    raise

    pumps = [asyncio.ensure_future(pump(source)) for source in sources]
    try:
        done, _ = await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        # Nothing is handled after the end (a StopConsumer, an error), but a handler of the other
        # source still running when a source failed on its own finishes first, as with Channels,
        # which awaits handlers inline.
        stopping = True
        async with turn:
            for task in pumps:
                task.cancel()
        for task in done:
            task.result()
    finally:
        for task in pumps:
            task.cancel()
        # Every pump finished before returning (the one that raised has its error raised above).
        await asyncio.gather(*pumps, return_exceptions=True)


async def refuse_flood(socket: AsyncWebsocketConsumer, what: str) -> None:
    """A frame over the client's rate limit: answered `rate_limited`; after WS_FLOOD_CLOSE_AFTER
    such frames in a row (a client that does not slow down), the socket is closed with 4008 and the
    client's new sockets are refused with 4008 for WS_FLOOD_BAN_S. Every frame a flooder sends
    costs the server its parsing whatever we answer, so only closing the connection protects the
    other calls of the process (bench/flood.py)."""
    socket.refused_in_a_row = getattr(socket, "refused_in_a_row", 0) + 1
    if socket.refused_in_a_row < settings.WS_FLOOD_CLOSE_AFTER:
        await socket.send(text_data=RATE_LIMITED)
        return
    if socket.refused_in_a_row == settings.WS_FLOOD_CLOSE_AFTER:
        logger.warning("closing a flooding %s", what)
        socket.refused = True  # the frames still buffered are not handled
        key = getattr(socket, "slot_key", None)
        if key is not None:
            _flood_banned_until[key] = time.monotonic() + settings.WS_FLOOD_BAN_S
        await socket.close(code=CLOSE_FLOODING)


RATE_LIMITED = json.dumps({"type": "error", "code": "rate_limited", "message": "Too many frames; slow down."})


class CallSocket(AsyncWebsocketConsumer):
    """What both sockets share: refusal codes, frame parsing and limits, relays, heartbeats."""

    party: str
    frames: dict[str, type[Frame]]
    handlers: dict[str, str]

    async def __call__(self, scope, receive, send):
        """Channels' `AsyncConsumer.__call__` with a leaner loop (`dispatch_in_turn`), and the
        socket's set-up undone however it ends: daphne cancels an application that has not finished
        `application_close_timeout` after its connection went, and a cancelled consumer never runs
        `disconnect`."""
        self.scope = scope
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        self.channel_name = await self.channel_layer.new_channel()
        self.base_send = send
        try:
            await dispatch_in_turn(
                self.dispatch, receive, functools.partial(self.channel_layer.receive, self.channel_name)
            )
        except StopConsumer:
            pass
        finally:
            await self.clean_up()

    async def dispatch(self, message: dict) -> None:
        """Channels' dispatch without its per-message `aclose_old_connections()`: that is a hop to the
        sync thread for every frame, relays included, and it doubled the relay latency. Every
        database access of these sockets goes through `database_sync_to_async`, which closes stale
        connections itself before and after each call."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def refuse(self, code: int) -> None:
        # A close before the handshake reaches a browser as a bare 1006; accepting first lets the
        # client read 4401/4403. No frame of a refused socket is ever handled.
        await self.accept()
        await self.close(code=code)
        self.refused = True

    def reserve(self, key: str, limit: int) -> int | None:
        """Take one of the client's socket slots; None, or the close code refusing the socket."""
        refusal = reserve_slot(key, limit)
        if refusal is None:
            self.slot_key = key
        return refusal

    def release_slot(self) -> None:
        key, self.slot_key = getattr(self, "slot_key", None), None
        give_back_slot(key)

    async def begin(self, groups: list[str]) -> None:
        self.refused = False
        self.groups_joined = groups
        self.calls: dict[int, dict] = {}  # live calls of this side: {call_id: {state, conversation_id, agent_id}}
        self.bucket = bucket_for(self.slot_key)
        # With the in-memory layer every socket lives in this process, so local delivery is complete.
        self.layer_is_local = isinstance(self.channel_layer, InMemoryChannelLayer)
        # Relays to other processes go through the batched relaybus when it can publish where the
        # layer subscribes (one plain Redis address); otherwise through the layer's group_send.
        self.relay_via_bus = isinstance(self.channel_layer, RedisPubSubChannelLayer) and layer_redis_url() is not None
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        for group in groups:
            _local_members[group].add(self)
        layerwatch.watch(self.channel_layer, self)
        self.lease_renewed = time.monotonic()  # an agent socket's online lease was just opened
        presence.join(self)
        ensure_process_sweeper()

    async def fail_handshake(self) -> None:
        """Something broke after `begin` (the database, the layer): log it, undo what was set up and
        close with 4503 (try again), so nothing stays counted or subscribed for a socket that is gone.
        (Not 1011: daphne's WebSocket library only sends 1000 and 3000-4999 and raises on others.)"""
        logger.exception("a %s socket failed while connecting", self.party)
        self.refused = True
        await self.clean_up()
        await self.close(code=layerwatch.CLOSE_UNAVAILABLE)

    async def clean_up(self) -> None:
        """Undo `begin`; safe to call twice. The in-process tables first (no await can stop that),
        then the channel layer, whose failure (Redis down) is logged, not raised."""
        if getattr(self, "cleaned_up", False):
            return
        self.cleaned_up = True
        presence.leave(self)
        layerwatch.unwatch(self)
        groups = getattr(self, "groups_joined", [])
        for group in groups:
            members = _local_members.get(group)
            if members is not None:
                members.discard(self)
                if not members:
                    del _local_members[group]
        self.release_slot()
        await leave_groups(self, groups)

    async def disconnect(self, code: int) -> None:
        await self.clean_up()

    # --- outbound -----------------------------------------------------------------------------

    async def send_frame(self, frame: dict) -> None:
        await self.send(text_data=json.dumps(frame, separators=(",", ":"), cls=DjangoJSONEncoder))

    async def send_error(self, code: str, message: str, re: object = None) -> None:
        frame = {"type": "error", "code": code, "message": message}
        if re is not None:
            frame["re"] = re
        await self.send_frame(frame)

    async def deliver(self, event: dict) -> None:
        """A frame pushed by the services, or relayed by a peer in another process (as its text,
        serialised once by the sender)."""
        if event.get("origin") == PROCESS_ORIGIN:
            return  # a relay from this process: its local members already have it
        if "text" in event:
            await self.send(text_data=event["text"])
            return
        frame = event["frame"]
        if frame.get("type") == "call.state":
            self.remember_call(frame["call"])
        await self.send_frame(frame)

    def remember_call(self, call: dict | None) -> None:
        if call is None:
            return
        if call["state"] in Call.LIVE_STATES:
            known = self.calls.get(call["id"])
            self.calls[call["id"]] = {k: call[k] for k in ("state", "conversation_id", "agent_id")}
            if call["state"] in MEDIA_STATES and (known is None or known["state"] not in MEDIA_STATES):
                presence.soon()  # this side's lease from now on, not from the next period
        else:
            self.calls.pop(call["id"], None)

    # --- inbound ------------------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if getattr(self, "refused", True):
            return
        # The token first: a flood of binary or oversized frames is still a flood.
        if not self.bucket.take():
            await refuse_flood(self, f"{self.party} socket")
            return
        self.refused_in_a_row = 0
        if bytes_data is not None:
            await self.send_error("bad_request", "Frames are JSON text, not binary.")
            return
        if len(text_data.encode()) > settings.WS_MAX_FRAME_BYTES:
            await self.send_error("too_large", f"Frames are limited to {settings.WS_MAX_FRAME_BYTES} bytes.")
            return
        try:
            raw = json.loads(text_data)
        except (ValueError, RecursionError):
            await self.send_error("bad_request", "A frame must be a JSON object.")
            return
        if not isinstance(raw, dict):
            await self.send_error("bad_request", "A frame must be a JSON object.")
            return
        frame_id = raw.get("id")
        re = frame_id if isinstance(frame_id, (str, int)) and not isinstance(frame_id, bool) else None
        frame_type = raw.get("type")
        if not isinstance(frame_type, str):
            await self.send_error("bad_request", "A frame needs a string `type`.", re)
            return
        schema = self.frames.get(frame_type)
        if schema is None:
            await self.send_error("unknown_type", f"Unknown frame type for a {self.party} socket.", re)
            return
        try:
            frame = schema.model_validate(raw)
        except ValidationError as exc:
            await self.send_error("bad_request", describe(exc), re)
            return
        handler = getattr(self, self.handlers[frame_type])
        try:
            result = await handler(frame, raw)
        except services.CallError as exc:
            await self.send_error(exc.code, exc.message, re)
            return
        except RedisError:
            # The cross-process relay could not be published (Redis down): peers in this process
            # may already have the frame; the client resends after a reconnect, as for any drop.
            logger.warning("channel layer unavailable while handling a %s frame", frame_type)
            await self.send_error("unavailable", "The service is briefly unavailable; try again.", re)
            return
        except (OperationalError, InterfaceError):
            # The database is unreachable for a moment: the frame's transaction rolled back (nothing
            # half-written) and the client may send it again.
            logger.warning("database unavailable while handling a %s frame", frame_type)
            # Drop the broken connection of the database thread now, so the next frame connects afresh.
            await database_sync_to_async(connections.close_all)()
            await self.send_error("unavailable", "The service is briefly unavailable; try again.", re)
            return
        except Exception:
            # Never a server error towards the client, never a closed socket; the frame is not logged
            # (it may carry SDP), only its type.
            logger.exception("handling a %s frame failed", frame_type)
            await self.send_error("bad_request", "The frame could not be handled.", re)
            return
        if re is not None and result is not ANSWERED:
            await self.send_frame({"type": "ok", "re": re, **(result or {})})

    # --- call frames shared by both sides ---------------------------------------------------------

    def party_kwargs(self) -> dict:
        raise NotImplementedError

    def peer_groups(self, call: dict) -> list[str]:
        raise NotImplementedError

    def media_call(self, call_id: int) -> dict:
        call = self.calls.get(call_id)
        if call is None:
            raise services.CallError("not_found", "No such call.")
        if call["state"] not in MEDIA_STATES:
            raise services.CallError("invalid_state", f"The call is {call['state']}.")
        return call

    async def relay(self, call: dict, frame: dict, *, acknowledged: bool = True) -> None:
        """To the peer's sockets: directly to those in this process (serialised once), and through the
        channel layer to other processes. Frames of one sender stay in order on both paths.

        `acknowledged`: the sender gets `ok` for this frame, so return only once Redis has it; a
        fire-and-forget frame returns once queued (the socket's next frame need not wait for Redis),
        and a failed publish reaches the sender as an `unavailable` error all the same."""
        text = json.dumps(frame, separators=(",", ":"))
        for group in self.peer_groups(call):
            for member in tuple(_local_members.get(group, ())):
                try:
                    await member.send(text_data=text)
                except Exception:  # one closing peer socket must not stop the others' delivery
                    logger.warning("relay to a %s socket failed", member.party, exc_info=True)
            if self.layer_is_local:
                continue
            message = {"type": "deliver", "text": text, "origin": PROCESS_ORIGIN}
            if self.relay_via_bus:
                publishing = publish_to_group(group, message)  # batched with every other relay in flight
                if acknowledged or publishing.backlogged:
                    await publishing.sent
                else:
                    publishing.sent.add_done_callback(self.relay_failed)
            else:
                await self.channel_layer.group_send(group, message)

    def relay_failed(self, sent: asyncio.Future) -> None:
        """A fire-and-forget relay Redis did not take: the sender hears `unavailable`, as it would
        have for an acknowledged one."""
        if sent.cancelled() or sent.exception() is None:
            return
        # During an outage every trickled candidate fails: one report a second per socket is enough
        # for the client to know (and the layer watch closes the sockets if Redis stays gone).
        now = time.monotonic()
        if getattr(self, "cleaned_up", False) or now - getattr(self, "relay_failure_reported", -1e9) < 1:
            return
        self.relay_failure_reported = now
        logger.warning("channel layer unavailable for a relayed frame: %s", type(sent.exception()).__name__)
        task = asyncio.get_running_loop().create_task(self.report_unavailable())
        _background.add(task)
        task.add_done_callback(_background.discard)

    async def report_unavailable(self) -> None:
        try:
            await self.send_error("unavailable", "The service is briefly unavailable; try again.")
        except Exception:  # the socket is closing: nothing to tell
            logger.debug("reporting a failed relay to a closing socket failed", exc_info=True)

    async def on_signal(self, frame, raw) -> None:
        call = self.media_call(frame.call_id)
        # Relayed verbatim (the validated client dict), never stored or logged. The browsers send
        # signals without `id` (fire and forget), so they do not wait for Redis.
        await self.relay(
            call,
            {"type": "call.signal", "call_id": frame.call_id, "from": self.party, "signal": raw["signal"]},
            acknowledged=frame.id is not None,
        )

    async def on_media(self, frame, raw) -> None:
        call = self.media_call(frame.call_id)
        await database_sync_to_async(services.call_media_change)(
            call_id=frame.call_id,
            party=self.party,
            audio=frame.audio,
            video=frame.video,
            camera=frame.camera,
            **self.party_kwargs(),
        )
        await self.relay(
            call,
            {
                "type": "call.media",
                "call_id": frame.call_id,
                "from": self.party,
                "audio": frame.audio,
                "video": frame.video,
                "camera": frame.camera,
            },
        )

    async def on_stats(self, frame, raw) -> None:
        self.media_call(frame.call_id)
        await database_sync_to_async(services.call_stats_sample)(
            call_id=frame.call_id,
            party=self.party,
            stats=frame.stats.model_dump(exclude_none=True),
            **self.party_kwargs(),
        )

    async def on_connected(self, frame, raw) -> None:
        await database_sync_to_async(services.call_connected)(
            call_id=frame.call_id, party=self.party, **self.party_kwargs()
        )

    async def on_ice(self, frame, raw) -> object:
        ice = await database_sync_to_async(services.call_ice_refresh)(
            call_id=frame.call_id, party=self.party, **self.party_kwargs()
        )
        await self.send_frame(
            {
                "type": "call.ice",
                "call_id": frame.call_id,
                "ice": ice,
                **({"re": frame.id} if frame.id is not None else {}),
            }
        )
        return ANSWERED

    async def on_hangup(self, frame, raw) -> None:
        await database_sync_to_async(services.call_hangup)(
            call_id=frame.call_id, party=self.party, reason=frame.reason or "", **self.party_kwargs()
        )


class AgentConsumer(CallSocket):
    """`/ws/agent/`: a logged-in agent (Django session; the Origin was checked by the ASGI stack)."""

    party = "agent"
    frames = AGENT_FRAMES
    handlers = {
        "conversation.take": "on_take",
        "conversation.close": "on_close",
        "message.send": "on_message",
        "call.invite": "on_invite",
        "call.signal": "on_signal",
        "call.connected": "on_connected",
        "call.media": "on_media",
        "call.stats": "on_stats",
        "call.ice": "on_ice",
        "call.hangup": "on_hangup",
    }

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.refuse(CLOSE_NOT_AUTHENTICATED)
            return
        account_active = user.account_id is not None and await database_sync_to_async(lambda: user.account.active)()
        if not user.is_active or not account_active:
            # No account (support staff), or a paused account: its conversations and calls are paused.
            await self.refuse(CLOSE_FORBIDDEN)
            return
        self.user = user
        refusal = self.reserve(agent_group(user.pk), settings.WS_MAX_SOCKETS_PER_AGENT)
        if refusal is not None:
            await self.refuse(refusal)
            return
        try:
            await self.begin([agent_group(user.pk), account_agents_group(user.account_id), user_access_group(user.pk)])
            await database_sync_to_async(services.agent_connection_open)(agent=user, channel_name=self.channel_name)
            hello = await database_sync_to_async(agent_hello)(agent=user)
        except Exception:
            await self.fail_handshake()
            return
        self.remember_call(hello["call"])
        await self.send_frame(hello)

    async def access_recheck(self, event: dict) -> None:
        """The user or the account changed: close if this agent may no longer hold the socket."""
        if getattr(self, "refused", True):
            return
        refusal = await lost_access(self.user.pk, admin=False)
        if refusal is not None:
            self.refused = True
            await self.close(code=refusal)

    async def clean_up(self) -> None:
        registered = not getattr(self, "cleaned_up", False) and hasattr(self, "groups_joined")
        await super().clean_up()
        if registered:
            try:
                await database_sync_to_async(services.agent_connection_close)(channel_name=self.channel_name)
            except Exception:  # the lease expires by itself
                logger.warning("closing an agent connection failed", exc_info=True)

    def party_kwargs(self) -> dict:
        return {"agent": self.user}

    def peer_groups(self, call: dict) -> list[str]:
        return [consumer_group(call["conversation_id"])]

    async def on_take(self, frame, raw) -> dict:
        conversation = await database_sync_to_async(services.conversation_take)(
            agent=self.user, conversation_id=frame.conversation_id
        )
        return {"conversation_id": conversation.pk}

    async def on_close(self, frame, raw) -> dict:
        conversation = await database_sync_to_async(services.conversation_close)(
            agent=self.user, conversation_id=frame.conversation_id
        )
        return {"conversation_id": conversation.pk}

    async def on_message(self, frame, raw) -> dict:
        message = await database_sync_to_async(services.message_send)(
            conversation_id=frame.conversation_id, party="agent", text=frame.text, agent=self.user
        )
        return {"message_id": message.pk}

    async def on_invite(self, frame, raw) -> dict:
        call = await database_sync_to_async(services.call_invite)(
            agent=self.user, conversation_id=frame.conversation_id, media=frame.media
        )
        return {"call_id": call.pk}


class ConsumerConsumer(CallSocket):
    """`/ws/consumer/?token=T`: the consumer of one conversation (T from POST /api/v1/conversations/)."""

    party = "consumer"
    frames = CONSUMER_FRAMES
    handlers = {
        "message.send": "on_message",
        "call.accept": "on_accept",
        "call.reject": "on_reject",
        "call.signal": "on_signal",
        "call.connected": "on_connected",
        "call.media": "on_media",
        "call.stats": "on_stats",
        "call.ice": "on_ice",
        "call.hangup": "on_hangup",
    }

    async def connect(self) -> None:
        query = parse_qs(self.scope.get("query_string", b"").decode("latin1"))
        token = (query.get("token") or [""])[0]
        found = conversation_id_from_token(token) if token else None
        if found is None:
            await self.refuse(CLOSE_NOT_AUTHENTICATED)
            return
        if flood_banned(consumer_group(found[0])):
            await self.refuse(CLOSE_FLOODING)  # before any database work: a flooder reconnects at once
            return
        conversation = await database_sync_to_async(
            Conversation.objects.select_related("account").filter(pk=found[0], account_id=found[1]).first
        )()
        if conversation is None or not conversation.account.active:
            await self.refuse(CLOSE_FORBIDDEN)
            return
        self.conversation = conversation
        refusal = self.reserve(consumer_group(conversation.pk), settings.WS_MAX_SOCKETS_PER_CONVERSATION)
        if refusal is not None:
            await self.refuse(refusal)
            return
        try:
            await self.begin([consumer_group(conversation.pk)])
            hello = await database_sync_to_async(consumer_hello)(conversation=conversation)
        except Exception:
            await self.fail_handshake()
            return
        self.remember_call(hello["call"])
        await self.send_frame(hello)
        await self.tell_agent_connection(hello["call"], "back")

    async def clean_up(self) -> None:
        registered = not getattr(self, "cleaned_up", False) and hasattr(self, "groups_joined")
        await super().clean_up()
        if not registered or _local_members.get(consumer_group(self.conversation.pk)):
            return  # another socket of this consumer (a tab) is still here
        for call_id, call in list(self.calls.items()):
            if call["state"] in MEDIA_STATES:
                await self.tell_agent_connection({"id": call_id, **call}, "reconnecting")

    async def tell_agent_connection(self, call: dict | None, connection: str) -> None:
        """`call.peer` to the agent: the consumer's socket went during the call (`reconnecting`: a
        reload, a network change; the call lives on for the reconnect grace) or came back (`back`).
        Best effort: a lost frame only leaves the workspace's note as it was."""
        if call is None or call.get("state") not in MEDIA_STATES or not call.get("agent_id"):
            return
        frame = {"type": "call.peer", "call_id": call["id"], "party": "consumer", "connection": connection}
        try:
            await self.relay(call, frame)
        except Exception:
            logger.info("telling the agent that the consumer is %s failed", connection, exc_info=True)

    def party_kwargs(self) -> dict:
        return {"conversation_id": self.conversation.pk}

    def peer_groups(self, call: dict) -> list[str]:
        return [agent_group(call["agent_id"])] if call.get("agent_id") else []

    async def on_message(self, frame, raw) -> dict:
        message = await database_sync_to_async(services.message_send)(
            conversation_id=self.conversation.pk, party="consumer", text=frame.text
        )
        return {"message_id": message.pk}

    async def on_accept(self, frame, raw) -> dict:
        client = services.ClientInfo(**frame.client.model_dump())
        call = await database_sync_to_async(services.call_accept)(
            conversation_id=self.conversation.pk, call_id=frame.call_id, client=client
        )
        return {"call_id": call.pk}

    async def on_reject(self, frame, raw) -> dict:
        call = await database_sync_to_async(services.call_reject)(
            conversation_id=self.conversation.pk, call_id=frame.call_id
        )
        return {"call_id": call.pk}


class LiveConsumer(AsyncWebsocketConsumer):
    """`/ws/live/`: an account admin's live panel (the reports page). It only listens: every call
    transition of the account arrives as `call.live` {call} (the call object, no session data), and
    the page refreshes its list. Agents and support get 4403; frames from the page are refused (and
    rate limited like any socket's). One admin holds at most WS_MAX_SOCKETS_PER_AGENT of them per
    process (4429 beyond). It registers no agent presence, so an admin watching reports is not
    routed conversations."""

    async def __call__(self, scope, receive, send):
        self.group = self.slot_key = self.user_id = None
        try:
            await super().__call__(scope, receive, send)
        finally:  # also when daphne cancels it (see CallSocket.__call__)
            await self._release()

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self._refuse(CLOSE_NOT_AUTHENTICATED)
            return
        active = await database_sync_to_async(
            lambda: user.is_account_admin and user.is_active and user.account.active
        )()
        if not active:
            await self._refuse(CLOSE_FORBIDDEN)
            return
        key = f"live.{user.pk}"
        refusal = reserve_slot(key, settings.WS_MAX_SOCKETS_PER_AGENT)
        if refusal is not None:
            await self._refuse(refusal)
            return
        self.slot_key = key
        self.bucket = bucket_for(key)
        self.group = account_live_group(user.account_id)
        self.user_id = user.pk
        try:
            await self.channel_layer.group_add(self.group, self.channel_name)
            await self.channel_layer.group_add(user_access_group(user.pk), self.channel_name)
        except Exception:
            logger.exception("a live panel socket failed while connecting")
            await self._release()
            await self.close(code=layerwatch.CLOSE_UNAVAILABLE)
            return
        await self.accept()
        layerwatch.watch(self.channel_layer, self)
        await self.send(text_data=json.dumps({"type": "hello", "role": "live"}))

    async def _refuse(self, code: int) -> None:
        await self.accept()
        await self.close(code=code)

    async def _release(self) -> None:
        layerwatch.unwatch(self)
        key, self.slot_key = self.slot_key, None
        give_back_slot(key)
        group, self.group = self.group, None
        user_id, self.user_id = self.user_id, None
        await leave_groups(self, [g for g in (group, user_id and user_access_group(user_id)) if g])

    async def disconnect(self, code: int) -> None:
        await self._release()

    async def access_recheck(self, event: dict) -> None:
        """The admin or the account changed: close unless they may still watch the live panel."""
        if self.group is None or getattr(self, "refused", False):
            return
        refusal = await lost_access(self.user_id, admin=True)
        if refusal is not None:
            self.refused = True
            await self.close(code=refusal)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.group is None or getattr(self, "refused", False):
            return
        if not self.bucket.take():
            await refuse_flood(self, "live panel socket")
            return
        self.refused_in_a_row = 0
        frame = {"type": "error", "code": "unknown_type", "message": "The live panel socket only listens."}
        await self.send(text_data=json.dumps(frame))

    async def deliver(self, event: dict) -> None:
        await self.send(text_data=json.dumps(event["frame"], separators=(",", ":")))
