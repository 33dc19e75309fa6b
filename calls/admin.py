"""Support's read-only view of conversations and calls: what happened, when, and why it ended.

Nothing here can be edited or deleted: calls change only through the state machine
(calls.services), and the record is what support and the reports rely on. Message texts are not
shown (they are the consumer's words; the transcript belongs to the brand's agents).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpRequest
from django.template.response import TemplateResponse

from accounts.models import User

from .api_keys import api_key_create, api_key_revoke
from .models import AccountApiKey, Call, CallEvent, Conversation


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


@admin.register(AccountApiKey)
class AccountApiKeyAdmin(admin.ModelAdmin):
    """Support creates a brand backend's API key (shown once, on the page that follows) and revokes it."""

    list_display = ("name", "account", "key_prefix", "created_at", "created_by", "last_used_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name", "account__slug", "prefix")
    actions = ["revoke"]
    fields = ("account", "name")

    @admin.display(description="key")
    def key_prefix(self, obj: AccountApiKey) -> str:
        return f"vvck_{obj.prefix}_…"

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return ("account", "name", "created_at", "created_by", "last_used_at", "revoked_at") if obj else ()

    def get_fields(self, request: HttpRequest, obj=None):
        return self.get_readonly_fields(request, obj) if obj else self.fields

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return obj is None and super().has_change_permission(request, obj)  # the list's revoke action

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # revoked keys stay listed: who made them, when they were last used

    def save_model(self, request: HttpRequest, obj: AccountApiKey, form, change) -> None:
        creator = request.user if isinstance(request.user, User) else None  # the admin is staff-only
        row, key = api_key_create(account=obj.account, name=obj.name, created_by=creator)
        obj.pk, obj.prefix = row.pk, row.prefix
        obj._plain_key = key  # type: ignore[attr-defined]  # for response_add only, never stored

    def response_add(self, request: HttpRequest, obj: AccountApiKey, post_url_continue=None):
        # Shown once, in this page only: never in a message (those are kept in the session).
        response = TemplateResponse(
            request,
            "admin/calls/api_key_created.html",
            {
                **self.admin_site.each_context(request),
                "title": "API key created",
                "api_key": obj,
                "key": obj._plain_key,  # type: ignore[attr-defined]  # set by save_model just before
            },
        )
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request: HttpRequest, queryset) -> None:
        for api_key in queryset:
            api_key_revoke(api_key=api_key)
        self.message_user(request, f"{queryset.count()} key(s) revoked.", messages.SUCCESS)
