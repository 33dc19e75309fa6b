"""Support's admin for call settings, profiles and the settings audit trail.

Every save of call settings goes through `call_settings_save`, which validates, saves and writes
one audit row per changed field. The inlines defined here are also used on the account page
(accounts/admin.py).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator

from .forms import AccountCallSettingsForm, ProfileAdminForm
from .models import AccountCallSettings, Profile, SettingsChange
from .services import call_settings_save, profile_delete

if TYPE_CHECKING:  # type names only: accounts sits above this app (docs/architecture.md, Layers)
    from django.contrib.admin.options import _FieldsetSpec

    from accounts.models import Account

CALL_SETTINGS_FIELDSETS: _FieldsetSpec = (
    (
        "Kill switches",
        {
            "fields": ("voice_enabled", "video_enabled", "screen_share_enabled"),
            "description": "Account-wide: off disables the media (or screen sharing, on both sides of a call) for "
            "every agent, whatever their profiles grant.",
        },
    ),
    ("Media at start", {"fields": ("agent_camera_off_at_start", "consumer_camera_off_at_start")}),
    (
        "Relay and ICE",
        {
            "fields": (
                "force_relay",
                "ice_servers",
                "turn_rest_urls",
                "turn_rest_shared_secret",
                "clear_turn_rest_shared_secret",
                "turn_rest_ttl_s",
            ),
            "description": "Stored secrets are never shown: ICE credentials appear as ••••••, the shared secret field stays empty.",
        },
    ),
    (
        "Own messaging window",
        {
            "fields": ("allowed_origins",),
            "description": "Brand pages that may run the account's own window: they open its consumer sockets, "
            "call the window's endpoints (CORS) and frame the hosted window. Exact scheme, host and port.",
        },
    ),
    ("Texts", {"fields": ("locale", "texts", "texts_by_locale")}),
    ("Analytics", {"fields": ("analytics_tracker", "analytics_config")}),
    ("Mobile SDK style", {"fields": ("sdk_style",)}),
    ("Timers", {"fields": ("ring_timeout_s", "reconnect_grace_s")}),
)
RECENT_CHANGES = 10


def _breakable(text: str, after: str) -> str:
    """`text` escaped, with a line-break opportunity after each `after`, so narrow list columns wrap cleanly."""
    return format_html_join("", "{}<wbr>", ((part,) for part in re.split(f"(?<={re.escape(after)})", text)))


def audit_trail_url(account: Account) -> str:
    return f"{reverse('admin:settings_profiles_settingschange_changelist')}?account__id__exact={account.pk}"


def audit_trail_html(account: Account) -> str:
    """The account's latest settings changes as a small table, with a link to the full trail."""
    total = SettingsChange.objects.filter(account=account).count()
    link = format_html('<a href="{}">Audit trail ({})</a>', audit_trail_url(account), total)
    if not total:
        return format_html("{}: no settings change yet.", link)
    recent = SettingsChange.objects.filter(account=account).select_related("changed_by")[:RECENT_CHANGES]
    rows = format_html_join(
        "",
        "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                f"{c.changed_at:%Y-%m-%d %H:%M:%S}",
                c.field,
                Truncator(c.old_value).chars(60),
                Truncator(c.new_value).chars(60),
                c.changed_by or "—",
                c.get_source_display(),
            )
            for c in recent
        ),
    )
    return format_html(
        '<p>{}</p><table class="audit-trail"><thead><tr><th>When (UTC)</th><th>Field</th><th>Old</th>'
        "<th>New</th><th>By</th><th>Source</th></tr></thead><tbody>{}</tbody></table>",
        link,
        rows,
    )


def save_call_settings_formset(request, formset) -> None:
    """Save an inline call-settings formset through the audited service instead of `formset.save()`."""
    # The admin's change message reads these, which `formset.save()` would have set.
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
    for form in formset.initial_forms:
        if not form.has_changed():
            continue
        call_settings = form.save(commit=False)
        changes = call_settings_save(
            call_settings=call_settings, changed_by=request.user, source=SettingsChange.Source.ADMIN
        )
        if changes:
            formset.changed_objects.append((call_settings, [change.field for change in changes]))


class AccountCallSettingsInline(admin.StackedInline):
    """The one settings row of an account, on the account page; it is created with the account."""

    model = AccountCallSettings
    form = AccountCallSettingsForm
    fieldsets = CALL_SETTINGS_FIELDSETS
    verbose_name = "Call settings"
    verbose_name_plural = "Call settings"
    extra = 0
    min_num = 0
    max_num = 1
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # made by account_settings_initialize, never by hand


class ProfileInline(admin.TabularInline):
    """The account's permission profiles; deleting one happens on its own page (it may be in use)."""

    model = Profile
    form = ProfileAdminForm
    fields = ("name", "description", "can_voice", "can_video", "can_share_screen", "is_default", "user_count")
    readonly_fields = ("is_default", "user_count")
    extra = 0
    can_delete = False
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(user_count=Count("users"))

    @admin.display(description="Users")
    def user_count(self, obj: Profile) -> int:
        return getattr(obj, "user_count", 0)


@admin.register(AccountCallSettings)
class AccountCallSettingsAdmin(admin.ModelAdmin):
    """Every account's settings in one list, to find e.g. the accounts with video switched off."""

    form = AccountCallSettingsForm
    list_display = (
        "account",
        "voice",
        "video",
        "screen",
        "relay_only",
        "tracker",
        "locale",
        "ring_s",
        "grace_s",
        "updated_at",
    )
    list_filter = (
        "voice_enabled",
        "video_enabled",
        "screen_share_enabled",
        "force_relay",
        "analytics_tracker",
        "locale",
    )
    list_select_related = ("account",)
    search_fields = ("account__slug", "account__name")
    readonly_fields = ("account_link", "ice_check", "audit_trail", "updated_at")
    ordering = ("account__name",)

    def get_fieldsets(self, request, obj=None):
        return (
            (None, {"fields": ("account_link", "ice_check", "updated_at")}),
            *CALL_SETTINGS_FIELDSETS,
            ("Audit trail", {"fields": ("audit_trail",)}),
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    # Short column titles keep the list inside the page next to the filters.
    @admin.display(description="Voice", boolean=True, ordering="voice_enabled")
    def voice(self, obj: AccountCallSettings) -> bool:
        return obj.voice_enabled

    @admin.display(description="Video", boolean=True, ordering="video_enabled")
    def video(self, obj: AccountCallSettings) -> bool:
        return obj.video_enabled

    @admin.display(description="Screen", boolean=True, ordering="screen_share_enabled")
    def screen(self, obj: AccountCallSettings) -> bool:
        return obj.screen_share_enabled

    @admin.display(description="Relay only", boolean=True, ordering="force_relay")
    def relay_only(self, obj: AccountCallSettings) -> bool:
        return obj.force_relay

    @admin.display(description="Analytics", ordering="analytics_tracker")
    def tracker(self, obj: AccountCallSettings) -> str:
        return obj.get_analytics_tracker_display()

    @admin.display(description="Ring (s)", ordering="ring_timeout_s")
    def ring_s(self, obj: AccountCallSettings) -> int:
        return obj.ring_timeout_s

    @admin.display(description="Grace (s)", ordering="reconnect_grace_s")
    def grace_s(self, obj: AccountCallSettings) -> int:
        return obj.reconnect_grace_s

    @admin.display(description="Account")
    def account_link(self, obj: AccountCallSettings) -> str:
        url = reverse("admin:accounts_account_change", args=[obj.account_id])
        return format_html('<a href="{}">{}</a>', url, obj.account)

    @admin.display(description="ICE check")
    def ice_check(self, obj: AccountCallSettings) -> str:
        url = f"{reverse('console:ice_check')}?account={obj.account.slug}"
        return format_html('<a href="{}">Check this account\'s STUN/TURN servers from your browser</a>', url)

    @admin.display(description="Latest changes")
    def audit_trail(self, obj: AccountCallSettings) -> str:
        return audit_trail_html(obj.account)

    def save_model(self, request, obj, form, change) -> None:
        call_settings_save(call_settings=obj, changed_by=request.user, source=SettingsChange.Source.ADMIN)


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    """Permission profiles of every account. The default profile and profiles in use are never deleted."""

    form = ProfileAdminForm
    list_display = ("name", "account", "voice", "video", "screen", "default", "user_count")
    list_filter = (
        "can_voice",
        "can_video",
        "can_share_screen",
        "is_default",
        ("account", admin.RelatedOnlyFieldListFilter),
    )
    list_select_related = ("account",)
    search_fields = ("name", "account__slug", "account__name")
    autocomplete_fields = ("account",)
    ordering = ("account__name", "-is_default", "name")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(user_count=Count("users"))

    def get_fields(self, request, obj=None):
        fields = ["account", "name", "description", "can_voice", "can_video", "can_share_screen"]
        return fields + ["is_default", "user_count", "created_at"] if obj else fields

    def get_readonly_fields(self, request, obj=None):
        # Moving a profile to another account would leave its users with a foreign profile.
        return ("account", "is_default", "user_count", "created_at") if obj else ()

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # each deletion is checked on its own page
        return actions

    @admin.display(description="Users", ordering="user_count")
    def user_count(self, obj: Profile) -> int:
        return getattr(obj, "user_count", 0)

    @admin.display(description="Voice", boolean=True, ordering="can_voice")
    def voice(self, obj: Profile) -> bool:
        return obj.can_voice

    @admin.display(description="Video", boolean=True, ordering="can_video")
    def video(self, obj: Profile) -> bool:
        return obj.can_video

    @admin.display(description="Screen share", boolean=True, ordering="can_share_screen")
    def screen(self, obj: Profile) -> bool:
        return obj.can_share_screen

    @admin.display(description="Default", boolean=True, ordering="is_default")
    def default(self, obj: Profile) -> bool:
        return obj.is_default

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.is_default:
            return False
        return super().has_delete_permission(request, obj)

    def delete_view(self, request, object_id, extra_context=None):
        profile = self.get_object(request, unquote(object_id))
        if profile is not None and not profile.is_default:
            in_use = profile.users.count()
            if in_use:
                self.message_user(
                    request,
                    f"“{profile.name}” is assigned to {in_use} user(s); assign them another profile first.",
                    messages.ERROR,
                )
                return HttpResponseRedirect(reverse("admin:settings_profiles_profile_change", args=[profile.pk]))
        return super().delete_view(request, object_id, extra_context)

    def delete_model(self, request, obj: Profile) -> None:
        profile_delete(profile=obj)


@admin.register(SettingsChange)
class SettingsChangeAdmin(admin.ModelAdmin):
    """The settings audit trail: read-only for everyone."""

    list_display = ("when", "account_slug", "field_name", "old", "new", "by", "source")
    list_filter = (("account", admin.RelatedOnlyFieldListFilter), "field", "source")
    list_select_related = ("account", "changed_by")
    search_fields = ("account__slug", "account__name", "field", "changed_by__email")
    date_hierarchy = "changed_at"
    fields = ("changed_at", "account", "field", "old_value", "new_value", "changed_by", "source")
    list_per_page = 50

    @admin.display(description="Changed at (UTC)", ordering="changed_at")
    def when(self, obj: SettingsChange) -> str:
        return format_html("{}<br>{}", f"{obj.changed_at:%Y-%m-%d}", f"{obj.changed_at:%H:%M:%S}")

    @admin.display(description="Account", ordering="account__slug")
    def account_slug(self, obj: SettingsChange) -> str:
        return obj.account.slug

    @admin.display(description="Field", ordering="field")
    def field_name(self, obj: SettingsChange) -> str:
        return _breakable(obj.field, "_")

    @admin.display(description="Changed by", ordering="changed_by__email")
    def by(self, obj: SettingsChange) -> str:
        return _breakable(obj.changed_by.email, "@") if obj.changed_by else "—"

    @admin.display(description="Old value")
    def old(self, obj: SettingsChange) -> str:
        return Truncator(obj.old_value).chars(80)

    @admin.display(description="New value")
    def new(self, obj: SettingsChange) -> str:
        return Truncator(obj.new_value).chars(80)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
