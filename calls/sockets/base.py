"""The socket every role is built on: lifecycle, refusal and slots, frame parsing, delivery.

A socket authenticates before handling anything (its role's `connect`), takes one of its client's
slots, validates every frame against its role's table (`frames`: type -> (schema, handler)) and hands
commands to `calls.services`; it never changes a row itself. Nothing of a frame is logged.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import sys
from collections.abc import Awaitable, Callable

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import InterfaceError, OperationalError, connections
from pydantic import ValidationError
from redis.exceptions import RedisError

from accounts.models import User
from calls import services
from calls.schemas import Frame, describe
from consoleproj import logs, metrics

from . import presence
from .dispatch import dispatch_in_turn
from .limits import CLOSE_FLOODING, CLOSE_TOO_MANY_SOCKETS, bucket_for, give_back_slot, refuse_flood, reserve_slot
from .presence import CLOSE_UNAVAILABLE
from .relay import PROCESS_ORIGIN

logger = logging.getLogger(__name__)

CLOSE_NOT_AUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
__all__ = [
    "ANSWERED",
    "CLOSE_FLOODING",
    "CLOSE_FORBIDDEN",
    "CLOSE_NOT_AUTHENTICATED",
    "CLOSE_TOO_MANY_SOCKETS",
    "CLOSE_UNAVAILABLE",
    "Socket",
    "lost_access",
    "leave_groups",
]

# Returned by a handler that answered the frame itself (with `re`), so no `ok` follows.
ANSWERED = object()

Handler = Callable[["Socket", Frame, dict], Awaitable[object]]


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


async def refuse_handshake_unavailable(what: str, receive, send) -> None:
    """The channel layer is down before the socket has a channel (Redis restarting): the handshake
    is accepted and closed with 4503 (unavailable, reconnect with backoff), as protocol.md says, not
    answered with an HTTP 500 and a traceback."""
    logger.warning("a %s socket was refused with 4503: the channel layer is unavailable", what)
    message = await receive()
    if message.get("type") != "websocket.connect":
        return  # the client went before its handshake completed
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.close", "code": CLOSE_UNAVAILABLE})


class Socket(AsyncWebsocketConsumer):
    """What every socket shares: its loop and clean-up, refusal codes, slots and the rate limit,
    frame parsing against `frames`, delivery of frames pushed by the services."""

    party: str  # who is at the other end, in log lines and error messages
    frames: dict[str, tuple[type[Frame], Handler]] = {}
    slot_key: str | None = None  # the socket slot it holds (reserve/release_slot)
    admin_only = False  # access re-checks also require the user to still be an account admin

    async def __call__(self, scope, receive, send):
        """Channels' `AsyncConsumer.__call__` with a leaner loop (`dispatch_in_turn`), and the
        socket's set-up undone however it ends: daphne cancels an application that has not finished
        `application_close_timeout` after its connection went, and a cancelled consumer never runs
        `disconnect`."""
        self.scope = scope
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        try:
            self.channel_name = await self.channel_layer.new_channel()
        except Exception:
            await refuse_handshake_unavailable(self.party, receive, send)
            return
        self.base_send = send
        logs.bind_request(logs.scope_request_id(scope))  # before the pumps start: they inherit it
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

    # --- lifecycle ------------------------------------------------------------------------------

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
        """Join `groups`, accept, and put the socket under the layer watch (its slot is reserved)."""
        self.refused = False
        self.groups_joined = groups
        if self.slot_key is None:
            raise RuntimeError("begin() before reserve(): the socket holds no slot")
        self.bucket = bucket_for(self.slot_key)
        self.prepare()
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        self.metered = metrics.socket_opened(self.party)
        self.handshake_accepted = True
        self.accepted()
        presence.watch(self.channel_layer, self)

    def prepare(self) -> None:
        """Set-up of a role before its groups are joined (nothing awaited)."""

    def accepted(self) -> None:
        """Set-up of a role right after the handshake is accepted (nothing awaited)."""

    async def fail_handshake(self) -> None:
        """Something broke after `begin` (the database, the layer): log it, undo what was set up and
        close with 4503 (try again), so nothing stays counted or subscribed for a socket that is gone.
        (Not 1011: daphne's WebSocket library only sends 1000 and 3000-4999 and raises on others.)
        A close before the accept would reach the client as a refused handshake (HTTP 403), so the
        socket is accepted first, as `refuse` does."""
        exc = sys.exc_info()[1]
        if isinstance(exc, (RedisError, OSError, OperationalError, InterfaceError)):
            # An outage: every reconnect meets it, one line each, no traceback flood.
            logger.warning("a %s socket failed while connecting: %s", self.party, type(exc).__name__)
        else:
            logger.exception("a %s socket failed while connecting", self.party)
        self.refused = True
        await self.clean_up()
        if not getattr(self, "handshake_accepted", False):
            await self.accept()
        await self.close(code=CLOSE_UNAVAILABLE)

    async def clean_up(self) -> None:
        """Undo `begin`; safe to call twice. The in-process tables first (no await can stop that),
        then the channel layer, whose failure (Redis down) is logged, not raised."""
        if getattr(self, "cleaned_up", False):
            return
        self.cleaned_up = True
        self.metered = metrics.socket_closed(self.party) if getattr(self, "metered", False) else False
        groups = getattr(self, "groups_joined", [])
        self.forget(groups)
        presence.unwatch(self)
        self.release_slot()
        await leave_groups(self, groups)

    def forget(self, groups: list[str]) -> None:
        """Undo a role's in-process set-up (nothing awaited)."""

    async def disconnect(self, code: int) -> None:
        await self.clean_up()

    async def access_recheck(self, event: dict) -> None:
        """The user or the account changed: close if this user may no longer hold the socket."""
        if getattr(self, "refused", True):
            return
        refusal = await lost_access(self.user.pk, admin=self.admin_only)
        if refusal is not None:
            self.refused = True
            await self.close(code=refusal)

    # --- outbound -----------------------------------------------------------------------------

    async def send_frame(self, frame: dict) -> None:
        metrics.frame_out(self.party, frame["type"])
        await self.send(text_data=json.dumps(frame, separators=(",", ":"), cls=DjangoJSONEncoder))

    async def send_error(self, code: str, message: str, re: object = None, detail: str = "") -> None:
        frame: dict[str, object] = {"type": "error", "code": code, "message": message}
        metrics.error_sent(self.party, code)
        if re is not None:
            frame["re"] = re
        if detail:
            frame["detail"] = detail
        await self.send_frame(frame)

    async def deliver(self, event: dict) -> None:
        """A frame pushed by the services, or relayed by a peer in another process (as its text,
        serialised once by the sender)."""
        if event.get("origin") == PROCESS_ORIGIN:
            return  # a relay from this process: its local members already have it
        if "text" in event:
            metrics.frame_out(self.party, event.get("kind", "relay"))
            await self.send(text_data=event["text"])
            return
        frame = event["frame"]
        self.pushed(frame)
        await self.send_frame(frame)

    def pushed(self, frame: dict) -> None:
        """A role's look at a frame pushed to it, before it is sent on."""

    # --- inbound ------------------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if getattr(self, "refused", True):
            return
        # The token first: a flood of binary or oversized frames is still a flood.
        if not self.bucket.take():
            await refuse_flood(self, f"{self.party} socket")
            return
        self.refused_in_a_row = 0
        if self.bucket.tokens < self.bucket.capacity / 2:
            # A client sending well above its rate (a call never does): let the other sockets' frames
            # in between, so its backlog is not handled in one stretch of the event loop.
            await asyncio.sleep(0)
        await self.handle(text_data, bytes_data)

    async def handle(self, text_data: str | None, bytes_data: bytes | None) -> None:
        """Parse a frame within the rate limit, validate it against the role's table and run its
        handler; every refusal is an `error` frame, never a closed socket."""
        if bytes_data is not None or text_data is None:
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
        entry = self.frames.get(frame_type)
        if entry is None:
            await self.send_error("unknown_type", f"Unknown frame type for a {self.party} socket.", re)
            return
        schema, handler = entry
        metrics.frame_in(self.party, frame_type)
        try:
            frame = schema.model_validate(raw)
        except ValidationError as exc:
            await self.send_error("bad_request", describe(exc), re)
            return
        logs.bind_call(getattr(frame, "call_id", None))
        try:
            result = await handler(self, frame, raw)
        except services.CallError as exc:
            await self.send_error(exc.code, exc.message, re, exc.detail)
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
            await self.send_frame({"type": "ok", "re": re, **(result if isinstance(result, dict) else {})})
