"""The deployed shape for tests: nginx (deploy/nginx, rendered by deploy/stack.py, self-signed TLS) in
front of daphne processes on the test database and Redis, with the Prometheus multiprocess directory
they share; optionally a Celery worker with beat. What `make stack` runs, on free ports."""

from __future__ import annotations

import os
import shutil
import ssl
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from deploy import stack as deploy_stack
from tests.conftest import require_service

from .servers import ROOT, Process, free_port, service_env, start_celery

NGINX = Path(deploy_stack.NGINX)
_collected = False


def self_signed_tls() -> ssl.SSLContext:
    """A client context for the stack's self-signed certificate (not verified)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def require_nginx() -> None:
    require_service("nginx", NGINX.exists(), f"needs {NGINX} (apt-get install nginx-light)")


def collect_static(env: dict[str, str]) -> None:
    """The files nginx serves at /static/ (once a run)."""
    global _collected
    if not _collected:
        subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
        )
        _collected = True


def stack_env(*, broker: str | None, metrics_dir: Path) -> dict[str, str]:
    """Production settings behind the proxy (HTTPS from X-Forwarded-Proto, secure cookies)."""
    return {
        **service_env(broker=broker),
        "DJANGO_ENV": "production",
        "SECURE_HSTS_SECONDS": "0",
        "TRUSTED_PROXIES": "127.0.0.1",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "LOG_FORMAT": "json",
        "CALL_TIMERS_IN_PROCESS": "0" if broker else "1",
    }


def start_daphne_on(port: int, env: dict[str, str], name: str) -> Process:
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    process = Process(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "consoleproj.asgi:application"], env, name
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.2)
    process.stop()
    raise RuntimeError(f"{name} did not become healthy; see test-artifacts/{name}.log")


@dataclass
class Stack:
    port: int
    run_dir: Path
    env: dict[str, str]
    daphne_ports: list[int]
    daphnes: dict[int, Process] = field(default_factory=dict)
    others: list[Process] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def start_daphne(self, index: int) -> Process:
        port = self.daphne_ports[index]
        process = self.daphnes[port] = start_daphne_on(port, self.env, f"stack-daphne-{index}")
        return process

    def get(self, path: str, headers: dict | None = None) -> tuple[int, str]:
        """GET through nginx (TLS, the self-signed certificate accepted)."""
        request = urllib.request.Request(self.url + path, headers=headers or {})  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=10, context=self_signed_tls()) as response:  # noqa: S310
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def metrics(self) -> dict[tuple[str, tuple], float]:
        """/metrics through nginx, as {(sample name, sorted labels): value}."""
        status, text = self.get("/metrics")
        assert status == 200, (status, text[:200])
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }

    def nginx_logs(self) -> str:
        return "".join(
            (self.run_dir / "nginx" / name).read_text(errors="replace")
            for name in ("vvc-access.log", "vvc-error.log", "error.log")
            if (self.run_dir / "nginx" / name).exists()
        )


def metric(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@contextmanager
def running_stack(tmp_path: Path, *, daphne: int = 2, start: int | None = None, broker: str | None = None, env=None):
    """nginx + `daphne` daphne processes (the first `start` of them started now, the rest left for the
    test to start) + a Celery worker with beat when `broker` is given."""
    require_nginx()
    run_dir = tmp_path / "stack"
    metrics_dir = run_dir / "prometheus"
    metrics_dir.mkdir(parents=True)
    environment = {**stack_env(broker=broker, metrics_dir=metrics_dir), **(env or {})}
    collect_static(environment)
    cert, key = deploy_stack.self_signed(run_dir / "tls")
    ports = [free_port() for _ in range(daphne)]
    port = free_port()
    conf = deploy_stack.write_nginx(
        run_dir / "nginx",
        port=port,
        upstreams=[f"127.0.0.1:{p}" for p in ports],
        cert=cert,
        key=key,
        static_root=ROOT / "staticfiles",
    )
    the_stack = Stack(port=port, run_dir=run_dir, env=environment, daphne_ports=ports)
    try:
        for index in range(daphne if start is None else start):
            the_stack.start_daphne(index)
        if broker:
            the_stack.others.append(start_celery(environment, "stack-celery"))
        nginx = Process(
            [str(NGINX), "-p", str(run_dir / "nginx"), "-c", str(conf), "-g", "daemon off;"],
            os.environ.copy(),
            "stack-nginx",
        )
        the_stack.others.append(nginx)
        deadline = time.monotonic() + 15
        while the_stack.get("/healthz")[0] != 200 if _listening(port) else True:
            if time.monotonic() > deadline or nginx.popen.poll() is not None:
                raise RuntimeError(f"nginx did not start: {nginx.output()[-2000:]}")
            time.sleep(0.1)
        yield the_stack
    finally:
        for process in [*the_stack.daphnes.values(), *the_stack.others]:
            process.stop()
        artifacts = ROOT / "test-artifacts"
        artifacts.mkdir(exist_ok=True)
        for name in ("vvc-access.log", "vvc-error.log"):
            if (run_dir / "nginx" / name).exists():
                shutil.copy(run_dir / "nginx" / name, artifacts / f"stack-nginx-{name}")


def _listening(port: int) -> bool:
    import socket

    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0
