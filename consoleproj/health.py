"""`GET /healthz`: the state of the database, the channel layer and the Celery broker."""

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


async def _run(check, *, is_async: bool) -> str:
    try:
        coro = check() if is_async else sync_to_async(check)()
        return await asyncio.wait_for(coro, CHECK_TIMEOUT_S + 1)
    except Exception as exc:  # a health check reports every failure, whatever it is
        return f"down: {type(exc).__name__}"


async def healthz(request):
    """200 when every service answers, 503 (with the failing one named) otherwise."""
    database, channel_layer, broker = await asyncio.gather(
        _run(_check_database, is_async=False),
        _run(_check_channel_layer, is_async=True),
        _run(_check_broker, is_async=False),
    )
    checks = {"database": database, "channel_layer": channel_layer, "broker": broker}
    healthy = all(not value.startswith("down") for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "down", **checks}, status=200 if healthy else 503)
