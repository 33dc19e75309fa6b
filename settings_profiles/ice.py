"""The ICE configuration handed to one participant of one call.

TURN REST credentials follow coturn's `use-auth-secret` scheme (draft-uberti-behave-turn-rest):
username = "<expiry unix time>:<participant>", credential = base64(HMAC-SHA1(secret, username)).
The shared secret never leaves the server; only credentials minted from it do, and they are
never stored or logged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import TypedDict

from django.conf import settings

from .models import AccountCallSettings


class IceServer(TypedDict, total=False):
    urls: list[str]
    username: str
    credential: str


class IceConfig(TypedDict):
    iceServers: list[IceServer]
    iceTransportPolicy: str


def turn_rest_credential(*, secret: str, participant: str, ttl_s: int, now: float | None = None) -> tuple[str, str]:
    """A (username, credential) pair valid for `ttl_s` seconds from `now`."""
    expiry = int(now if now is not None else time.time()) + ttl_s
    username = f"{expiry}:{participant}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def _static(servers: list[dict]) -> list[IceServer]:
    out: list[IceServer] = []
    for server in servers:
        urls = server["urls"]
        entry: IceServer = {"urls": [urls] if isinstance(urls, str) else list(urls)}
        if server.get("username"):
            entry["username"] = server["username"]
            entry["credential"] = server.get("credential", "")
        out.append(entry)
    return out


def ice_config_for(
    *, call_settings: AccountCallSettings, participant: str, now: float | None = None, max_ttl_s: int | None = None
) -> IceConfig:
    """The RTCConfiguration subset for one participant: servers, minted TURN credentials, policy.

    An account that brings its own servers (static or TURN REST) uses only those; otherwise the
    platform defaults from the environment apply. `participant` names the call side, e.g.
    "call-42-agent"; it appears in coturn's logs, so it must not carry personal data. `max_ttl_s`, when
    given and shorter, cuts the minted credentials' lifetime (the readiness check's, for example).
    """
    if call_settings.ice_servers or call_settings.turn_rest_urls:
        static, rest_urls = call_settings.ice_servers, call_settings.turn_rest_urls
        secret, ttl_s = call_settings.turn_rest_shared_secret, call_settings.turn_rest_ttl_s
    else:
        static, rest_urls = settings.ICE_SERVERS, settings.TURN_REST_URLS
        secret, ttl_s = settings.TURN_REST_SECRET, settings.TURN_REST_TTL_S
    ttl_s = min(ttl_s, max_ttl_s) if max_ttl_s else ttl_s
    servers = _static(static)
    if rest_urls and secret:
        username, credential = turn_rest_credential(secret=secret, participant=participant, ttl_s=ttl_s, now=now)
        servers.append({"urls": list(rest_urls), "username": username, "credential": credential})
    return {"iceServers": servers, "iceTransportPolicy": "relay" if call_settings.force_relay else "all"}
