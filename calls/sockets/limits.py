"""Rate limits, socket slots and flood bans, per client (an agent, a consumer token's conversation,
an admin's live panels), kept per process.

A client's sockets share one token bucket, kept after they close, so reconnecting does not refill a
flooder's tokens; a client closed for flooding has its new sockets refused until its ban ends. Slots
cap the sockets one client holds in this process. consoleproj/daphne_patches.py puts a looser bucket
of the same kind right where daphne reads frames.
"""

from __future__ import annotations

import json
import logging
import time
from collections import defaultdict

from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from consoleproj import metrics
from consoleproj.client_address import client_address_of_scope

logger = logging.getLogger(__name__)

CLOSE_TOO_MANY_SOCKETS = 4429
CLOSE_FLOODING = 4008


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
# A client's flood closes in a row (each within WS_FLOOD_BAN_MAX_S of the last) and when the last was.
_flood_strikes: dict[str, tuple[int, float]] = {}
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
    for key in [k for k, (_, last) in _flood_strikes.items() if now - last > settings.WS_FLOOD_BAN_MAX_S]:
        del _flood_strikes[key]
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


def reset_limits() -> None:
    """Forget every rate bucket and flood ban of this process (tests)."""
    _buckets.clear()
    _flood_banned_until.clear()
    _flood_strikes.clear()


def ban_flooder(key: str) -> float:
    """Refuse the client's new sockets for a while: WS_FLOOD_BAN_S the first time, twice as long for
    each flood close within WS_FLOOD_BAN_MAX_S of the one before, up to WS_FLOOD_BAN_MAX_S. A
    reconnecting flooder then costs the process a burst every 10, 20, 40 s... instead of every 10 s
    (bench/flood.py). Returns the ban's length."""
    now = time.monotonic()
    strikes, last = _flood_strikes.get(key, (0, now))
    strikes = strikes + 1 if strikes and now - last <= settings.WS_FLOOD_BAN_MAX_S else 1
    _flood_strikes[key] = (strikes, now)
    ban = min(settings.WS_FLOOD_BAN_S * 2 ** (strikes - 1), settings.WS_FLOOD_BAN_MAX_S)
    _flood_banned_until[key] = now + ban
    return ban


def give_back_slot(key: str | None) -> None:
    if key is not None:
        _slots[key] -= 1
        if _slots[key] <= 0:
            del _slots[key]


RATE_LIMITED = json.dumps({"type": "error", "code": "rate_limited", "message": "Too many frames; slow down."})


async def refuse_flood(socket: AsyncWebsocketConsumer, what: str) -> None:
    """A frame over the client's rate limit: answered `rate_limited`; after WS_FLOOD_CLOSE_AFTER
    such frames in a row (a client that does not slow down), the socket is closed with 4008 and the
    client's new sockets are refused with 4008 for WS_FLOOD_BAN_S (longer for a repeat flooder:
    ban_flooder). Every frame a flooder sends
    costs the server its parsing whatever we answer, so only closing the connection protects the
    other calls of the process (bench/flood.py)."""
    socket.refused_in_a_row = getattr(socket, "refused_in_a_row", 0) + 1
    if socket.refused_in_a_row < settings.WS_FLOOD_CLOSE_AFTER:
        metrics.rate_limited(getattr(socket, "party", "live"))
        await socket.send(text_data=RATE_LIMITED)
        return
    if socket.refused_in_a_row == settings.WS_FLOOD_CLOSE_AFTER:
        logger.warning("closing a flooding %s from %s", what, client_address_of_scope(socket.scope))
        metrics.flood_closed("application")
        socket.refused = True  # the frames still buffered are not handled
        key = getattr(socket, "slot_key", None)
        if key is not None:
            ban_flooder(key)
        await socket.close(code=CLOSE_FLOODING)
