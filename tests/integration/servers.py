"""Real processes for integration tests: daphne servers and Celery workers on the test database,
Redis and a real broker, plus a small websockets client that speaks our protocol."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import closing
from pathlib import Path

import redis
import websockets
from django.conf import settings
from django.db import connection

from tests.conftest import require_service

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require_real_services() -> str:
    """PostgreSQL, Redis and a broker must be there (CI fails without them); returns the broker URL."""
    require_service("PostgreSQL", connection.vendor == "postgresql", "DATABASE_URL is not a PostgreSQL URL")
    require_service("Redis", bool(settings.REDIS_URL), "REDIS_URL is not set")
    broker = os.environ.get("TEST_CELERY_BROKER_URL", "")
    require_service("Celery broker", bool(broker), "TEST_CELERY_BROKER_URL is not set")
    _purge_once(broker)
    return broker


_purged: set[str] = set()


def _purge_once(broker: str) -> None:
    """The test broker's database is the tests' own: tasks an earlier, killed run left queued would
    otherwise run against this run's database."""
    if broker in _purged or not broker.startswith(("redis://", "rediss://")):
        return
    redis.Redis.from_url(broker).flushdb()
    _purged.add(broker)


def service_env(*, broker: str | None) -> dict[str, str]:
    """The environment of a child process: the test database, Redis, our secret (cookies, tokens)."""
    db = connection.settings_dict
    env = {
        "PATH": os.environ["PATH"],
        "DATABASE_URL": f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "SECRET_KEY": settings.SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "DEBUG",  # as chatty as it gets: the logs are searched for session data
        "PYTHONUNBUFFERED": "1",
        "CALL_HEARTBEAT_S": "1",
        "CALL_SWEEP_INTERVAL_S": "1",
    }
    if broker:
        env["CELERY_BROKER_URL"] = broker
    return env


class Process:
    def __init__(self, args: list[str], env: dict[str, str], name: str):
        self.name = name
        self.log = open(ROOT / "test-artifacts" / f"{name}.log", "w")  # noqa: SIM115 - closed in stop()
        self.popen = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def output(self) -> str:
        return (ROOT / "test-artifacts" / f"{self.name}.log").read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL: the process dies without closing its sockets or running any clean-up."""
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)

    def stop(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


def start_daphne(env: dict[str, str], name: str, port: int | None = None) -> tuple[Process, int]:
    """A daphne process (on `port`, e.g. the one a killed process held, or a free one), once its
    /healthz answers 200."""
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    port = port or free_port()
    process = Process(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "consoleproj.asgi:application"], env, name
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return process, port
        except OSError:
            time.sleep(0.2)
    process.stop()
    raise RuntimeError(f"{name} did not become healthy; see test-artifacts/{name}.log")


def start_celery(env: dict[str, str], name: str) -> Process:
    """A worker with an embedded beat (the sweep schedule), on the real broker."""
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    schedule = ROOT / "test-artifacts" / f"{name}-beat-schedule"
    return Process(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "consoleproj",
            "worker",
            "-B",
            "--concurrency=1",
            "--loglevel=INFO",
            f"--schedule={schedule}",
            "--without-gossip",
            "--without-mingle",
        ],
        env,
        name,
    )


def start_celery_worker(env: dict[str, str], name: str) -> Process:
    """A worker alone (beat runs apart, as in production)."""
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    args = ["worker", "--concurrency=2", "--loglevel=INFO", "--without-gossip", "--without-mingle"]
    return Process([sys.executable, "-m", "celery", "-A", "consoleproj", *args], env, name)


def start_celery_beat(env: dict[str, str], name: str) -> Process:
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    schedule = ROOT / "test-artifacts" / f"{name}-schedule"
    args = ["beat", "--loglevel=INFO", f"--schedule={schedule}"]
    return Process([sys.executable, "-m", "celery", "-A", "consoleproj", *args], env, name)


def post_json(url: str, body: dict) -> dict:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",  # noqa: S310
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return json.loads(response.read())


class Client:
    """A protocol client over a real WebSocket (what a brand's own window would be)."""

    def __init__(self, ws):
        self.ws = ws

    @classmethod
    async def connect(cls, port: int, path: str, cookie: str | None = None) -> tuple[Client, dict]:
        headers = {"Cookie": cookie} if cookie else {}
        ws = await websockets.connect(
            f"ws://127.0.0.1:{port}{path}",
            origin=f"http://127.0.0.1:{port}",
            additional_headers=headers,
            compression=None,
        )
        client = cls(ws)
        hello = await client.until("hello")
        return client, hello

    async def send(self, frame: dict) -> None:
        await self.ws.send(json.dumps(frame))

    async def until(self, frame_type: str, *, state: str | None = None, timeout: float = 10) -> dict:
        async def _wait() -> dict:
            while True:
                frame = json.loads(await self.ws.recv())
                if frame["type"] == "error":
                    raise AssertionError(f"error frame: {frame}")
                if frame["type"] == frame_type and (state is None or frame["call"]["state"] == state):
                    return frame

        return await asyncio.wait_for(_wait(), timeout)

    async def close(self) -> None:
        await self.ws.close()
