"""Prometheus metrics: every instrument of the project, the one-line calls the socket, call and
rollup code makes into them, and `GET /metrics`.

The code being measured calls only the functions of this module (`metrics.frame_in(...)`), never
prometheus_client itself, so what is measured and how it is named lives here.

Several daphne processes (and the Celery worker) serve one deployment: with PROMETHEUS_MULTIPROC_DIR
set (a directory shared by the processes of one host, emptied before they start: `make stack` and the
systemd units do), prometheus_client keeps every value in a memory-mapped file there and `/metrics`,
answered by whichever process nginx picks, adds up all of them. Without it (one process, the
embedded default) the values are the process's own.

Calls by state are read from the database at scrape time (the truth, whichever process changed
them); transitions are counted where they happen. Nothing here carries a user, a token or session
data: labels are roles, frame types, error codes and call states, all from fixed sets.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import os
import time
from pathlib import Path

from django.conf import settings
from django.http import HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily

MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))

SOCKETS_OPEN = Gauge(
    "vvc_ws_sockets_open", "WebSocket sockets open (accepted, not yet closed).", ["role"], multiprocess_mode="livesum"
)
SOCKETS_OPENED = Counter("vvc_ws_sockets_opened", "WebSocket sockets accepted.", ["role"])
FRAMES_IN = Counter("vvc_ws_frames_in", "Frames received from clients, by frame type.", ["role", "type"])
FRAMES_OUT = Counter("vvc_ws_frames_out", "Frames sent to clients, by frame type.", ["role", "type"])
ERRORS = Counter("vvc_ws_errors", "`error` frames sent to clients, by code.", ["role", "code"])
RATE_LIMITED = Counter("vvc_ws_rate_limited_frames", "Frames refused as over the client's rate limit.", ["role"])
FLOOD_CLOSES = Counter(
    "vvc_ws_flood_closes",
    "Sockets closed for flooding: 4008 by the application, or aborted inside daphne.",
    ["where"],
)
CALL_TRANSITIONS = Counter("vvc_call_transitions", "Call state transitions.", ["from_state", "to_state"])
RELAY_PUBLISH = Histogram(
    "vvc_relay_publish_seconds",
    "Cross-process relay publishes: from a frame queued to Redis acknowledging it (per batch, its oldest frame).",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
ROLLUP_LAG = Histogram(
    "vvc_rollup_lag_seconds",
    "From a call ending to its report buckets being recomputed.",
    buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600),
)
ROLLUP_LAG_LAST = Gauge(
    "vvc_rollup_lag_last_seconds", "The latest call's end-to-rollup delay.", multiprocess_mode="mostrecent"
)

# Label children are looked up once: the relay path counts every frame.
_children: dict[tuple, object] = {}


def _child(metric, *labels):
    key = (metric, labels)
    child = _children.get(key)
    if child is None:
        child = _children[key] = metric.labels(*labels)
    return child


# --- the one-line calls of the measured code -------------------------------------------------------


# Socket roles as labels: the sockets' own `party` names, short.
_ROLES = {"live panel": "live"}


def socket_opened(role: str) -> bool:
    """A socket was accepted; True (the socket keeps it, to count its close exactly once)."""
    role = _ROLES.get(role, role)
    _child(SOCKETS_OPEN, role).inc()
    _child(SOCKETS_OPENED, role).inc()
    return True


def socket_closed(role: str) -> bool:
    """That socket closed; False (no longer counted)."""
    _child(SOCKETS_OPEN, _ROLES.get(role, role)).dec()
    return False


# Frame counts are the hot path (every relayed frame): they are added up in a plain dict and handed
# to prometheus_client (a lock and a write into the shared file, a few µs each) once a second per
# event loop, not per frame. A scrape sees them at most FLUSH_S late.
FLUSH_S = 1.0
_pending: dict[tuple, int] = {}
_flush_loop: asyncio.AbstractEventLoop | None = None  # the loop a flush is scheduled on


def _count(metric, *labels) -> None:
    global _flush_loop
    key = (metric, labels)
    _pending[key] = _pending.get(key, 0) + 1
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # no event loop (a thread, a command): count now
        flush()
        return
    if _flush_loop is not loop:  # none scheduled, or on a loop that has gone (tests)
        loop.call_later(FLUSH_S, flush)
        _flush_loop = loop


def flush() -> None:
    """Hand the counts kept since the last flush to prometheus_client."""
    global _flush_loop
    _flush_loop = None
    pending = list(_pending.items())
    _pending.clear()
    for (metric, labels), count in pending:
        _child(metric, *labels).inc(count)


def frame_in(role: str, frame_type: str) -> None:
    _count(FRAMES_IN, _ROLES.get(role, role), frame_type)


def frame_out(role: str, frame_type: str) -> None:
    _count(FRAMES_OUT, _ROLES.get(role, role), frame_type)


def error_sent(role: str, code: str) -> None:
    """An `error` frame (counted as a frame out by `frame_out` where it is sent)."""
    _count(ERRORS, _ROLES.get(role, role), code)


def rate_limited(role: str) -> None:
    """A frame refused over the rate limit, answered with a `rate_limited` error frame (a flood
    sends thousands a second: counted like frames)."""
    role = _ROLES.get(role, role)
    _count(RATE_LIMITED, role)
    _count(ERRORS, role, "rate_limited")
    _count(FRAMES_OUT, role, "error")


def flood_closed(where: str) -> None:
    _child(FLOOD_CLOSES, where).inc()


def call_transition(from_state: str, to_state: str) -> None:
    _child(CALL_TRANSITIONS, str(from_state), str(to_state)).inc()


def relay_published(seconds: float) -> None:
    RELAY_PUBLISH.observe(seconds)


def rollup_done(ended_at_epoch: float | None) -> None:
    if ended_at_epoch is None:
        return
    lag = max(0.0, time.time() - ended_at_epoch)
    ROLLUP_LAG.observe(lag)
    ROLLUP_LAG_LAST.set(lag)


def process_exited(pid: int) -> None:
    """A dead process's live gauges must stop counting (gunicorn-style `child_exit`)."""
    if MULTIPROCESS:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)


# --- GET /metrics ----------------------------------------------------------------------------------


class _DatabaseCollector:
    """Figures read at scrape time: live calls by state, and heartbeat ages when /healthz has them."""

    def collect(self):
        from calls.models import Call

        calls = GaugeMetricFamily("vvc_calls", "Calls by state (live states: now; ended: all time).", labels=["state"])
        counts = _calls_by_state()
        for state in Call.State.values:
            calls.add_metric([state], counts.get(state, 0))
        yield calls
        ages = _heartbeat_ages()
        if ages:
            family = GaugeMetricFamily(
                "vvc_heartbeat_age_seconds", "Seconds since the Celery worker / beat last beat.", labels=["process"]
            )
            for name, age in sorted(ages.items()):
                family.add_metric([name], age)
            yield family


def _calls_by_state() -> dict[str, int]:
    from django.db.models import Count

    from calls.models import Call

    return {row["state"]: row["n"] for row in Call.objects.order_by().values("state").annotate(n=Count("pk"))}


def _heartbeat_ages() -> dict[str, float]:
    """The Celery worker's and beat's heartbeat ages (the figures /healthz reports); a part never
    seen (a fresh database) or eager by design is left out."""
    from calls.clock import clock_heartbeats

    try:
        beats = clock_heartbeats()
    except Exception:  # a scrape reports what it can
        return {}
    return {name: float(beat["age_s"]) for name, beat in beats.items() if beat.get("age_s") is not None}


class _ProcessValues:
    """This process's own values (no PROMETHEUS_MULTIPROC_DIR)."""

    def collect(self):
        yield from REGISTRY.collect()


def _forget_dead_processes() -> None:
    """Sockets of a daphne process that died (killed, crashed) are not open any more: its live
    gauges go. The directory is this host's, so a pid that does not exist here is dead."""
    directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    for path in directory.glob("gauge_live*_*.db"):
        pid = int(path.stem.rsplit("_", 1)[1])
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            process_exited(pid)
        except PermissionError:  # alive, another user's
            pass


def _registry() -> CollectorRegistry:
    flush()  # this process's own counts are current in its answer
    registry = CollectorRegistry(auto_describe=False)
    if MULTIPROCESS:
        from prometheus_client import multiprocess

        _forget_dead_processes()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ProcessValues())
    registry.register(_DatabaseCollector())
    return registry


def _from_loopback(request) -> bool:
    """The client is this host: the TCP peer is loopback and so is every address a proxy put in
    X-Forwarded-For (nginx puts the real client there, so a remote client through nginx is not
    loopback, whatever it forged into the header itself)."""
    addresses = [request.META.get("REMOTE_ADDR", "")]
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    addresses += [part.strip() for part in forwarded.split(",") if part.strip()]
    try:
        return all(ipaddress.ip_address(address).is_loopback for address in addresses)
    except ValueError:
        return False


def _has_token(request) -> bool:
    token = settings.METRICS_TOKEN
    header = request.META.get("HTTP_AUTHORIZATION", "")
    return bool(token) and hmac.compare_digest(header.encode(), f"Bearer {token}".encode())


def metrics_view(request):
    """Prometheus text: open to loopback; elsewhere only with `Authorization: Bearer METRICS_TOKEN`
    (401 without a token, 403 with a wrong one; 404 to everybody remote when no token is set)."""
    if request.method not in ("GET", "HEAD"):
        return HttpResponse(status=405, headers={"Allow": "GET, HEAD"})
    if not _from_loopback(request):
        if not settings.METRICS_TOKEN:
            return HttpResponse("Not found.\n", status=404, content_type="text/plain")
        if not request.META.get("HTTP_AUTHORIZATION"):
            return HttpResponse(
                "A bearer token is required.\n",
                status=401,
                content_type="text/plain",
                headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
        if not _has_token(request):
            return HttpResponse("Wrong token.\n", status=403, content_type="text/plain")
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)
