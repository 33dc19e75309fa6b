"""PostgreSQL unreachable for a moment, for real: new connections refused and every open one cut.

While it is down: `/healthz` answers 503 naming the database, a frame that needs the database gets an
`unavailable` error frame on a socket that stays open, and nothing is half-written. When it is back:
the same socket works again without reconnecting.
"""

from __future__ import annotations

import psycopg
import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from django.test import Client

from calls.models import Message
from tests.conftest import require_service
from tests.test_calls_protocol import start_conversation
from tests.ws import consumer_socket

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _admin_connection():
    db = connection.settings_dict
    return psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"] or "postgres",
        dbname="postgres",
        autocommit=True,
    )


def _take_database_down(name: str, spare_pid: int) -> None:
    """No new connections, and every open one cut but the test runner's own (its thread set up the
    test data and must tear it down; the server side uses other threads)."""
    with _admin_connection() as admin:
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> %s",
            [name, spare_pid],
        )


def _bring_database_back(name: str) -> None:
    with _admin_connection() as admin:
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')


@pytest.fixture
def runner_pid(account) -> int:
    require_service("PostgreSQL", connection.vendor == "postgresql", "DATABASE_URL is not a PostgreSQL URL")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


async def test_a_database_outage_is_reported_answered_and_survived(account, runner_pid):
    name = connection.settings_dict["NAME"]
    created = await sync_to_async(start_conversation)(account.slug)
    consumer, _ = await consumer_socket(created["consumer_token"])
    assert (await consumer.request({"type": "message.send", "text": "before"}, "m1"))["type"] == "ok"

    await sync_to_async(_take_database_down)(name, runner_pid)
    try:
        health = await sync_to_async(Client().get)("/healthz")
        assert health.status_code == 503 and health.json()["database"].startswith("down")
        answer = await consumer.request({"type": "message.send", "text": "during the outage"}, "m2")
        assert answer == {
            "type": "error",
            "code": "unavailable",
            "message": "The service is briefly unavailable; try again.",
            "re": "m2",
        }
    finally:
        await sync_to_async(_bring_database_back)(name)

    # Back: the same socket works, and only what was acknowledged is stored.
    after = await consumer.request({"type": "message.send", "text": "after"}, "m3")
    assert after["type"] == "ok", after
    texts = await sync_to_async(list)(
        Message.objects.filter(conversation_id=created["id"], author="consumer").values_list("text", flat=True)
    )
    assert texts == ["before", "after"]
    assert (await sync_to_async(Client().get)("/healthz")).status_code == 200
    await consumer.close()
