"""The console's call-settings pages: the account's call settings (read-only) and the ICE check."""

from __future__ import annotations

import re
from collections.abc import Mapping

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_http_methods

from accounts.models import Account
from accounts.selectors import account_users
from settings_profiles.ice import ice_config_for
from settings_profiles.models import AccountCallSettings
from settings_profiles.secrecy import mask_ice_servers
from settings_profiles.services import PERMISSION_LABELS
from settings_profiles.texts import LOCALES, TEXT_KEYS, render_text
from settings_profiles.validation import SDK_STYLE_DEFAULTS

from .access import account_admin_required, account_call_settings, effective_rows

# Only well-formed colours are put into a swatch's style attribute; anything else is shown as text.
_SWATCH_COLOR_RE = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")


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
    settings_row = account_call_settings(account)
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
        "rows": effective_rows(account_users(account=account), settings_row),
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
    call_settings = account_call_settings(account)
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
