"""Validation of the structured advanced settings (ICE servers, TURN REST, texts, style, analytics).

Every function returns a list of messages for its field so callers (the model's `clean`, the API
serializer, the admin form) report them under that field name. Nothing here touches the database.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import parse_qs

from .texts import LOCALES, TEXT_KEYS, text_errors

_HOST_RE = re.compile(
    r"^(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)
_COLOR_RE = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")
MAX_ICE_SERVERS = 10
MAX_CREDENTIAL_LENGTH = 256


def host_ok(host: str) -> bool:
    """A DNS name, an IPv4 address or a bracketed IPv6 address (ICE server URLs and allowed origins)."""
    if host.startswith("[") and host.endswith("]"):
        try:
            return isinstance(ipaddress.ip_address(host[1:-1]), ipaddress.IPv6Address)
        except ValueError:
            return False
    try:
        ipaddress.IPv4Address(host)
        return True
    except ValueError:
        return bool(_HOST_RE.match(host)) and not host.replace(".", "").isdigit()


def ice_url_errors(url: object) -> list[str]:
    """RFC 7064/7065 shape: stun:host[:port], turn(s):host[:port][?transport=udp|tcp]."""
    if not isinstance(url, str) or not url:
        return ["must be a non-empty string"]
    scheme, sep, rest = url.partition(":")
    if not sep or scheme not in {"stun", "stuns", "turn", "turns"}:
        return [f"{url!r}: the scheme must be stun:, stuns:, turn: or turns:"]
    if rest.startswith("//"):
        return [f"{url!r}: write {scheme}:host:port, without //"]
    hostport, qsep, query = rest.partition("?")
    if qsep:
        if scheme.startswith("stun"):
            return [f"{url!r}: STUN URLs take no query"]
        params = parse_qs(query, keep_blank_values=True)
        if set(params) != {"transport"} or params["transport"] not in (["udp"], ["tcp"]):
            return [f"{url!r}: the only query allowed is ?transport=udp or ?transport=tcp"]
    port: str | None
    if hostport.startswith("["):
        host, _, port = hostport[1:].partition("]")
        host = f"[{host}]"
        port = port[1:] if port.startswith(":") else (port or None)
        if port == "":
            port = None
    else:
        host, psep, port = hostport.rpartition(":") if ":" in hostport else (hostport, "", "")
        port = port if psep else None
    if not host or not host_ok(host):
        return [f"{url!r}: {host or '(empty)'} is not a valid host name or IP address"]
    if port is not None and (not port.isdigit() or not 1 <= int(port) <= 65535):
        return [f"{url!r}: the port must be a number from 1 to 65535"]
    return []


def _urls_list(value: object) -> list | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value:
        return value
    return None


def ice_servers_errors(servers: object) -> list[str]:
    """A list of RTCIceServer dicts: {urls, username?, credential?}; TURN needs both credentials."""
    if not isinstance(servers, list):
        return ["must be a list of {urls, username, credential} objects"]
    if len(servers) > MAX_ICE_SERVERS:
        return [f"at most {MAX_ICE_SERVERS} servers"]
    errors: list[str] = []
    for i, server in enumerate(servers, start=1):
        where = f"server {i}"
        if not isinstance(server, dict):
            errors.append(f"{where}: must be an object with urls, username and credential")
            continue
        unknown = set(server) - {"urls", "username", "credential"}
        if unknown:
            errors.append(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        urls = _urls_list(server.get("urls"))
        if urls is None:
            errors.append(f"{where}: urls must be a URL or a non-empty list of URLs")
            continue
        for url in urls:
            errors.extend(f"{where}: {e}" for e in ice_url_errors(url))
        needs_credentials = any(isinstance(u, str) and u.startswith("turn") for u in urls)
        for field in ("username", "credential"):
            value = server.get(field)
            if value is None or value == "":
                if needs_credentials:
                    errors.append(f"{where}: TURN servers need a {field}")
            elif not isinstance(value, str) or len(value) > MAX_CREDENTIAL_LENGTH:
                errors.append(f"{where}: {field} must be a string of at most {MAX_CREDENTIAL_LENGTH} characters")
    return errors


def turn_rest_urls_errors(urls: object) -> list[str]:
    if not isinstance(urls, list):
        return ["must be a list of turn: or turns: URLs"]
    errors: list[str] = []
    for url in urls:
        if isinstance(url, str) and not url.startswith("turn"):
            errors.append(f"{url!r}: TURN REST credentials only apply to turn: and turns: URLs")
        else:
            errors.extend(ice_url_errors(url))
    return errors


def texts_errors(texts: object) -> list[str]:
    """{key: text} overrides for the account's default locale."""
    if not isinstance(texts, dict):
        return ["must be an object of {text key: text}"]
    errors: list[str] = []
    for key, text in texts.items():
        errors.extend(f"{key}: {e}" for e in text_errors(key, text))
    return errors


def texts_by_locale_errors(value: object) -> list[str]:
    """{locale: {key: text}} overrides for further locales."""
    if not isinstance(value, dict):
        return ["must be an object of {locale: {text key: text}}"]
    errors: list[str] = []
    for locale, texts in value.items():
        if locale not in LOCALES:
            errors.append(f"{locale}: unknown locale (known: {', '.join(LOCALES)})")
            continue
        errors.extend(f"{locale}.{e}" for e in texts_errors(texts))
    return errors


# The invitation look of the Mobile SDK and the web window: colours, border and the webview bar.
SDK_STYLE_DEFAULTS: dict[str, object] = {
    "invitation_background": "#FFFFFF",
    "invitation_text_color": "#1F2933",
    "invitation_border_color": "#D0D7DE",
    "invitation_border_width": 1,
    "invitation_border_radius": 12,
    "accept_button_background": "#16A34A",
    "accept_button_text_color": "#FFFFFF",
    "reject_button_background": "#DC2626",
    "reject_button_text_color": "#FFFFFF",
    "webview_bar_background": "#111827",
    "webview_bar_text_color": "#FFFFFF",
}
_STYLE_INT_LIMITS = {"invitation_border_width": (0, 8), "invitation_border_radius": (0, 32)}


def sdk_style_errors(style: object) -> list[str]:
    if not isinstance(style, dict):
        return ["must be an object of style properties"]
    errors: list[str] = []
    for key, value in style.items():
        if key not in SDK_STYLE_DEFAULTS:
            errors.append(f"{key}: unknown style property (known: {', '.join(SDK_STYLE_DEFAULTS)})")
        elif key in _STYLE_INT_LIMITS:
            low, high = _STYLE_INT_LIMITS[key]
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                errors.append(f"{key}: must be a whole number of pixels from {low} to {high}")
        elif not isinstance(value, str) or not _COLOR_RE.match(value):
            errors.append(f"{key}: {value!r} is not a colour; use #RGB, #RRGGBB or #RRGGBBAA")
    return errors


# Each tracker's configuration: the keys it takes and the shape of each value.
ANALYTICS_CONFIG_FIELDS: dict[str, dict[str, re.Pattern[str]]] = {
    "none": {},
    "google_analytics": {"measurement_id": re.compile(r"^(G-[A-Z0-9]{4,16}|UA-\d{4,10}-\d{1,4})$")},
    "piwik": {"site_id": re.compile(r"^\d{1,9}$"), "tracker_url": re.compile(r"^https://[^\s<>\"']{3,200}$")},
    "webtrekk": {"track_id": re.compile(r"^\d{6,20}$"), "track_domain": re.compile(r"^[A-Za-z0-9.-]{3,200}$")},
    "tealium": {
        "account": re.compile(r"^[A-Za-z0-9_-]{1,64}$"),
        "profile": re.compile(r"^[A-Za-z0-9_-]{1,64}$"),
        "environment": re.compile(r"^(dev|qa|prod)$"),
    },
}
ANALYTICS_REQUIRED = {
    "google_analytics": {"measurement_id"},
    "piwik": {"site_id"},
    "webtrekk": {"track_id"},
    "tealium": {"account", "profile"},
}


def analytics_config_errors(tracker: str, config: object) -> list[str]:
    if not isinstance(config, dict):
        return ["must be an object"]
    fields = ANALYTICS_CONFIG_FIELDS.get(tracker)
    if fields is None:
        return []  # the tracker field reports an unknown tracker itself
    errors: list[str] = []
    for key, value in config.items():
        pattern = fields.get(key)
        if pattern is None:
            known = ", ".join(fields) or "nothing"
            errors.append(f"{key}: not a setting of the {tracker} tracker (it takes {known})")
        elif not isinstance(value, str) or not pattern.match(value):
            errors.append(f"{key}: {value!r} is not a valid value")
    for key in sorted(ANALYTICS_REQUIRED.get(tracker, set()) - set(config)):
        errors.append(f"{key}: required for the {tracker} tracker")
    return errors


__all__ = [
    "TEXT_KEYS",
    "SDK_STYLE_DEFAULTS",
    "analytics_config_errors",
    "ice_servers_errors",
    "ice_url_errors",
    "sdk_style_errors",
    "texts_by_locale_errors",
    "texts_errors",
    "turn_rest_urls_errors",
]
