"""Work around a crash of the Celery worker when Redis restarts (celery 5.7.0 / kombu 5.7.0).

When the worker loses the broker with a task message still unacknowledged, celery's
`Consumer.on_connection_error_after_connected` first calls `connection.collect()`, which detaches
the transport (`transport.client = None`), and then `connection.close()`, which closes the default
channel again; closing it restores the unacknowledged message, which asks the channel for a new
Redis pool, and `Channel._connparams` reads `self.connection.client.hostname` from the detached
transport: `AttributeError: 'NoneType' object has no attribute 'hostname'`. An AttributeError is
not one of the connection errors celery ignores there, so it is "Unrecoverable" and the worker
exits (reproduced: a busy worker, its Redis SIGKILLed and restarted, dies within a few restarts;
tests/integration/test_chaos.py keeps one alive through several).

The fix here: a channel whose transport is detached raises redis' ConnectionError, a connection
error, which celery ignores while closing and then reconnects as it does for any broker loss. The
message it could not restore is redelivered by Redis after the visibility timeout, like any message
of a worker that died (our tasks are idempotent: timers re-read the row, rollups recompute).

Remove once celery/kombu release a fix (check with the reproduction above before upgrading).
"""

from __future__ import annotations

import functools

from kombu.transport import redis as kombu_redis
from redis.exceptions import ConnectionError as RedisConnectionError


def install() -> None:
    channel = kombu_redis.Channel
    original = channel._connparams
    if getattr(original, "detached_transport_guard", False):
        return

    @functools.wraps(original)
    def _connparams(self, *args, **kwargs):
        if self.connection is None or self.connection.client is None:
            raise RedisConnectionError("the broker connection of this channel is already closed")
        return original(self, *args, **kwargs)

    _connparams.detached_transport_guard = True  # type: ignore[attr-defined]  # a marker on our wrapper
    channel._connparams = _connparams  # type: ignore[method-assign]  # the workaround is this patch
