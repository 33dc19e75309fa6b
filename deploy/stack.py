#!/usr/bin/env python
"""The production-shaped stack on one machine, and the configuration files it shares with real hosts.

    .venv/bin/python deploy/stack.py up [--daphne N]     # what `make stack` runs: foreground, Ctrl-C stops it
    .venv/bin/python deploy/stack.py render-nginx ...    # the nginx site for a real host (see --help)

`up` starts PostgreSQL and Redis when they are down (as .ci/run does) and stops them again on exit if
it started them; creates the database, migrates, collects static files and seeds the demo; generates
a self-signed certificate for 127.0.0.1 and localhost in var/stack/; renders nginx (from
deploy/nginx/vvc-site.conf.in) and coturn (from deploy/coturn/turnserver.conf, loopback addresses and
a generated secret swapped in); then runs deploy/Procfile with honcho: N daphne processes, one Celery
worker, exactly one beat, coturn and nginx, serving https://127.0.0.1:8443/.

The configuration files come from deploy/configs.py; the integration tests render the same files
with its functions (free ports, their own directories), so what they put through calls is what an
operator deploys. Its names stay importable from here (`from deploy import stack`).
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

if not __package__:  # run by path (`deploy/stack.py up`): make the checkout importable as a package
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from deploy.configs import (  # noqa: E402 - after the path fix above; re-exported for the tests and bench
    NGINX,
    PROCFILE,
    ROOT,
    TURNSERVER,
    nginx_main_conf,
    render_nginx_site,
    render_turn_conf,
    self_signed,
    write_nginx,
)

__all__ = [
    "NGINX",
    "ROOT",
    "main",
    "nginx_main_conf",
    "render_nginx_site",
    "render_turn_conf",
    "self_signed",
    "write_nginx",
]


# --- services: PostgreSQL and Redis as .ci/run starts them ------------------------------------------


def _run(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, check=False, **kwargs)  # noqa: S603 - fixed programs


def _as_root(*args: str) -> list[str]:
    return list(args) if os.geteuid() == 0 else ["sudo", *args]


def ensure_postgres() -> str | None:
    """Start the newest local cluster when nothing answers on 5432; returns its version if we did."""
    if _run("pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432").returncode == 0:
        return None
    versions = sorted(os.listdir("/etc/postgresql"), key=lambda v: [int(x) for x in v.split(".")])
    version = versions[-1]
    print(f"stack: starting PostgreSQL {version}")
    _run(*_as_root("pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"))
    for _ in range(30):
        if _run("pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432").returncode == 0:
            return version
        time.sleep(1)
    raise SystemExit("stack: PostgreSQL did not start")


def ensure_redis(port: int) -> bool:
    """Start a Redis on `port` when none answers; True if we did."""
    if _run("redis-cli", "-h", "127.0.0.1", "-p", str(port), "ping", capture_output=True).returncode == 0:
        return False
    print(f"stack: starting Redis on {port}")
    _run(
        "redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", str(port),
        "--save", "", "--appendonly", "no", "--dir", str(ROOT / "var"),
    )  # fmt: skip
    for _ in range(30):
        if _run("redis-cli", "-h", "127.0.0.1", "-p", str(port), "ping", capture_output=True).returncode == 0:
            return True
        time.sleep(0.2)
    raise SystemExit(f"stack: Redis did not start on {port}")


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1].split("?")[0]
    if not re.fullmatch(r"[A-Za-z0-9_]+", name):
        raise SystemExit(f"stack: unusable database name {name!r}")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')  # a checked identifier


# --- up -------------------------------------------------------------------------------------------


def _require(program: str, package: str) -> None:
    if not Path(program).exists() and shutil.which(program) is None:
        raise SystemExit(f"stack: {program} is missing: apt-get install {package}")


def up(args: argparse.Namespace) -> int:
    _require(NGINX, "nginx-light")
    _require(TURNSERVER, "coturn")
    _require("redis-server", "redis-server")
    _require("pg_isready", "postgresql")
    run_dir = ROOT / "var" / "stack"
    if run_dir.exists():
        shutil.rmtree(run_dir)
    (run_dir / "nginx").mkdir(parents=True)
    metrics_dir = run_dir / "prometheus"  # emptied at each start: values of dead processes must not linger
    metrics_dir.mkdir()

    started_pg = ensure_postgres()
    started_redis = ensure_redis(args.redis_port)
    python = sys.executable
    try:
        database = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/vvc_stack")
        redis_url = os.environ.get("REDIS_URL", f"redis://127.0.0.1:{args.redis_port}/0")
        ensure_database(database)
        cert, key = self_signed(run_dir / "tls")
        turn_secret = secrets.token_urlsafe(32)
        turn_conf = render_turn_conf(run_dir=run_dir, port=args.turn_port, secret=turn_secret, cert=cert, key=key)
        upstreams = [f"127.0.0.1:{args.daphne_port + n}" for n in range(args.daphne)]
        nginx_conf = write_nginx(
            run_dir / "nginx",
            port=args.port,
            upstreams=upstreams,
            cert=cert,
            key=key,
            static_root=ROOT / "staticfiles",
        )
        origin = f"https://127.0.0.1:{args.port}"
        env = {
            "DJANGO_ENV": "production",
            "SECRET_KEY": _stack_secret(run_dir.parent),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "CSRF_TRUSTED_ORIGINS": f"{origin},https://localhost:{args.port}",
            "DATABASE_URL": database,
            "REDIS_URL": redis_url,
            "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL", f"redis://127.0.0.1:{args.redis_port}/2"),
            "CALL_TIMERS_IN_PROCESS": "0",
            "CONN_MAX_AGE": "60",
            "TURN_REST_URLS": f"turn:127.0.0.1:{args.turn_port}?transport=udp",
            "TURN_REST_SECRET": turn_secret,
            "TRUSTED_PROXIES": "127.0.0.1",
            "LOG_FORMAT": os.environ.get("LOG_FORMAT", "json"),
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
            "SECURE_HSTS_SECONDS": "0",  # a self-signed local certificate: no HSTS pinning of 127.0.0.1
            "VVC_RUN_DIR": str(run_dir),
            "VVC_NGINX_CONF": str(nginx_conf),
            "VVC_TURN_CONF": str(turn_conf),
            "PYTHONUNBUFFERED": "1",
        }
        child_env = {**os.environ, **env}
        for step in (
            ["manage.py", "migrate", "--noinput"],
            ["manage.py", "collectstatic", "--noinput", "-v", "0"],
            ["manage.py", "seed_demo"],
        ):
            if subprocess.run([python, *step], cwd=ROOT, env=child_env).returncode != 0:  # noqa: S603
                return 1
        print(
            f"\n  The stack: {args.daphne} daphne, 1 Celery worker, 1 beat, coturn, nginx (self-signed TLS)\n"
            f"  Log in at   {origin}/accounts/login/   (your browser will warn about the certificate)\n"
            f"  Demo page   {origin}/engage/demo/\n"
            f"  Health      {origin}/healthz     Metrics {origin}/metrics (from this machine)\n"
            f"  Files       {run_dir}\n  Ctrl-C stops everything.\n",
            flush=True,
        )
        honcho = [
            python, "-m", "honcho", "start", "-f", str(PROCFILE), "-d", str(ROOT),
            "-p", str(args.daphne_port), "-c", f"web={args.daphne},worker=1,beat=1,turn=1,proxy=1",
        ]  # fmt: skip
        process = subprocess.Popen(honcho, cwd=ROOT, env=child_env)  # noqa: S603
        # Ctrl-C reaches honcho too (the terminal signals the whole foreground group), which stops
        # its children; a SIGTERM to this process is passed on to honcho the same way.
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, lambda *_: process.send_signal(signal.SIGINT))
        try:
            return process.wait()
        finally:
            signal.signal(signal.SIGINT, previous)
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=30)
    finally:
        if started_redis:
            print(f"stack: stopping the Redis it started on {args.redis_port}")
            _run("redis-cli", "-h", "127.0.0.1", "-p", str(args.redis_port), "shutdown", "nosave")
        if started_pg:
            print("stack: stopping the PostgreSQL it started")
            _run(*_as_root("pg_ctlcluster", "--skip-systemctl-redirect", started_pg, "main", "stop"))


def _stack_secret(var_dir: Path) -> str:
    """The stack's own production-length secret, kept in var/ across restarts (logins survive)."""
    path = var_dir / "stack-secret-key"
    if not path.exists():
        var_dir.mkdir(exist_ok=True)
        path.write_text(secrets.token_urlsafe(64))
        path.chmod(0o600)
    return path.read_text().strip()


def render(args: argparse.Namespace) -> int:
    sys.stdout.write(
        render_nginx_site(
            listen=args.listen,
            server_name=args.server_name,
            upstreams=[u.strip() for u in args.daphne.split(",") if u.strip()],
            cert=Path(args.cert),
            key=Path(args.key),
            static_root=Path(args.static),
            log_dir=Path(args.log_dir),
            redirect_http=not args.no_redirect,
        )
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p_up = sub.add_parser("up", help="run the whole stack in the foreground")
    p_up.add_argument("--daphne", type=int, default=2, help="daphne processes (default 2)")
    p_up.add_argument("--port", type=int, default=8443, help="nginx's HTTPS port (default 8443)")
    p_up.add_argument("--daphne-port", type=int, default=8001, help="first daphne port (default 8001)")
    p_up.add_argument("--redis-port", type=int, default=6379)
    p_up.add_argument("--turn-port", type=int, default=3478)
    p_up.set_defaults(run=up)
    p_render = sub.add_parser("render-nginx", help="print the nginx site for a real host")
    p_render.add_argument("--server-name", required=True)
    p_render.add_argument("--daphne", required=True, help="comma-separated host:port of the daphne processes")
    p_render.add_argument("--cert", required=True)
    p_render.add_argument("--key", required=True)
    p_render.add_argument("--static", required=True, help="STATIC_ROOT (collectstatic's output)")
    p_render.add_argument("--log-dir", default="/var/log/nginx")
    p_render.add_argument("--listen", default="443")
    p_render.add_argument("--no-redirect", action="store_true", help="no port-80 server redirecting to HTTPS")
    p_render.set_defaults(run=render)
    args = parser.parse_args(argv)
    if args.command == "up" and args.daphne < 1:
        parser.error("--daphne must be at least 1")
    try:
        return args.run(args)
    except ValueError as exc:
        print(f"stack: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
