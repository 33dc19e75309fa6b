"""Consumer tokens in the access log (finding 7): daphne prints every URL it serves, and the consumer
token travels in `/engage/call/?token=` and `/ws/consumer/?token=`. Every log line is scrubbed."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
import websockets

from calls import services
from calls.tokens import consumer_token_for
from consoleproj.logscrub import SCRUBBED, ScrubCredentials, scrub

from .conftest import http


def test_the_scrubber_keeps_the_url_and_drops_the_credential():
    token = "eyJjIjoxLCJhIjoxfQ:1vA2xB:AbCdEf-123_x"
    line = f'127.0.0.1:5555 - - [02/Dec/2026:04:00:00] "GET /engage/call/?token={token}&locale=de" 200 512'
    assert (
        scrub(line)
        == f'127.0.0.1:5555 - - [02/Dec/2026:04:00:00] "GET /engage/call/?token={SCRUBBED}&locale=de" 200 512'
    )
    assert token not in scrub(f"WSCONNECT /ws/consumer/?consumer_token={token}")
    assert token not in scrub(f"Authorization: Token {token}")
    assert scrub("GET /api/v1/agents/?limit=10") == "GET /api/v1/agents/?limit=10"


def test_the_log_handlers_scrub_every_record(caplog):
    """The project's handlers carry the filter, so a record from any logger is scrubbed there."""
    root = logging.getLogger()
    assert any(isinstance(f, ScrubCredentials) for handler in root.handlers for f in handler.filters)
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Forbidden: %s", ("/x/?token=s3cr3t-value",), None
    )
    assert ScrubCredentials().filter(record) and record.getMessage() == f"Forbidden: /x/?token={SCRUBBED}"


@pytest.mark.integration
def test_a_live_daphne_never_logs_a_consumer_token(account, live_daphne):
    """
    GIVEN a daphne process (access log on, as `daphne` runs by default; DEBUG logging)
    WHEN a mobile webview opens /engage/call/?token=T and a consumer socket /ws/consumer/?token=T
    THEN the page and the socket work, the access log lists both requests, and T is nowhere in the log
    """
    process, port = live_daphne("daphne-security-logs")
    conversation = services.conversation_create(
        account=account, channel="web_messaging", consumer_name="", consumer_ref="", locale=""
    )
    token = consumer_token_for(conversation_id=conversation.pk, account_id=account.pk)
    status, _, page = http("GET", f"http://127.0.0.1:{port}/engage/call/?token={token}")
    assert status == 200
    bad_status, _, _ = http("GET", f"http://127.0.0.1:{port}/engage/call/?token={token}x")
    assert bad_status == 403

    async def open_socket() -> dict:
        async with websockets.connect(
            f"ws://127.0.0.1:{port}/ws/consumer/?token={token}", origin=f"http://127.0.0.1:{port}"
        ) as ws:
            return json.loads(await asyncio.wait_for(ws.recv(), 10))

    assert asyncio.run(open_socket())["type"] == "hello"
    http("GET", f"http://127.0.0.1:{port}/healthz")  # the log is flushed line by line: one more line after
    log = process.output()
    assert f'"GET /engage/call/?token={SCRUBBED}" 200' in log
    assert f"/ws/consumer/?token={SCRUBBED}" in log or "WSCONNECT /ws/consumer/" in log
    assert token not in log
    assert token.split(":")[-1] not in log  # not even the signature part
