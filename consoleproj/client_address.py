"""The client's address, from one place: every throttle, the login lockout, the socket limits and
the logs ask here.

`X-Forwarded-For` is written by whoever sends the request, so it is believed only as far as it was
appended by a proxy we trust (TRUSTED_PROXIES, CIDRs; default: none, so the peer address is the
client). The header is read right to left: each entry was appended by the hop before it; while that
hop is a trusted proxy, the entry it appended names the next hop; the first address that is not a
trusted proxy is the client. Anything further left is the client's own claim and never used.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

UNKNOWN = "unknown"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(cidrs: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(cidr.strip(), strict=False) for cidr in cidrs if cidr.strip())


def trusted_networks() -> tuple[Network, ...]:
    return _networks(tuple(settings.TRUSTED_PROXIES))


def _parse(address: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not address:
        return None
    address = address.strip()
    if address.startswith("[") and "]" in address:  # "[2001:db8::1]:443"
        address = address[1 : address.index("]")]
    elif address.count(":") == 1:  # "192.0.2.1:1234"
        address = address.split(":", 1)[0]
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return None
    return parsed.ipv4_mapped or parsed if isinstance(parsed, ipaddress.IPv6Address) else parsed


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address, networks: Iterable[Network]) -> bool:
    return any(address.version == net.version and address in net for net in networks)


def client_address(peer: str | None, forwarded_for: str | None) -> str | None:
    """The client's address from the TCP peer and the X-Forwarded-For header(s) (comma-joined); None
    when the peer is not an IP address (a request made inside the process, a Unix socket)."""
    current = _parse(peer)
    if current is None:
        return None
    networks = trusted_networks()
    if not networks or not forwarded_for:
        return str(current)
    hops = [hop for hop in forwarded_for.split(",") if hop.strip()]
    while _trusted(current, networks) and hops:
        claimed = _parse(hops.pop())
        if claimed is None:
            # A trusted proxy appended something that is not an address: stop at the proxy itself.
            return str(current)
        current = claimed
    return str(current)


def client_address_of(request: HttpRequest) -> str | None:
    """The client's address of a Django (or DRF) request (django-axes calls this too)."""
    meta = request.META
    return client_address(meta.get("REMOTE_ADDR"), meta.get("HTTP_X_FORWARDED_FOR"))


def client_address_of_scope(scope: dict) -> str:
    """The client's address of an ASGI connection scope (the sockets)."""
    client = scope.get("client") or (None, None)
    forwarded = [
        value.decode("latin1") for name, value in scope.get("headers", ()) if name.lower() == b"x-forwarded-for"
    ]
    return client_address(client[0], ",".join(forwarded) or None) or UNKNOWN
