"""The attack suite (issue 12): one module per class of attack, each reproducing a finding against the
real stack and passing only with its fix.

Tests that need a live daphne (where the defect lives in request handling: forwarded headers, body
buffering, the access log) are marked `integration` and run in CI's second pass, on PostgreSQL and
Redis; the rest drive the Django application itself (test client, Channels communicators) and run
in both passes.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable, Iterator

import pytest

from tests.integration.servers import Process, require_real_services, service_env, start_daphne


@pytest.fixture
def live_daphne(transactional_db) -> Iterator[Callable[..., tuple[Process, int]]]:
    """Start a real daphne process on the test database and Redis: `live_daphne("name", SETTING="v")`.
    Stopped at the end of the test; its output (access log included) is `process.output()`."""
    require_real_services()
    started: list[Process] = []

    def start(name: str, **overrides: str) -> tuple[Process, int]:
        process, port = start_daphne({**service_env(broker=None), **overrides}, name)
        started.append(process)
        return process, port

    yield start
    for process in started:
        process.stop()


def http(
    method: str, url: str, *, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One HTTP request: (status, headers, body), error statuses included."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()
