"""Request bodies (finding 6): a body over MAX_REQUEST_BODY_BYTES is refused with 413 before it is
parsed or buffered (daphne, the ASGI application, DRF's parsers), and JSON nested too deep answers
400 with the reason, never a 500."""

from __future__ import annotations

import json
import socket

import pytest
from asgiref.testing import ApplicationCommunicator
from rest_framework.test import APIClient

from calls.models import Conversation
from consoleproj.asgi import application

from .conftest import http

LIMIT = 1024 * 1024  # the default MAX_REQUEST_BODY_BYTES
CONVERSATIONS = "/api/v1/conversations/"


def deep(levels: int) -> str:
    return "[" * levels + "]" * levels


def with_nesting(slug: str, levels: int) -> str:
    """A conversation start whose extra field nests `levels` deep (built as text: json.dumps would recurse)."""
    return '{"account": ' + json.dumps(slug) + ', "channel": "web_messaging", "extra": ' + deep(levels) + "}"


@pytest.mark.django_db
def test_a_body_over_the_limit_is_refused_with_413_and_creates_nothing(account):
    padding = "x" * (LIMIT + 10)
    response = APIClient().post(
        CONVERSATIONS, {"account": account.slug, "channel": "web_messaging", "consumer_name": padding}, format="json"
    )
    assert response.status_code == 413
    assert response.json() == {"detail": f"The request body is too large: the limit is {LIMIT} bytes."}
    assert not Conversation.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("levels", [100_000, 65])
def test_json_nested_too_deep_answers_400(account, levels):
    body = with_nesting(account.slug, levels)
    response = APIClient().post(CONVERSATIONS, body, content_type="application/json")
    assert response.status_code == 400
    assert "nests deeper than 64 levels" in response.json()["detail"]
    assert not Conversation.objects.exists()


@pytest.mark.django_db
def test_nesting_within_the_limit_is_parsed_as_usual(account):
    body = json.dumps({"account": account.slug, "channel": "web_messaging", "consumer_name": "Kim"})
    assert APIClient().post(CONVERSATIONS, body, content_type="application/json").status_code == 201


async def asgi_post(messages: list[dict], headers: list[tuple[bytes, bytes]]) -> tuple[int, bytes]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": CONVERSATIONS,
        "raw_path": CONVERSATIONS.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"), *headers],
        "client": ("198.51.100.1", 5555),
        "server": ("127.0.0.1", 80),
    }
    communicator = ApplicationCommunicator(application, scope)
    for message in messages:
        await communicator.send_input(message)
    start = await communicator.receive_output(5)
    body = await communicator.receive_output(5)
    await communicator.wait(5)
    return start["status"], body["body"]


async def test_the_asgi_application_refuses_by_declared_length_before_reading():
    """A declared length over the limit: 413 at once, with not one body byte sent."""
    status, body = await asgi_post([], [(b"content-length", str(100 * LIMIT).encode())])
    assert status == 413 and b"too large" in body


async def test_the_asgi_application_refuses_a_streamed_body_by_counting():
    """No Content-Length (chunked): the bytes are counted as they arrive; past the limit, 413."""
    chunk = b" " * (256 * 1024)
    messages = [{"type": "http.request", "body": chunk, "more_body": True} for _ in range(5)]
    status, body = await asgi_post(messages, [])
    assert status == 413 and b"too large" in body


@pytest.mark.integration
def test_a_live_daphne_refuses_a_huge_body_before_receiving_it(account, live_daphne):
    """
    GIVEN a daphne process
    WHEN a client declares a 100 MiB body (and sends only its first MiB), then streams a chunked body
         of no declared length past the limit, then posts JSON nested 100,000 deep
    THEN the first two get 413 while the client is still sending, the third 400 with the reason; no
         conversation is created and the log holds no traceback
    """
    process, port = live_daphne("daphne-security-bodies")

    def raw_exchange(head: bytes, chunks) -> bytes:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
            conn.sendall(head)
            try:
                for chunk in chunks:
                    conn.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server closed the connection: what we want
            received = b""
            try:
                while True:
                    data = conn.recv(65536)
                    if not data:
                        break
                    received += data
            except ConnectionResetError:
                pass
            return received

    declared = raw_exchange(
        b"POST /api/v1/conversations/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n" % (100 * LIMIT),
        (b" " * 65536 for _ in range(16)),
    )
    assert declared.startswith(b"HTTP/1.1 413"), declared[:200]
    assert b"too large" in declared

    def chunked():
        for _ in range(40):  # 2.5 MiB in 64 KiB chunks
            yield b"10000\r\n" + b" " * 65536 + b"\r\n"
        yield b"0\r\n\r\n"

    streamed = raw_exchange(
        b"POST /api/v1/conversations/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n",
        chunked(),
    )
    assert streamed.startswith(b"HTTP/1.1 413"), streamed[:200]

    body = with_nesting(account.slug, 100_000).encode()
    status, _, answer = http(
        "POST", f"http://127.0.0.1:{port}{CONVERSATIONS}", body=body, headers={"Content-Type": "application/json"}
    )
    assert status == 400 and b"nests deeper" in answer
    assert not Conversation.objects.exists()
    log = process.output()
    assert "Traceback" not in log and "refused a request body over" in log
