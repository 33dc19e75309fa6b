"""System checks for calls: a production deployment without a relay (TURN) loses every call across NATs."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Tags, Warning, register

RELAY_SETTINGS = "TURN_REST_URLS with TURN_REST_SECRET, or a turn:/turns: URL in ICE_SERVERS"


def platform_has_relay() -> bool:
    """The platform default offers a TURN server: minted TURN REST credentials or a static turn: URL."""
    if settings.TURN_REST_URLS and settings.TURN_REST_SECRET:
        return True
    for server in settings.ICE_SERVERS or []:
        urls = server.get("urls") if isinstance(server, dict) else None
        urls = [urls] if isinstance(urls, str) else (urls or [])
        if any(isinstance(url, str) and url.startswith(("turn:", "turns:")) for url in urls):
            return True
    return False


@register(Tags.security, deploy=True)
def relay_configured(app_configs, **kwargs) -> list[Warning]:
    """`check --deploy`: warn when production has no TURN server for accounts without their own."""
    if platform_has_relay():
        return []
    return [
        Warning(
            "No TURN relay is configured: calls between people behind NATs or firewalls will fail.",
            hint=f"Set {RELAY_SETTINGS} (see deploy/coturn/turnserver.conf and docs/operations.md).",
            id="calls.W001",
        )
    ]
