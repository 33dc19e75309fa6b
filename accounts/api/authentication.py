"""API authentication that treats a paused account as the console does: its admins and agents are
refused (403 with the reason), whatever the endpoint's permissions say. Support staff have no account
and are not affected."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular import authentication as spectacular_auth
from rest_framework import authentication, exceptions
from rest_framework.exceptions import PermissionDenied

from accounts.models import User

PAUSED_MESSAGE = "This account is paused: its admins and agents cannot use the API until support resumes it."


def refuse_if_paused(user: User) -> None:
    if user.account_id is not None and not user.account.active:
        raise PermissionDenied(PAUSED_MESSAGE)


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key):
        # DRF's own lookup, with the account in the same query.
        token = self.get_model().objects.select_related("user__account").filter(key=key).first()
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        refuse_if_paused(token.user)
        return token.user, token


class SessionAuthentication(authentication.SessionAuthentication):
    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None:
            refuse_if_paused(result[0])
        return result


class SessionScheme(spectacular_auth.SessionScheme):
    """The OpenAPI description of our session authentication: Django's session cookie, as DRF's."""

    target_class = "accounts.api.authentication.SessionAuthentication"
