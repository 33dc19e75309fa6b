"""Request bodies are bounded: a body over MAX_REQUEST_BODY_BYTES is refused with 413 before anything
parses it.

Two places, because two layers buffer a body before the application sees it:

- `limit_daphne_bodies()`: daphne (Twisted) receives the whole body into memory or a temporary file
  before it calls the application. The patch refuses as soon as the declared Content-Length, or the
  bytes counted so far of a chunked body, pass the limit, and closes the connection; the rest of the
  body is never stored and the application never runs.
- `BodyLimitMiddleware`: the same rule in the ASGI application, for any server (and for the test
  client, which calls the application directly). It reads the body up to the limit before Django
  does (Django buffers it whole anyway) and answers 413 past it.

Django's DATA_UPLOAD_MAX_MEMORY_SIZE (set to the same limit) covers `request.body` and form parsing;
the API parsers (consoleproj/parsers.py) reads a bounded stream as well.
"""

from __future__ import annotations

import json
import logging

from django.conf import settings

logger = logging.getLogger("consoleproj.bodylimit")


def too_large_body() -> bytes:
    limit = settings.MAX_REQUEST_BODY_BYTES
    return json.dumps({"detail": f"The request body is too large: the limit is {limit} bytes."}).encode()


class BodyLimitMiddleware:
    """ASGI middleware: 413 for an HTTP request whose body passes MAX_REQUEST_BODY_BYTES."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = settings.MAX_REQUEST_BODY_BYTES
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            return await _refuse(scope, send)
        buffered: list[dict] = []
        received = 0
        while True:
            message = await receive()
            buffered.append(message)
            if message["type"] != "http.request":
                break  # http.disconnect: the application hears of it as usual
            received += len(message.get("body", b""))
            if received > limit:
                return await _refuse(scope, send)
            if not message.get("more_body", False):
                break

        async def replay():
            if buffered:
                return buffered.pop(0)
            return await receive()

        return await self.app(scope, replay, send)


def _declared_length(scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _refuse(scope, send) -> None:
    from .client_address import client_address_of_scope

    logger.warning(
        "refused a request body over %s bytes from %s", settings.MAX_REQUEST_BODY_BYTES, client_address_of_scope(scope)
    )
    body = too_large_body()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def limit_daphne_bodies() -> None:
    """Refuse an oversized body inside daphne, before it is buffered (see the module's docstring)."""
    try:
        from daphne.http_protocol import WebRequest
    except ImportError:  # pragma: no cover - another ASGI server: the middleware still applies
        return
    if getattr(WebRequest, "body_limited", False):
        return

    got_length, handle_chunk, process = WebRequest.gotLength, WebRequest.handleContentChunk, WebRequest.process

    def refuse(request) -> None:
        if request.__dict__.get("body_refused"):
            return
        request.body_refused = True
        from .client_address import client_address

        peer = request.channel.transport.getPeer() if request.channel and request.channel.transport else None
        forwarded = b",".join(request.requestHeaders.getRawHeaders(b"x-forwarded-for") or []).decode("latin1")
        logger.warning(
            "refused a request body over %s bytes from %s",
            settings.MAX_REQUEST_BODY_BYTES,
            client_address(getattr(peer, "host", None), forwarded or None) or "unknown",
        )
        body = too_large_body()
        head = (
            b"HTTP/1.1 413 Content Too Large\r\nContent-Type: application/json\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n"
        )
        transport = request.channel.transport
        transport.write(head + body)
        transport.loseConnection()

    def gotLength(self, length):  # noqa: N802 - Twisted's names
        self.body_seen = 0
        if length is not None and length > settings.MAX_REQUEST_BODY_BYTES:
            self.content = _NoContent()
            refuse(self)
            return None
        return got_length(self, length)

    def handleContentChunk(self, data):  # noqa: N802
        if self.__dict__.get("body_refused"):
            return None
        self.body_seen = self.__dict__.get("body_seen", 0) + len(data)
        if self.body_seen > settings.MAX_REQUEST_BODY_BYTES:
            self.content.close()
            self.content = _NoContent()
            refuse(self)
            return None
        return handle_chunk(self, data)

    def process_unless_refused(self):
        if self.__dict__.get("body_refused"):
            return None
        return process(self)

    WebRequest.gotLength = gotLength
    WebRequest.handleContentChunk = handleContentChunk
    WebRequest.process = process_unless_refused
    WebRequest.body_limited = True


class _NoContent:
    """Stands in for the body file of a refused request: takes nothing, holds nothing."""

    def write(self, data: bytes) -> None:
        return None

    def seek(self, *args) -> int:
        return 0

    def read(self, *args) -> bytes:
        return b""

    def close(self) -> None:
        return None
