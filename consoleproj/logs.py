"""Log lines as JSON (LOG_FORMAT=json), each with the request id and the call id it concerns.

The ids live in context variables: the HTTP middleware sets the request id of each request (the
proxy's X-Request-ID when it sent a well-formed one, so nginx's access log and ours share it, else
a new one, echoed in the response); a WebSocket sets one for its connection, and the call id of the
frame it is handling. asgiref carries both into `database_sync_to_async` threads, so the services'
lines have them too.

Never a secret: nothing here logs request data, and as a last guard the formatter masks anything
shaped like a consumer token in a query string or a bearer credential.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import uuid
from datetime import UTC, datetime

from asgiref.sync import iscoroutinefunction, markcoroutinefunction

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
call_id: contextvars.ContextVar[int | None] = contextvars.ContextVar("call_id", default=None)

_WELL_FORMED = re.compile(r"^[A-Za-z0-9._-]{8,128}$")
_SECRETS = re.compile(r"(?i)(token=|bearer\s+|password=|secret=)[^\s&\"',;]+")
# A password-reset link carries its token in the path: /accounts/password/reset/<uid>/<token>/.
_RESET_LINK = re.compile(r"(/password/reset/)[^/\s]+/[^/\s]+/")


def new_request_id(offered: str | None = None) -> str:
    """The proxy's id when well formed (nginx's $request_id), else a fresh one."""
    return offered if offered and _WELL_FORMED.match(offered) else uuid.uuid4().hex


def bind_request(offered: str | None = None) -> str:
    rid = new_request_id(offered)
    request_id.set(rid)
    return rid


def bind_call(value: int | None) -> None:
    """The call the current frame or service concerns (None: none)."""
    call_id.set(value)


def scope_request_id(scope: dict) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            return value.decode("latin1")
    return None


class ContextFilter(logging.Filter):
    """Puts the ids on every record (plain lines may use %(request_id)s too)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        record.call_id = call_id.get()
        return True


def redact(text: str) -> str:
    text = _RESET_LINK.sub(r"\1[redacted]/", text)
    return _SECRETS.sub(lambda m: m.group(1) + "[redacted]", text)


class JsonFormatter(logging.Formatter):
    """One JSON object a line: ts, level, logger, message, request_id, call_id (and exc)."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "request_id": getattr(record, "request_id", None),
            "call_id": getattr(record, "call_id", None),
            "process": record.process,
        }
        if record.exc_info:
            line["exc"] = redact(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False, default=str)


class PlainFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class RequestIdMiddleware:
    """Each request's id: bound for its log lines and answered as X-Request-ID."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self._acall(request)
        rid = bind_request(request.META.get("HTTP_X_REQUEST_ID"))
        bind_call(None)
        response = self.get_response(request)
        response["X-Request-ID"] = rid
        return response

    async def _acall(self, request):
        rid = bind_request(request.META.get("HTTP_X_REQUEST_ID"))
        bind_call(None)
        response = await self.get_response(request)
        response["X-Request-ID"] = rid
        return response
