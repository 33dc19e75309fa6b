"""The health check against the real services: PostgreSQL, the Redis channel layer, the Redis broker."""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.db import connection

from tests.conftest import require_service

pytestmark = pytest.mark.integration


@pytest.mark.django_db
def test_healthz_on_postgres_redis_layer_and_redis_broker(client, settings):
    require_service("PostgreSQL", connection.vendor == "postgresql", "DATABASE_URL is not a PostgreSQL URL")
    require_service("Redis", bool(settings.REDIS_URL), "REDIS_URL is not set")
    broker = os.environ.get("TEST_CELERY_BROKER_URL", "")
    require_service("Celery broker", bool(broker), "TEST_CELERY_BROKER_URL is not set")
    from consoleproj.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = False
    old = app.conf.broker_url
    app.conf.broker_url = broker
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = old
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "channel_layer": "ok",
        "broker": "ok",
        # No worker or beat ever ran on this test database: reported, not failing the check.
        "worker": {"age_s": None, "status": "unknown"},
        "beat": {"age_s": None, "status": "unknown"},
    }


def test_redis_channel_layer_is_the_pubsub_layer():
    require_service("Redis", bool(settings.REDIS_URL), "REDIS_URL is not set")
    assert settings.CHANNEL_LAYERS["default"]["BACKEND"] == "channels_redis.pubsub.RedisPubSubChannelLayer"
