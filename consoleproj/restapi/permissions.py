"""Who may use which API endpoint.

Account-scoped endpoints serve the requesting admin's own account only; objects of other accounts
are filtered out of the querysets, so they answer 404, never 403, and lists never show them.
"""

from __future__ import annotations

from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView


class IsAccountAdmin(BasePermission):
    """An active admin of an account (role admin, account set). Agents and support staff get 403."""

    message = "Only an account's admins may use this endpoint."

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_account_admin)
