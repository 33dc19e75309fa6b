"""What every console page shares: the admin-only gate and the effective-permission rows.

Every view is scoped to the logged-in admin's own account (`account_admin_required`); objects of
another account are looked up within that account and so answer 404, never data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.models import Account, User
from settings_profiles.models import AccountCallSettings, Profile
from settings_profiles.services import PERMISSIONS, Decision, media_decision


def account_admin_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Let in only an active admin of an active account, and hand the view that `account`.

    Anonymous visitors go to the login page; everyone else (agents, support staff without an
    account, admins of a deactivated account) gets a 403 page that shows no account data.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not user.is_account_admin or user.account is None or not user.account.active:
            return render(request, "console/forbidden.html", status=403)
        return view(request, *args, account=user.account, **kwargs)

    return wrapper


# --- Effective permissions --------------------------------------------------------------------


@dataclass(frozen=True)
class EffectiveRow:
    """One user of the account with their profiles and what they may start."""

    user: User
    profiles: list[Profile]
    voice: Decision
    video: Decision
    share: Decision


def effective_rows(users: Iterable[User], call_settings: AccountCallSettings) -> list[EffectiveRow]:
    """Decisions for users whose profiles are prefetched: no query per user."""
    rows = []
    for user in users:
        profiles = list(user.profiles.all())
        decisions = {
            media: media_decision(user=user, call_settings=call_settings, profiles=profiles, media=media)
            for media in PERMISSIONS
        }
        rows.append(
            EffectiveRow(
                user=user,
                profiles=profiles,
                voice=decisions["voice"],
                video=decisions["video"],
                share=decisions["share"],
            )
        )
    return rows


def posted(request: HttpRequest):
    """The POST data of a POST (even an empty one, which must still validate), else None."""
    return request.POST if request.method == "POST" else None


def account_call_settings(account: Account) -> AccountCallSettings:
    return AccountCallSettings.objects.get(account=account)
