"""Commands that change profiles and call settings, and the permission rule for starting calls."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import ExpressionWrapper, F

from .models import AccountCallSettings, Profile, SettingsChange
from .origins import ANY_ACCOUNT_CACHE_KEY
from .secrecy import audit_repr, can_decrypt, stored_ciphertexts

if TYPE_CHECKING:  # type names only: accounts sits above this app (docs/architecture.md, Layers)
    from accounts.models import Account, User

Media = Literal["voice", "video"]
MEDIA: tuple[Media, ...] = ("voice", "video")
# What an agent may do in calls: start voice or video calls, and share screens in video calls. Each
# follows the same rule: the account's kill switch (support) AND some profile of the agent grants it.
Permission = Literal["voice", "video", "share"]
PERMISSIONS: tuple[Permission, ...] = ("voice", "video", "share")
PERMISSION_LABELS = {
    "voice": "Initiate voice conversation",
    "video": "Initiate live video conversation",
    "share": "Share screen in calls",
}
KILL_SWITCHES: dict[Permission, str] = {
    "voice": "voice_enabled",
    "video": "video_enabled",
    "share": "screen_share_enabled",
}
GRANTS: dict[Permission, str] = {"voice": "can_voice", "video": "can_video", "share": "can_share_screen"}
SWITCHED_OFF = {
    "voice": "voice calls are switched off for the account by support",
    "video": "video calls are switched off for the account by support",
    "share": "screen sharing is switched off for the account by support",
}
DEFAULT_PROFILE_NAME = "Default"
AUDITED_FIELDS = [
    f.name for f in AccountCallSettings._meta.concrete_fields if f.name not in {"id", "account", "updated_at"}
]


# --- The permission rule ----------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """Whether an agent may start calls of one media, and why not: `reason` in English words (logs, the
    console, the protocol's `message`), `code` for the UIs, which show the account's
    `agent_permission_<code>` text (settings_profiles/texts_refusals.py, PERMISSION_REASON_CODES)."""

    allowed: bool
    reason: str = ""
    code: str = ""


def media_decision(
    *, user: User, call_settings: AccountCallSettings, profiles: Iterable[Profile], media: Permission
) -> Decision:
    """The account-level half of the permission rule (docs/architecture.md): kill switch AND some profile grants it.

    `media` is a call media or "share" (screen sharing). `profiles` is passed in so list pages can
    prefetch them once for every agent.
    """
    if not user.is_active:
        return Decision(False, "the user is deactivated", "deactivated")
    if user.account_id is None or user.account_id != call_settings.account_id:
        return Decision(False, "the user belongs to no account", "no_account")
    if not getattr(call_settings, KILL_SWITCHES[media]):
        return Decision(False, SWITCHED_OFF[media], "switched_off")
    if not any(getattr(p, GRANTS[media]) for p in profiles):
        return Decision(False, f"no profile grants “{PERMISSION_LABELS[media]}”", "no_profile")
    return Decision(True)


def agent_permissions(*, user: User) -> dict[Permission, Decision]:
    """The effective call permissions of one agent (two queries)."""
    if user.account_id is None:
        return {m: Decision(False, "the user belongs to no account", "no_account") for m in PERMISSIONS}
    call_settings = AccountCallSettings.objects.get(account_id=user.account_id)
    profiles = list(user.profiles.all())
    return {m: media_decision(user=user, call_settings=call_settings, profiles=profiles, media=m) for m in PERMISSIONS}


# --- Account set-up ---------------------------------------------------------------------------


@transaction.atomic
def account_settings_initialize(*, account: Account) -> tuple[AccountCallSettings, Profile]:
    """Give a new account its call settings and the built-in default profile (idempotent)."""
    call_settings, _ = AccountCallSettings.objects.get_or_create(account=account)
    profile, _ = Profile.objects.get_or_create(
        account=account,
        is_default=True,
        defaults={
            "name": DEFAULT_PROFILE_NAME,
            "can_voice": True,
            "can_video": True,
            "can_share_screen": True,
            "description": "Built in: may start voice and video calls.",
        },
    )
    return call_settings, profile


# --- Profiles ---------------------------------------------------------------------------------


def _check_profile_name(*, account: Account, name: str, exclude_id: int | None = None) -> str:
    name = name.strip()
    if not name:
        raise ValidationError({"name": "A profile needs a name."})
    clash = Profile.objects.filter(account=account, name__iexact=name)
    if exclude_id is not None:
        clash = clash.exclude(pk=exclude_id)
    if clash.exists():
        raise ValidationError({"name": f"The account already has a profile named “{name}”."})
    return name


@transaction.atomic
def profile_create(
    *,
    account: Account,
    name: str,
    can_voice: bool,
    can_video: bool,
    can_share_screen: bool = True,
    description: str = "",
) -> Profile:
    """A new permission profile of an account ("Share screen in calls" is granted unless said otherwise)."""
    name = _check_profile_name(account=account, name=name)
    profile = Profile(
        account=account,
        name=name,
        can_voice=can_voice,
        can_video=can_video,
        can_share_screen=can_share_screen,
        description=description,
    )
    profile.full_clean()
    profile.save()
    return profile


@transaction.atomic
def profile_update(
    *,
    profile: Profile,
    name: str,
    can_voice: bool,
    can_video: bool,
    can_share_screen: bool | None = None,
    description: str = "",
) -> Profile:
    """Rename a profile or change its permissions (`can_share_screen` None: unchanged)."""
    profile.name = _check_profile_name(account=profile.account, name=name, exclude_id=profile.pk)
    profile.can_voice, profile.can_video, profile.description = can_voice, can_video, description
    if can_share_screen is not None:
        profile.can_share_screen = can_share_screen
    profile.full_clean()
    profile.save()
    return profile


@transaction.atomic
def profile_delete(*, profile: Profile) -> None:
    """Delete a profile nobody uses; the built-in default profile stays."""
    if profile.is_default:
        raise ValidationError("The built-in default profile cannot be deleted.")
    in_use = profile.users.count()
    if in_use:
        raise ValidationError(f"“{profile.name}” is assigned to {in_use} user(s); assign them another profile first.")
    profile.delete()


@transaction.atomic
def profile_assign(*, user: User, profiles: Iterable[Profile]) -> None:
    """Set the profiles of a user; every user keeps at least one, all of the user's own account."""
    chosen = list(profiles)
    if not chosen:
        raise ValidationError({"profiles": "Choose at least one profile."})
    foreign = [p.name for p in chosen if p.account_id != user.account_id]
    if foreign:
        raise ValidationError({"profiles": f"Not profiles of this account: {', '.join(foreign)}."})
    user.profiles.set(chosen)


# --- Call settings and their audit trail ------------------------------------------------------


@transaction.atomic
def call_settings_save(
    *, call_settings: AccountCallSettings, changed_by: User | None, source: str
) -> list[SettingsChange]:
    """Validate and save an edited settings row, writing one audit row per changed field.

    The caller (API serializer, admin form, command) has set the new values on the instance; the
    stored row is the "before". Invalid values raise ValidationError and nothing is written.
    """
    call_settings.full_clean()
    before = AccountCallSettings.objects.select_for_update().get(pk=call_settings.pk)
    changes = []
    for field in AUDITED_FIELDS:
        old, new = getattr(before, field), getattr(call_settings, field)
        if old != new:
            changes.append(
                SettingsChange(
                    account_id=call_settings.account_id,
                    changed_by=changed_by,
                    source=source,
                    field=field,
                    old_value=audit_repr(field, old),
                    new_value=audit_repr(field, new),
                )
            )
    if changes:
        call_settings.save()
        SettingsChange.objects.bulk_create(changes)
        if any(change.field == "allowed_origins" for change in changes):
            # CORS preflights read a cached union of every account's origins: a new one works at once.
            transaction.on_commit(lambda: cache.delete(ANY_ACCOUNT_CACHE_KEY), robust=True)
    return changes


def call_settings_update(
    *, call_settings: AccountCallSettings, data: dict[str, object], changed_by: User | None, source: str
) -> list[SettingsChange]:
    """Apply `data` ({field: value}) to the settings and save them through `call_settings_save`."""
    unknown = set(data) - set(AUDITED_FIELDS)
    if unknown:
        raise ValidationError({field: "Unknown setting." for field in sorted(unknown)})
    for field, value in data.items():
        setattr(call_settings, field, value)
    return call_settings_save(call_settings=call_settings, changed_by=changed_by, source=source)


@transaction.atomic
def call_settings_reencrypt_secrets() -> tuple[int, list[str]]:
    """Re-encrypt every account's stored secrets with the current SECRET_KEY (the end of a key rotation).

    Returns (rows rewritten, slugs of accounts whose secrets no key can decrypt). Those rows are left
    as they are, so a missing fallback key never turns into lost secrets; values do not change, so
    no audit row is written.
    """
    # The columns as stored: wrapped in plain fields, so the encrypted fields do not decrypt them.
    raw = (
        AccountCallSettings.objects.select_for_update()
        .order_by("pk")
        .values_list(
            "pk",
            ExpressionWrapper(F("ice_servers"), output_field=models.JSONField()),
            ExpressionWrapper(F("turn_rest_shared_secret"), output_field=models.TextField()),
        )
    )
    rewritten, unreadable = 0, []
    for pk, ice_servers, secret in raw:
        if not all(can_decrypt(v) for v in stored_ciphertexts(ice_servers=ice_servers, secret=secret)):
            unreadable.append(pk)
            continue
        row = AccountCallSettings.objects.get(pk=pk)  # decrypted by the fields
        # update() writes through the fields again: every value encrypted anew with the current key.
        AccountCallSettings.objects.filter(pk=pk).update(
            ice_servers=row.ice_servers, turn_rest_shared_secret=row.turn_rest_shared_secret
        )
        rewritten += 1
    # Through the settings rows: settings_profiles sits below accounts and never imports it at run time.
    slugs = list(
        AccountCallSettings.objects.filter(pk__in=unreadable)
        .order_by("account__slug")
        .values_list("account__slug", flat=True)
    )
    return rewritten, slugs
