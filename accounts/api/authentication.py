"""API authentication that treats a paused account as the console does: its admins and agents are
refused (403 with the reason), whatever the endpoint's permissions say. Support staff have no account
and are not affected."""

from __future__ import annotations

from drf_spectacular import authentication as spectacular_auth
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox import auth as knox_auth
from rest_framework import authentication
from rest_framework.exceptions import PermissionDenied

from accounts.models import User

PAUSED_MESSAGE = "This account is paused: its admins and agents cannot use the API until support resumes it."


def refuse_if_paused(user: User) -> None:
    account = user.account
    if account is not None and not account.active:
        raise PermissionDenied(PAUSED_MESSAGE)


class TokenAuthentication(knox_auth.TokenAuthentication):
    """knox's hashed, expiring tokens; a paused account's users are refused."""

    def validate_user(self, auth_token):
        user, token = super().validate_user(auth_token)
        refuse_if_paused(user)
        return user, token


class SessionAuthentication(authentication.SessionAuthentication):
    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None:
            refuse_if_paused(result[0])
        return result


class SessionScheme(spectacular_auth.SessionScheme):
    """The OpenAPI description of our session authentication: Django's session cookie, as DRF's."""

    target_class = "accounts.api.authentication.SessionAuthentication"


class TokenScheme(KnoxTokenScheme):
    """The OpenAPI description of our token authentication: knox's."""

    target_class = "accounts.api.authentication.TokenAuthentication"
