"""Settings, health, the ASGI socket gate and the provisioning commands."""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command

from accounts.models import Account, User
from consoleproj.asgi import application
from settings_profiles.models import AccountCallSettings, Profile

from .factories import PASSWORD

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "x" * 20 + "-production-secret-for-the-check-only-" + "y" * 20,
    "ALLOWED_HOSTS": "calls.example.com",
    "TURN_REST_URLS": "turn:turn.example.com:3478?transport=udp,turns:turn.example.com:443?transport=tcp",
    "TURN_REST_SECRET": "a-long-random-turn-rest-secret-for-the-check-only",
    "PATH": os.environ["PATH"],
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


# --- settings -----------------------------------------------------------------------------------


def test_check_deploy_passes_under_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "relay",
    [
        {},
        {"TURN_REST_URLS": "turn:turn.example.com:3478"},  # URLs without the secret mint nothing
        {"ICE_SERVERS": '[{"urls": "stun:stun.example.com:3478"}]'},  # STUN only: no relay
    ],
)
def test_check_deploy_warns_without_a_turn_relay_naming_the_settings(relay):
    env = {k: v for k, v in PRODUCTION_ENV.items() if not k.startswith("TURN_")} | relay
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "calls.W001" in result.stderr
    assert "No TURN relay is configured" in result.stderr
    assert "TURN_REST_URLS" in result.stderr and "TURN_REST_SECRET" in result.stderr and "ICE_SERVERS" in result.stderr


def test_check_deploy_accepts_a_static_turn_server_in_ice_servers():
    env = {k: v for k, v in PRODUCTION_ENV.items() if not k.startswith("TURN_")}
    env["ICE_SERVERS"] = '[{"urls": ["turns:turn.example.com:443"], "username": "u", "credential": "c"}]'
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_embedded_defaults_without_environment():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            (
                "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='consoleproj.settings'; django.setup();"
                "from django.conf import settings as s;"
                "print(s.DATABASES['default']['ENGINE'], s.CHANNEL_LAYERS['default']['BACKEND'],"
                " s.CELERY_TASK_ALWAYS_EAGER, s.CACHES['default']['BACKEND'], s.DEBUG, bool(s.SECRET_KEY))"
            ),
        ],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "channels.layers.InMemoryChannelLayer",
        "True",
        "django.core.cache.backends.locmem.LocMemCache",
        "True",
        "True",
    ]


# --- health ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_healthz_reports_every_service(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["channel_layer"] == "ok"
    assert body["broker"] in {"ok", "eager"}


@pytest.mark.django_db
def test_healthz_is_503_when_the_channel_layer_is_down(client, settings):
    # A Redis layer pointed at a port where nothing listens: a real connection failure.
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},
        }
    }
    channel_layers.backends.clear()
    try:
        response = client.get("/healthz")
    finally:
        channel_layers.backends.clear()
    assert response.status_code == 503
    assert response.json()["channel_layer"].startswith("down")
    assert response.json()["database"] == "ok"


@pytest.mark.django_db
def test_healthz_is_503_when_the_broker_is_down(client, settings):
    from consoleproj.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = False
    old = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = old
    assert response.status_code == 503
    assert response.json()["broker"].startswith("down")


# --- the WebSocket gate -----------------------------------------------------------------------------


async def _connect(path: str, headers: list[tuple[bytes, bytes]]):
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await communicator.connect()
    return communicator, connected


ORIGIN = (b"origin", b"http://127.0.0.1:8000")
HOST = (b"host", b"127.0.0.1:8000")


@pytest.mark.django_db(transaction=True)
async def test_socket_without_login_is_closed_4401():
    communicator, connected = await _connect("/ws/agent/", [ORIGIN, HOST])
    assert connected
    message = await communicator.receive_output()
    assert message == {"type": "websocket.close", "code": 4401}
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_socket_from_a_foreign_origin_is_refused(agent):
    cookie = await sync_to_async(_session_cookie)(agent)
    for origin in (b"https://evil.example", None):
        headers = [HOST, (b"cookie", cookie)] + ([(b"origin", origin)] if origin else [])
        communicator, connected = await _connect("/ws/agent/", headers)
        assert not connected, origin
        await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_logged_in_agent_gets_hello_with_permissions(agent):
    await sync_to_async(AccountCallSettings.objects.filter(account_id=agent.account_id).update)(video_enabled=False)
    cookie = await sync_to_async(_session_cookie)(agent)
    communicator, connected = await _connect("/ws/agent/", [ORIGIN, HOST, (b"cookie", cookie)])
    assert connected
    hello = await communicator.receive_json_from()
    assert hello["type"] == "hello"
    assert hello["role"] == "agent"
    assert hello["permissions"] == {"voice": True, "video": False, "share": True}
    await communicator.disconnect()


def _session_cookie(user: User) -> bytes:
    from django.test import Client

    client = Client()
    assert client.login(email=user.email, password=PASSWORD)
    return f"{django_settings.SESSION_COOKIE_NAME}={client.cookies[django_settings.SESSION_COOKIE_NAME].value}".encode()


# --- provisioning commands ----------------------------------------------------------------------------


def _run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_create_account_is_idempotent():
    args = (
        "create_account",
        "globex",
        "--name",
        "Globex",
        "--admin-email",
        "boss@globex.example",
        "--admin-password",
        "a-long-password-1",
    )
    assert "created" in _run(*args)
    assert "already exists" in _run(*args)
    account = Account.objects.get(slug="globex")
    assert Account.objects.count() == 1
    assert User.objects.filter(account=account, role="admin").count() == 1
    assert AccountCallSettings.objects.filter(account=account).count() == 1
    assert Profile.objects.filter(account=account, is_default=True).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "words"),
    [
        (
            (
                "create_account",
                "Bad Slug!",
                "--name",
                "X",
                "--admin-email",
                "a@x.example",
                "--admin-password",
                "pw-long-enough-1",
            ),
            "slug",
        ),
        (
            (
                "create_account",
                "okslug",
                "--name",
                "X",
                "--admin-email",
                "not-an-email",
                "--admin-password",
                "pw-long-enough-1",
            ),
            "email",
        ),
        (
            ("create_account", "okslug", "--name", "X", "--admin-email", "a@x.example", "--admin-password", "123"),
            "password",
        ),
        (("create_agent", "nope", "a@x.example", "--password", "pw-long-enough-1"), "no account"),
    ],
)
def test_bad_arguments_fail_clearly_and_change_nothing(args, words):
    with pytest.raises(CommandError) as excinfo:
        _run(*args)
    assert words in str(excinfo.value).lower()
    assert not Account.objects.exists() and not User.objects.exists()


@pytest.mark.django_db
def test_create_agent_with_profile_and_idempotent(account):
    _run("create_agent", "acme", "sam@acme.example", "--password", "pw-long-enough-1", "--profile", "Default")
    assert "already exists" in _run("create_agent", "acme", "sam@acme.example", "--password", "pw-long-enough-1")
    sam = User.objects.get(email="sam@acme.example")
    assert sam.account == account and sam.role == "agent"
    assert [p.name for p in sam.profiles.all()] == ["Default"]
    with pytest.raises(CommandError, match="No profile Gold"):
        _run("create_agent", "acme", "kim@acme.example", "--password", "pw-long-enough-1", "--profile", "Gold")
    assert not User.objects.filter(email="kim@acme.example").exists()


@pytest.mark.django_db
def test_seed_demo_is_idempotent():
    first = _run("seed_demo")
    counts = (Account.objects.count(), User.objects.count(), Profile.objects.count())
    second = _run("seed_demo")
    assert counts == (Account.objects.count(), User.objects.count(), Profile.objects.count()) == (1, 4, 2)
    assert first == second
    assert "admin@demo.example" in first and "agent1@demo.example" in first


def test_command_line_exit_status_on_bad_input(tmp_path):
    env = {"PATH": os.environ["PATH"], "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    assert _manage("migrate", "-v0", env=env).returncode == 0
    result = _manage("create_agent", "missing", "a@x.example", "--password", "pw-long-enough-1", env=env)
    assert result.returncode == 1
    assert "There is no account 'missing'" in result.stderr
