"""The account admin's web console: thin views that parse forms and call the services.

Every view is scoped to the logged-in admin's own account (`account_admin_required`); objects of
another account are looked up within that account and so answer 404, never data.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Account, AuthenticatedRequest, User
from accounts.selectors import account_users
from accounts.services import api_tokens_active, api_tokens_revoke, user_create, user_set_active
from settings_profiles.ice import ice_config_for
from settings_profiles.models import AccountCallSettings, Profile
from settings_profiles.secrecy import mask_ice_servers
from settings_profiles.services import (
    MEDIA,
    PERMISSION_LABELS,
    Decision,
    media_decision,
    profile_assign,
    profile_create,
    profile_delete,
    profile_update,
)
from settings_profiles.texts import LOCALES, TEXT_KEYS, render_text
from settings_profiles.validation import SDK_STYLE_DEFAULTS

from .forms import AgentCreateForm, AgentProfilesForm, ProfileForm, add_service_errors

# Only well-formed colours are put into a swatch's style attribute; anything else is shown as text.
_SWATCH_COLOR_RE = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")


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


def _effective_rows(users: Iterable[User], call_settings: AccountCallSettings) -> list[EffectiveRow]:
    """Decisions for users whose profiles are prefetched: no query per user."""
    rows = []
    for user in users:
        profiles = list(user.profiles.all())
        decisions = {
            media: media_decision(user=user, call_settings=call_settings, profiles=profiles, media=media)
            for media in MEDIA
        }
        rows.append(EffectiveRow(user=user, profiles=profiles, voice=decisions["voice"], video=decisions["video"]))
    return rows


def _posted(request: HttpRequest):
    """The POST data of a POST (even an empty one, which must still validate), else None."""
    return request.POST if request.method == "POST" else None


def _call_settings(account: Account) -> AccountCallSettings:
    return AccountCallSettings.objects.get(account=account)


def _account_user(account: Account, pk: int) -> User:
    users = User.objects.prefetch_related(Prefetch("profiles", queryset=Profile.objects.order_by("name")))
    return get_object_or_404(users, pk=pk, account=account)


# --- Overview ---------------------------------------------------------------------------------


@account_admin_required
def overview(request: HttpRequest, *, account: Account) -> HttpResponse:
    call_settings = _call_settings(account)
    rows = _effective_rows(account_users(account=account), call_settings)
    agents = [r for r in rows if r.user.role == User.Role.AGENT]
    active_agents = [r for r in agents if r.user.is_active]
    context = {
        "section": "overview",
        "account": account,
        "call_settings": call_settings,
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
    rows = _effective_rows(account_users(account=account), _call_settings(account))
    return render(request, "console/agents.html", {"section": "agents", "account": account, "rows": rows})


@account_admin_required
@require_http_methods(["GET", "POST"])
def agent_create(request: HttpRequest, *, account: Account) -> HttpResponse:
    form = AgentCreateForm(_posted(request), account=account)
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
        _posted(request), account=account, initial={"profiles": [p.pk for p in target.profiles.all()]}
    )
    if request.method == "POST" and form.is_valid():
        try:
            profile_assign(user=target, profiles=form.cleaned_data["profiles"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"The profiles of {target.display_name} were saved.")
            return redirect("console:agent_detail", pk=target.pk)
    (row,) = _effective_rows([target], _call_settings(account))
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
    form = ProfileForm(_posted(request), initial={"can_voice": True, "can_video": True})
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
    initial = {f: getattr(profile, f) for f in ("name", "description", "can_voice", "can_video")}
    form = ProfileForm(_posted(request), initial=initial)
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


# --- Call settings (read-only) ----------------------------------------------------------------


def _ice_server_rows(servers: object) -> list[dict]:
    """The servers as the page lists them: credentials masked before they reach the template."""
    rows = []
    masked = mask_ice_servers(servers)
    for server in masked if isinstance(masked, list) else []:
        if not isinstance(server, dict):
            continue
        urls = server.get("urls")
        rows.append(
            {
                "urls": [urls] if isinstance(urls, str) else [u for u in urls or [] if isinstance(u, str)],
                "username": server.get("username") or "",
                "credential": server.get("credential") or "",
            }
        )
    return rows


def _text_sections(call_settings: AccountCallSettings) -> list[dict]:
    """Each locale's resolved texts, the account's own locale first, marking the customised keys."""
    names = dict(settings.LANGUAGES)
    by_locale = call_settings.texts_by_locale if isinstance(call_settings.texts_by_locale, dict) else {}
    locales = sorted(LOCALES, key=lambda code: code != call_settings.locale)
    sections = []
    for locale in locales:
        resolved = call_settings.resolved_texts(locale)
        custom = set(by_locale.get(locale) or {})
        if locale == call_settings.locale:
            custom |= set(call_settings.texts or {})
        rows = [
            {"key": key, "label": spec.label, "text": resolved.get(key, ""), "custom": key in custom}
            for key, spec in TEXT_KEYS.items()
        ]
        sections.append(
            {
                "locale": locale,
                "name": names.get(locale, locale),
                "rows": rows,
                "custom_count": sum(1 for r in rows if r["custom"]),
                "is_account_locale": locale == call_settings.locale,
            }
        )
    return sections


def _style_rows(call_settings: AccountCallSettings) -> list[dict]:
    style = call_settings.resolved_style()
    own = call_settings.sdk_style if isinstance(call_settings.sdk_style, dict) else {}
    rows = []
    for key in SDK_STYLE_DEFAULTS:
        value = style.get(key)
        is_color = isinstance(value, str) and bool(_SWATCH_COLOR_RE.match(value))
        rows.append(
            {
                "key": key,
                "label": key.replace("_", " ").capitalize(),
                "value": value,
                "swatch": value if is_color else None,
                "is_px": isinstance(value, int),
                "custom": key in own,
            }
        )
    return rows


def _style_preview(call_settings: AccountCallSettings) -> dict[str, object]:
    """The resolved style with only safe values, for the invitation preview's inline styles."""
    preview = {}
    for key, value in call_settings.resolved_style().items():
        ok = (
            isinstance(value, int)
            if key in {"invitation_border_width", "invitation_border_radius"}
            else (isinstance(value, str) and bool(_SWATCH_COLOR_RE.match(value)))
        )
        preview[key] = value if ok else SDK_STYLE_DEFAULTS[key]
    return preview


def _invitation_preview(call_settings: AccountCallSettings, account: Account) -> dict[str, str]:
    texts = call_settings.resolved_texts()
    values = {"agent_name": "Alex", "brand_name": account.name}
    keys = ("invitation_title_video", "invitation_body_video", "invitation_accept", "invitation_reject")
    preview = {}
    for key in keys:
        try:
            preview[key] = render_text(texts[key], **values)
        except (ValueError, IndexError):  # a text stored around validation: show it unfilled
            preview[key] = texts[key]
    return preview


@account_admin_required
def call_settings(request: HttpRequest, *, account: Account) -> HttpResponse:
    settings_row = _call_settings(account)
    analytics_config = settings_row.analytics_config if isinstance(settings_row.analytics_config, dict) else {}
    context = {
        "section": "call_settings",
        "account": account,
        "cs": settings_row,
        "ice_servers": _ice_server_rows(settings_row.ice_servers),
        "turn_rest_urls": [u for u in settings_row.turn_rest_urls or [] if isinstance(u, str)],
        "uses_platform_servers": not settings_row.ice_servers and not settings_row.turn_rest_urls,
        "text_sections": _text_sections(settings_row),
        "analytics_config": sorted(analytics_config.items()),
        "style_rows": _style_rows(settings_row),
        "style": _style_preview(settings_row),
        "invitation": _invitation_preview(settings_row, account),
        "rows": _effective_rows(account_users(account=account), settings_row),
        "labels": PERMISSION_LABELS,
    }
    return render(request, "console/call_settings.html", context)


# --- ICE check ----------------------------------------------------------------------------------


def _server_label(server: Mapping[str, object]) -> list[str]:
    urls = server.get("urls")
    if isinstance(urls, str):
        return [urls]
    return [u for u in urls if isinstance(u, str)] if isinstance(urls, list) else []


@require_http_methods(["GET"])
def ice_check(request: HttpRequest) -> HttpResponse:
    """Check the account's STUN/TURN servers from this browser, one server at a time.

    Account admins check their own account; support staff name one (`?account=SLUG`). The page gets
    the same ICE configuration a call would (TURN REST credentials freshly minted for this check,
    static credentials as configured): they go to the browser, never onto the page as text.
    """
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if user.is_account_admin and user.account is not None and user.account.active:
        account = user.account
        if request.GET.get("account", account.slug) != account.slug:
            raise Http404("No such account.")  # another account's existence is not revealed
    elif user.is_staff and user.has_perm("settings_profiles.view_accountcallsettings"):
        account = get_object_or_404(Account, slug=request.GET.get("account", ""))
    else:
        return render(request, "console/forbidden.html", status=403)
    call_settings = _call_settings(account)
    config = ice_config_for(call_settings=call_settings, participant=f"icecheck-{user.pk}")
    # ice_config_for lists the static servers first, then the one TURN REST entry (when configured).
    own = bool(call_settings.ice_servers or call_settings.turn_rest_urls)
    rest = call_settings.turn_rest_urls if own else settings.TURN_REST_URLS
    secret = call_settings.turn_rest_shared_secret if own else settings.TURN_REST_SECRET
    minted_index = len(config["iceServers"]) - 1 if rest and secret else -1
    servers = [
        {
            "server": server,
            "urls": _server_label(server),
            "turn": any(u.startswith("turn") for u in _server_label(server)),
            "source": "TURN REST, credentials minted for this check" if i == minted_index else "configured server",
        }
        for i, server in enumerate(config["iceServers"])
    ]
    context = {
        "section": "call_settings",
        "account": account,
        "servers": servers,
        "force_relay": call_settings.force_relay,
        "platform_defaults": not own,
        "check_config": {"servers": servers, "timeout_ms": 8000},
    }
    response = render(request, "console/ice_check.html", context)
    response["Cache-Control"] = "no-store"  # it carries freshly minted credentials
    return response
