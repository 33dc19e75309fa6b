"""Reads of accounts and users."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from settings_profiles.models import Profile

from .models import Account, User


def account_users(*, account: Account) -> QuerySet[User]:
    """The account's admins and agents with their profiles, in two queries whatever their number."""
    return (
        User.objects.filter(account=account)
        .order_by("-is_active", "email")
        .prefetch_related(Prefetch("profiles", queryset=Profile.objects.order_by("name")))
    )
