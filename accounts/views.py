"""The landing page: each kind of user goes where they work."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render

from accounts.models import AuthenticatedRequest
from settings_profiles.services import PERMISSION_LABELS, agent_permissions


@login_required
def home(request: AuthenticatedRequest) -> HttpResponse:
    """Admins go to the console, support staff to the Django admin, agents to their workspace.

    A login that belongs to no active account (and is not support) has nowhere to work: it gets this
    home page, which says so and shows its call permissions.
    """
    user = request.user
    if user.is_account_admin:
        return redirect("console:overview")
    if user.is_staff:
        return redirect("admin:index")
    if user.account is not None and user.account.active:
        return redirect("workspace:index")
    permissions = agent_permissions(user=user)
    context = {
        "account": user.account,
        "profiles": list(user.profiles.order_by("name")),
        "decisions": [
            {"media": media, "label": PERMISSION_LABELS[media], "decision": decision}
            for media, decision in permissions.items()
        ],
    }
    return render(request, "accounts/agent_home.html", context)
