"""Reads for the consumer-facing pages and the SDK configuration API: public settings only.

What leaves here is shown to anonymous visitors of a brand's site, so it is built from an allow-list:
texts, the invitation and webview style, which analytics tracker is set and its public ids. ICE servers,
TURN credentials and the TURN REST secret are never part of it.
"""

from __future__ import annotations

from accounts.models import Account
from calls.models import Conversation
from calls.tokens import conversation_id_from_token
from settings_profiles.browsers import browser_floors
from settings_profiles.models import AccountCallSettings
from settings_profiles.texts import LOCALES
from settings_profiles.validation import ANALYTICS_CONFIG_FIELDS


def active_account(*, slug: str) -> Account | None:
    """The active account with this slug (with its call settings), or None."""
    if not slug:
        return None
    return Account.objects.filter(slug=slug, active=True).select_related("call_settings").first()


def pick_locale(requested: str | None, call_settings: AccountCallSettings) -> str:
    """`requested` if we have texts for it ("de-AT" counts as "de"), else the account's locale."""
    short = (requested or "").strip().lower()[:2]
    return short if short in LOCALES else call_settings.locale


def public_analytics(call_settings: AccountCallSettings) -> dict:
    """The tracker and its public ids (a measurement id, a site id), only the keys that tracker takes."""
    tracker = call_settings.analytics_tracker
    allowed = ANALYTICS_CONFIG_FIELDS.get(tracker, {})
    config = {k: v for k, v in (call_settings.analytics_config or {}).items() if k in allowed and isinstance(v, str)}
    return {"tracker": tracker, "config": config}


def engagement_config(*, account: Account, locale: str | None = None) -> dict:
    """Everything the messaging window and the apps need to look like the brand, in one locale."""
    call_settings = account.call_settings
    chosen = pick_locale(locale, call_settings)
    return {
        "account": account.slug,
        "name": account.name,
        "locale": chosen,
        "voice_enabled": call_settings.voice_enabled,
        "video_enabled": call_settings.video_enabled,
        "share_enabled": call_settings.screen_share_enabled,
        "texts": call_settings.resolved_texts(chosen),
        "style": call_settings.resolved_style(),
        "analytics": public_analytics(call_settings),
        "browsers": supported_browsers(),
        "sdk": {"version": SDK_VERSION, "module": SDK_MODULE_PATH},
    }


# The public call client (static/engage/sdk/v1/, served at /engage/sdk/v1/ with CORS; docs/engagement.md).
SDK_VERSION = "1.0.0"
SDK_MODULE_PATH = "/engage/sdk/v1/callclient.js"


def supported_browsers() -> list[dict]:
    """The browser floors support keeps current (settings_profiles.browsers) as {family, min_version}, by family."""
    return [{"family": family, "min_version": floor} for family, floor in sorted(browser_floors().versions.items())]


def conversation_for_token(token: str) -> Conversation | None:
    """The conversation a consumer token names, if the token is valid and its account active."""
    found = conversation_id_from_token(token) if token else None
    if found is None:
        return None
    conversation_id, account_id = found
    return (
        Conversation.objects.filter(pk=conversation_id, account_id=account_id, account__active=True)
        .select_related("account__call_settings")
        .first()
    )
