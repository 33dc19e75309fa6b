"""Support's read-only view of the rollups, with an action to recompute chosen buckets."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpRequest

from .models import CallDiagnosis, SessionRollup
from .tasks import rollup_bucket_task


@admin.register(SessionRollup)
class SessionRollupAdmin(admin.ModelAdmin):
    """Derived rows: nobody edits them; a wrong bucket is recomputed from the calls."""

    list_display = (
        "account",
        "interval",
        "bucket_start",
        "media",
        "agent_label",
        "sessions",
        "accepted",
        "connected",
        "completed",
        "failed",
        "duration_s_sum",
    )
    list_filter = ("interval", "media", "account")
    list_select_related = ("account", "agent")
    date_hierarchy = "bucket_start"
    ordering = ("-bucket_start", "account", "interval", "media", "agent_key")
    actions = ["recompute"]

    @admin.display(description="Agent", ordering="agent_key")
    def agent_label(self, row: SessionRollup) -> str:
        if row.agent_key == 0:
            return "(deleted agent)"
        return row.agent.email if row.agent else f"#{row.agent_key}"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.action(description="Recompute the selected buckets from the calls")
    def recompute(self, request: HttpRequest, queryset) -> None:
        keys = set(queryset.values_list("account_id", "interval", "bucket_start"))
        for account_id, interval, bucket_start in sorted(keys):
            rollup_bucket_task.delay(account_id, interval, bucket_start.isoformat())
        self.message_user(request, f"{len(keys)} bucket(s) queued for recomputing.", messages.SUCCESS)


@admin.register(CallDiagnosis)
class CallDiagnosisAdmin(admin.ModelAdmin):
    """Support reads each call's stored verdict; `manage.py diagnose_calls` rebuilds them."""

    list_display = ("call", "verdict", "summary", "path", "relay_protocol", "ice_restarts", "ended_by", "computed_at")
    list_filter = ("verdict", "path", "relay_protocol")
    search_fields = ("=call__id",)
    list_select_related = ("call",)
    ordering = ("-call_id",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
