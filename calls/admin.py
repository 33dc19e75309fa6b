"""Support's read-only view of conversations and calls: what happened, when, and why it ended.

Nothing here can be edited or deleted: calls change only through the state machine
(calls.services), and the record is what support and the reports rely on. Message texts are not
shown (they are the consumer's words; the transcript belongs to the brand's agents).
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from settings_profiles.models import BrowserFloor

from .models import Call, CallEvent, Conversation


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class CallEventInline(admin.TabularInline):
    model = CallEvent
    fields = ("created_at", "kind", "actor", "state", "data")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("id",)

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Call)
class CallAdmin(ReadOnlyAdmin):
    list_display = ("id", "account", "agent", "media", "state", "end_reason", "created_at", "duration_s")
    list_filter = ("state", "media", "end_reason", "account")
    list_select_related = ("account", "agent")
    search_fields = ("=id", "=conversation__id", "account__slug", "agent__email")
    date_hierarchy = "created_at"
    inlines = [CallEventInline]
    fieldsets = (
        (None, {"fields": ("account", "conversation", "agent", "media", "state", "end_reason", "consumer_browser")}),
        ("Times", {"fields": ("created_at", "answered_at", "started_at", "ended_at", "duration_s")}),
        (
            "Timers",
            {
                "fields": (
                    "ring_deadline",
                    "connect_deadline",
                    "agent_deadline",
                    "consumer_deadline",
                    "reconnect_grace_s",
                )
            },
        ),
    )


@admin.register(Conversation)
class ConversationAdmin(ReadOnlyAdmin):
    list_display = ("id", "account", "channel", "state", "agent", "created_at", "closed_at")
    list_filter = ("state", "channel", "account")
    list_select_related = ("account", "agent")
    search_fields = ("=id", "account__slug", "agent__email", "consumer_ref")
    date_hierarchy = "created_at"
    exclude = ("consumer_name",)  # personal data; the brand's agents see it, support does not need it


@admin.register(BrowserFloor)
class BrowserFloorAdmin(ReadOnlyAdmin):
    """The supported browsers and their floors, with their dates; raised with `manage.py browser_floors`."""

    list_display = ("family", "min_version", "set_on", "set_by")
    ordering = ("family",)
