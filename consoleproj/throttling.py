"""DRF throttles keyed on the client address from `consoleproj.client_address` (never on a header the
client chose). Every throttle of the API derives from these."""

from __future__ import annotations

from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle

from .client_address import UNKNOWN, client_address_of


class ClientAddressMixin:
    def get_ident(self, request) -> str:
        return client_address_of(request) or UNKNOWN


class AddressRateThrottle(ClientAddressMixin, AnonRateThrottle):
    """Per client address, for anonymous endpoints; set `rate` on the subclass.

    Each subclass counts on its own: DRF's AnonRateThrottle keys every subclass on the one scope
    "anon", so one endpoint's requests would spend another's budget."""

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return None  # only anonymous requests are throttled here, as with DRF's AnonRateThrottle
        return self.cache_format % {"scope": type(self).__name__, "ident": self.get_ident(request)}


class UserOrAddressRateThrottle(ClientAddressMixin, UserRateThrottle):
    """Per user when authenticated, per client address otherwise."""


def throttle_keys_on_client_address(throttle: SimpleRateThrottle) -> bool:
    """For the test that every throttle in use resolves the address here."""
    return isinstance(throttle, ClientAddressMixin)
