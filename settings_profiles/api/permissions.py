"""Who may read and change an account's call settings through the API."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

if TYPE_CHECKING:  # type names only: accounts sits above this app (docs/architecture.md, Layers)
    from accounts.models import Account, User


def requesting_account(request: Request) -> Account:
    """The account of the requesting admin (IsAccountAdmin let only an account's admins in)."""
    account = getattr(request.user, "account", None)
    if account is None:
        raise PermissionDenied()
    return account


def requesting_account_id(request: Request) -> int:
    """The id of the requesting admin's account, without a query for the row."""
    account_id = getattr(request.user, "account_id", None)
    if account_id is None:
        raise PermissionDenied()
    return account_id


def acting_user(request: Request) -> User:
    """The authenticated user making the request (IsAuthenticated let only those in)."""
    user = request.user
    if not user.is_authenticated:
        raise PermissionDenied()
    return user


class CallSettingsAccess(BasePermission):
    """Support staff read and write every account's call settings; an account's admins only read their own.

    An admin asking for another account's settings gets 404 (the account's existence is not
    revealed); agents get 403.
    """

    message = "Only support staff may change call settings; an account's admins may read them."

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if user.is_staff:
            return True
        if not user.is_account_admin:
            self.message = "Only an account's admins and support staff may read call settings."
            return False
        if user.account is None or user.account.slug != view.kwargs.get("slug"):
            raise NotFound()
        return request.method in SAFE_METHODS
