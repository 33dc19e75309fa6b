"""The account admin's web console: thin views that parse forms and call the services.

The overview, agents and profiles pages; the call-settings pages are in `call_settings_views`, the
admin-only gate and the effective-permission rows every page shares in `access`.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Account, AuthenticatedRequest, User
from accounts.selectors import account_users
from accounts.services import api_tokens_active, api_tokens_revoke, user_create, user_set_active
from settings_profiles.browsers import browser_floors
from settings_profiles.models import Profile
from settings_profiles.services import (
    PERMISSION_LABELS,
    profile_assign,
    profile_create,
    profile_delete,
    profile_update,
)

from .access import account_admin_required, account_call_settings, effective_rows, posted
from .forms import AgentCreateForm, AgentProfilesForm, ProfileForm, add_service_errors


def _account_user(account: Account, pk: int) -> User:
    users = User.objects.prefetch_related(Prefetch("profiles", queryset=Profile.objects.order_by("name")))
    return get_object_or_404(users, pk=pk, account=account)


# --- Overview ---------------------------------------------------------------------------------


@account_admin_required
def overview(request: HttpRequest, *, account: Account) -> HttpResponse:
    call_settings = account_call_settings(account)
    rows = effective_rows(account_users(account=account), call_settings)
    agents = [r for r in rows if r.user.role == User.Role.AGENT]
    active_agents = [r for r in agents if r.user.is_active]
    context = {
        "section": "overview",
        "account": account,
        "call_settings": call_settings,
        "has_relay": call_settings.has_turn_server(),
        "browser_floors": browser_floors(),
        "agents_active": len(active_agents),
        "agents_inactive": len(agents) - len(active_agents),
        "admins": sum(1 for r in rows if r.user.role == User.Role.ADMIN and r.user.is_active),
        "profiles_count": Profile.objects.filter(account=account).count(),
        "can_voice": sum(1 for r in active_agents if r.voice.allowed),
        "can_video": sum(1 for r in active_agents if r.video.allowed),
        "labels": PERMISSION_LABELS,
    }
    return render(request, "console/overview.html", context)


# --- Agents -----------------------------------------------------------------------------------


@account_admin_required
def agents(request: HttpRequest, *, account: Account) -> HttpResponse:
    rows = effective_rows(account_users(account=account), account_call_settings(account))
    return render(request, "console/agents.html", {"section": "agents", "account": account, "rows": rows})


@account_admin_required
@require_http_methods(["GET", "POST"])
def agent_create(request: HttpRequest, *, account: Account) -> HttpResponse:
    form = AgentCreateForm(posted(request), account=account)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = user_create(
                account=account,
                email=data["email"],
                password=data["password"],
                role=data["role"],
                name=data["name"],
                profiles=list(data["profiles"]),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{user.display_name} ({user.email}) was added.")
            return redirect("console:agents")
    return render(request, "console/agent_create.html", {"section": "agents", "account": account, "form": form})


@account_admin_required
@require_http_methods(["GET", "POST"])
def agent_detail(request: HttpRequest, pk: int, *, account: Account) -> HttpResponse:
    target = _account_user(account, pk)
    form = AgentProfilesForm(
        posted(request), account=account, initial={"profiles": [p.pk for p in target.profiles.all()]}
    )
    if request.method == "POST" and form.is_valid():
        try:
            profile_assign(user=target, profiles=form.cleaned_data["profiles"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"The profiles of {target.display_name} were saved.")
            return redirect("console:agent_detail", pk=target.pk)
    (row,) = effective_rows([target], account_call_settings(account))
    context = {
        "section": "agents",
        "account": account,
        "target": target,
        "row": row,
        "form": form,
        "token_count": len(api_tokens_active(user=target)),
    }
    return render(request, "console/agent_detail.html", context)


@account_admin_required
@require_POST
def agent_tokens_revoke(request: HttpRequest, pk: int, *, account: Account) -> HttpResponse:
    """Revoke every API token of one of the account's users."""
    target = get_object_or_404(User, pk=pk, account=account)
    revoked = api_tokens_revoke(user=target)
    messages.success(request, f"{revoked} API token(s) of {target.display_name} revoked.")
    return redirect("console:agent_detail", pk=target.pk)


def _next_url(request: HttpRequest, default: str) -> str:
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return next_url
    return default


@account_admin_required
@require_POST
def agent_set_active(request: AuthenticatedRequest, pk: int, *, account: Account) -> HttpResponse:
    target = get_object_or_404(User, pk=pk, account=account)
    active = request.POST.get("active") == "1"
    try:
        user_set_active(user=target, active=active, acting_user=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        if active:
            messages.success(request, f"{target.display_name} was reactivated and can log in again.")
        else:
            messages.success(request, f"{target.display_name} was deactivated: they can no longer log in.")
    return redirect(_next_url(request, reverse("console:agents")))


# --- Profiles ---------------------------------------------------------------------------------


@account_admin_required
def profiles(request: HttpRequest, *, account: Account) -> HttpResponse:
    rows = Profile.objects.filter(account=account).annotate(user_count=Count("users")).order_by("-is_default", "name")
    context = {"section": "profiles", "account": account, "profiles": rows, "labels": PERMISSION_LABELS}
    return render(request, "console/profiles.html", context)


@account_admin_required
@require_http_methods(["GET", "POST"])
def profile_new(request: HttpRequest, *, account: Account) -> HttpResponse:
    form = ProfileForm(posted(request), initial={"can_voice": True, "can_video": True, "can_share_screen": True})
    if request.method == "POST" and form.is_valid():
        try:
            profile = profile_create(account=account, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"The profile “{profile.name}” was created.")
            return redirect("console:profiles")
    context = {"section": "profiles", "account": account, "form": form, "profile": None}
    return render(request, "console/profile_form.html", context)


def _account_profile(account: Account, pk: int) -> Profile:
    return get_object_or_404(Profile.objects.annotate(user_count=Count("users")), pk=pk, account=account)


@account_admin_required
@require_http_methods(["GET", "POST"])
def profile_edit(request: HttpRequest, pk: int, *, account: Account) -> HttpResponse:
    profile = _account_profile(account, pk)
    initial = {f: getattr(profile, f) for f in ("name", "description", "can_voice", "can_video", "can_share_screen")}
    form = ProfileForm(posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            profile_update(profile=profile, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"The profile “{profile.name}” was saved.")
            return redirect("console:profiles")
    context = {"section": "profiles", "account": account, "form": form, "profile": profile}
    return render(request, "console/profile_form.html", context)


@account_admin_required
@require_http_methods(["GET", "POST"])
def profile_remove(request: HttpRequest, pk: int, *, account: Account) -> HttpResponse:
    """GET asks for confirmation; POST deletes through the service, which refuses used or built-in profiles."""
    profile = _account_profile(account, pk)
    if request.method == "POST":
        name = profile.name
        try:
            profile_delete(profile=profile)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return redirect("console:profile_edit", pk=profile.pk)
        messages.success(request, f"The profile “{name}” was deleted.")
        return redirect("console:profiles")
    context = {"section": "profiles", "account": account, "profile": profile}
    return render(request, "console/profile_delete.html", context)
