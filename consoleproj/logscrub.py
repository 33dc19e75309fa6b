"""Credentials never reach a log line.

The consumer token travels in URLs (`/engage/call/?token=`, `/ws/consumer/?token=`), and daphne's
access log prints every URL with its query. Two places scrub it:

- `ScrubCredentials`, a logging filter on our handlers: every record's message, arguments included;
- `scrub_daphne_access_log()`: daphne's access log is not written through `logging` but straight to
  stdout (daphne.access.AccessLogGenerator), so its `write_entry` scrubs the request line first.

A scrubbed value reads `token=[scrubbed]`; the rest of the URL stays, so a log still says which page
was asked for and with what status. The handoff links of "Continue on my phone" carry their one-time
code in the path (`/go/CODE`): it reads `/go/[scrubbed]`.
"""

from __future__ import annotations

import logging
import re

# Query parameters and headers that carry a credential.
SECRET_NAMES = ("token", "consumer_token", "access_token", "password", "secret", "credential")
_NAMES = "|".join(SECRET_NAMES)
_QUERY_SECRET = re.compile(rf"(?P<name>(?:[?&;#]|\b)(?:{_NAMES})=)(?P<value>[^&\s\"'#;]+)", re.IGNORECASE)
_AUTH_HEADER = re.compile(r"(?P<name>\b(?:Token|Bearer)\s+)(?P<value>[A-Za-z0-9._~+/=:-]{8,})")
_HANDOFF_PATH = re.compile(r"(?P<name>/go/)(?P<value>[A-Za-z0-9-]{4,})")
SCRUBBED = "[scrubbed]"


def scrub(text: str) -> str:
    """The text with every credential value in a URL query, a handoff path or an Authorization value replaced."""
    if "/go/" in text:
        text = _HANDOFF_PATH.sub(lambda m: m.group("name") + SCRUBBED, text)
    if "=" not in text and "Token" not in text and "Bearer" not in text:
        return text
    text = _QUERY_SECRET.sub(lambda m: m.group("name") + SCRUBBED, text)
    return _AUTH_HEADER.sub(lambda m: m.group("name") + SCRUBBED, text)


class ScrubCredentials(logging.Filter):
    """Rewrites a record's message (with its arguments) without credentials; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is the logging module's to report
            return True
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def scrub_daphne_access_log() -> None:
    try:
        from daphne.access import AccessLogGenerator
    except ImportError:  # pragma: no cover - another ASGI server logs through its own means
        return
    if getattr(AccessLogGenerator, "scrubbed", False):
        return
    write_entry = AccessLogGenerator.write_entry

    def write_scrubbed(self, host, date, request, *args, **kwargs):
        return write_entry(self, host, date, scrub(request), *args, **kwargs)

    AccessLogGenerator.write_entry = write_scrubbed
    AccessLogGenerator.scrubbed = True
