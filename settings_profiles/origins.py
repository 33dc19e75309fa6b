"""Web origins (scheme, host, port) as an account lists them and as browsers send them.

An account's `allowed_origins` are the pages that may run its own messaging window: they drive the
consumer socket's Origin check, CORS on the window's endpoints and who may frame the hosted window.
An origin matches only exactly: same scheme, same host, same port (the default port of the scheme
when none is written). Nothing here touches the database or the settings.
"""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import urlsplit

from .validation import host_ok

MAX_ALLOWED_ORIGINS = 20
# The cached union of every active account's origins (calls/origins.py reads it for CORS preflights;
# call_settings_save drops it when an account's list changes).
ANY_ACCOUNT_CACHE_KEY = "calls.origins.any-account.v1"
DEFAULT_PORTS = {"http": 80, "https": 443}
# Plain http is a secure context only on loopback; anywhere else getUserMedia is refused.
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]"})


class Origin(NamedTuple):
    """A parsed origin; `port` is always filled in (443 for https with none written)."""

    scheme: str
    host: str
    port: int

    def __str__(self) -> str:
        default = DEFAULT_PORTS[self.scheme] == self.port
        return f"{self.scheme}://{self.host}" + ("" if default else f":{self.port}")

    @property
    def loopback(self) -> bool:
        return self.host in LOOPBACK_HOSTS


def parse_origin(value: object) -> Origin | None:
    """The origin `value` names (an `Origin` header or a configured entry), or None when it is not
    exactly `scheme://host[:port]` with scheme http or https (no path, query, user or fragment)."""
    if not isinstance(value, str) or not value or len(value) > 300 or value != value.strip():
        return None
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or parts.path or parts.query or parts.fragment or "#" in value or "?" in value:
        return None
    if parts.username is not None or parts.password is not None or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    if not host_ok(host):  # lower-cased above
        return None
    if port is not None and port == 0:
        return None
    return Origin(scheme, host, port if port is not None else DEFAULT_PORTS[scheme])


def allowed_origins_errors(value: object) -> list[str]:
    """A list of at most MAX_ALLOWED_ORIGINS origins, each written exactly as browsers send it:
    https (plain http only for localhost, 127.0.0.1 and [::1]), lower case, no path, no default port."""
    if not isinstance(value, list):
        return ['must be a list of origins, e.g. ["https://www.example.com"]']
    if len(value) > MAX_ALLOWED_ORIGINS:
        return [f"at most {MAX_ALLOWED_ORIGINS} origins"]
    errors: list[str] = []
    seen: set[Origin] = set()
    for entry in value:
        origin = parse_origin(entry)
        if origin is None:
            errors.append(
                f"{entry!r}: not an origin; write scheme://host[:port] with no path, e.g. https://www.example.com"
            )
            continue
        if origin.scheme == "http" and not origin.loopback:
            errors.append(f"{entry!r}: must be https (calls need a secure context; http only for localhost)")
            continue
        if str(origin) != entry:
            errors.append(f"{entry!r}: write it as {str(origin)!r}, exactly as browsers send it")
            continue
        if origin in seen:
            errors.append(f"{entry!r}: listed twice")
        seen.add(origin)
    return errors


def origin_in(origin: Origin, allowed: object, *, https_only: bool) -> bool:
    """Whether `origin` is one of the `allowed` entries exactly; with `https_only` (production), http
    entries never match, loopback ones included."""
    if https_only and origin.scheme != "https":
        return False
    if not isinstance(allowed, list):
        return False
    return any(parse_origin(entry) == origin for entry in allowed)
