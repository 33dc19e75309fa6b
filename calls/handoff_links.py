"""The link and QR code of a handoff code (Continue on my phone): `https://HOST/go/CODE` and the same
URL as a QR code, an SVG made here (segno, no network) and sent as a `data:` URI, which the pages'
Content-Security-Policy allows for images (`img-src 'self' data:`): nothing inline runs."""

from __future__ import annotations

import segno
from django.conf import settings
from django.http.request import split_domain_port, validate_host

from .origins import https_only

PATH = "/go/"


def public_base(host_header: str, *, secure: bool) -> str | None:
    """scheme://host of the platform as the asking client reached it (one of ALLOWED_HOSTS), or None."""
    host, _port = split_domain_port(host_header or "")
    if not host or not validate_host(host, settings.ALLOWED_HOSTS):
        return None
    return f"{'https' if https_only() or secure else 'http'}://{host_header.lower()}"


def handoff_url(base: str, code: str) -> str:
    return f"{base}{PATH}{code}"


def qr_data_uri(url: str) -> str:
    """The URL as a QR code: an SVG data URI, dark modules on white with the standard quiet zone."""
    qr = segno.make(url, error="m", micro=False)
    return qr.svg_data_uri(scale=4, border=4, dark="#111827", light="#ffffff")
