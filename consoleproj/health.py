"""`GET /healthz`: the state of the database, the channel layer and the Celery broker, and the age
of the Celery worker's and beat's heartbeats (`clock_heartbeats`, also for `/metrics`)."""

from __future__ import annotations

import asyncio
import uuid

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection
from django.http import JsonResponse

CHECK_TIMEOUT_S = 2.0


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _check_broker() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "eager"
    from consoleproj.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=CHECK_TIMEOUT_S)
    return "ok"


async def _check_channel_layer() -> str:
    """A message sent to a fresh channel of our own must come back."""
    layer = get_channel_layer()
    channel = await layer.new_channel(prefix="healthz.")
    token = uuid.uuid4().hex
    await layer.send(channel, {"type": "healthz", "token": token})
    message = await layer.receive(channel)
    if message.get("token") != token:
        raise RuntimeError("channel layer returned another message")
    return "ok"


def clock_heartbeats() -> dict[str, dict]:
    """{"worker": {"age_s", "status"}, "beat": {...}}: see calls.clock.clock_heartbeats."""
    from calls.clock import clock_heartbeats as read

    return read()


async def _run(check, *, is_async: bool) -> str:
    try:
        coro = check() if is_async else sync_to_async(check)()
        return await asyncio.wait_for(coro, CHECK_TIMEOUT_S + 1)
    except Exception as exc:  # a health check reports every failure, whatever it is
        return f"down: {type(exc).__name__}"


async def _clock() -> dict[str, dict]:
    try:
        return await asyncio.wait_for(sync_to_async(clock_heartbeats)(), CHECK_TIMEOUT_S + 1)
    except Exception as exc:  # the database is down: reported as such above
        return {name: {"age_s": None, "status": f"down: {type(exc).__name__}"} for name in ("worker", "beat")}


async def healthz(request):
    """200 when every service answers and the worker's and beat's heartbeats are fresh, 503 (with
    the failing one named) otherwise (`?local=1`: the heartbeats are reported but do not fail it).
    A heartbeat never seen (`unknown`: a fresh database) does not
    fail the check; one older than CLOCK_HEARTBEAT_MAX_AGE_S (`stale`) does."""
    database, channel_layer, broker, clock = await asyncio.gather(
        _run(_check_database, is_async=False),
        _run(_check_channel_layer, is_async=True),
        _run(_check_broker, is_async=False),
        _clock(),
    )
    checks = {"database": database, "channel_layer": channel_layer, "broker": broker}
    # `?local=1` (the load balancer's probe): only what this process needs to serve. A stopped worker
    # must page someone, not take every daphne out of rotation (the daphne sweeps keep the clock).
    clock_counts = request.GET.get("local") != "1"
    healthy = all(not value.startswith("down") for value in checks.values()) and not (
        clock_counts and any(part["status"] == "stale" for part in clock.values())
    )
    return JsonResponse({"status": "ok" if healthy else "down", **checks, **clock}, status=200 if healthy else 503)
