"""Support's admin for accounts and users (the email-login custom user)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html
from knox.models import AuthToken
from rest_framework.authtoken.models import TokenProxy

from settings_profiles.admin import (
    AccountCallSettingsInline,
    ProfileInline,
    audit_trail_html,
    save_call_settings_formset,
)
from settings_profiles.models import AccountCallSettings, Profile
from settings_profiles.services import account_settings_initialize, profile_assign

from .models import Account, User
from .services import api_tokens_revoke

PRODUCT_TITLE = "Voice & Video — Support"
admin.site.site_header = PRODUCT_TITLE
admin.site.site_title = PRODUCT_TITLE
admin.site.index_title = "Accounts, call settings and their audit trail"
admin.site.site_url = None  # "/" only redirects staff back here


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    """Accounts with their call settings and profiles on one page."""

    list_display = ("slug", "name", "active", "voice_on", "video_on", "user_count")
    list_display_links = ("slug", "name")
    list_filter = ("active", "call_settings__voice_enabled", "call_settings__video_enabled")
    search_fields = ("slug", "name")
    ordering = ("name",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("call_settings").annotate(user_count=Count("users"))

    def get_fieldsets(self, request, obj=None):
        account = (None, {"fields": ("slug", "name", "active", "time_zone")})
        if obj is None:
            return (account,)
        return (
            (None, {"fields": ("slug", "name", "active", "time_zone", "created_at", "users_link")}),
            ("Settings audit trail", {"fields": ("audit_trail",), "classes": ("collapse",)}),
        )

    def get_readonly_fields(self, request, obj=None):
        # The slug is in API URLs and integrations; it stays what it was created with.
        return ("slug", "created_at", "users_link", "audit_trail") if obj else ()

    def get_inlines(self, request, obj):
        # A new account gets its settings and default profile from the service on save.
        return [AccountCallSettingsInline, ProfileInline] if obj else []

    @admin.display(description="Voice", boolean=True, ordering="call_settings__voice_enabled")
    def voice_on(self, obj: Account) -> bool | None:
        return self._settings_value(obj, "voice_enabled")

    @admin.display(description="Video", boolean=True, ordering="call_settings__video_enabled")
    def video_on(self, obj: Account) -> bool | None:
        return self._settings_value(obj, "video_enabled")

    @staticmethod
    def _settings_value(obj: Account, field: str) -> bool | None:
        try:
            return getattr(obj.call_settings, field)
        except AccountCallSettings.DoesNotExist:
            return None

    @admin.display(description="Users", ordering="user_count")
    def user_count(self, obj: Account) -> int:
        return obj.user_count  # type: ignore[attr-defined]  # annotated by get_queryset (Count("users"))

    @admin.display(description="Users")
    def users_link(self, obj: Account) -> str:
        url = f"{reverse('admin:accounts_user_changelist')}?account__id__exact={obj.pk}"
        return format_html('<a href="{}">{} user(s)</a>', url, obj.users.count())

    @admin.display(description="Latest changes")
    def audit_trail(self, obj: Account) -> str:
        return audit_trail_html(obj)

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        account_settings_initialize(account=obj)  # idempotent: creates them for a new account only

    def save_formset(self, request, form, formset, change) -> None:
        if formset.model is AccountCallSettings:
            save_call_settings_formset(request, formset)
        else:
            super().save_formset(request, form, formset, change)

    def response_add(self, request, obj, post_url_continue=None):
        # Straight on to the new account's page: its call settings are edited there.
        if "_addanother" not in request.POST and admin.options.IS_POPUP_VAR not in request.POST:
            request.POST = request.POST.copy()
            request.POST["_continue"] = 1
        return super().response_add(request, obj, post_url_continue)


# --- Users ------------------------------------------------------------------------------------


class ProfileChoiceField(forms.ModelMultipleChoiceField):
    """Profiles by name; with the account's slug when two accounts' profiles are on offer."""

    show_account = False

    def label_from_instance(self, obj: Profile) -> str:
        return f"{obj.name} ({obj.account.slug})" if self.show_account else obj.name


def _account_errors(form: forms.ModelForm, cleaned: dict) -> None:
    if (
        "account" in form.fields
        and cleaned.get("account") is None
        and not cleaned.get("is_staff", form.instance.is_staff)
    ):
        form.add_error("account", "Account admins and agents belong to an account; only support staff have none.")


class UserAddForm(auth_forms.AdminUserCreationForm):
    """A new user: email and password twice (or no password); agents get the account's default profile."""

    class Meta:
        model = User
        fields = ("email", "name", "account", "role", "is_staff")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("A user with this email address already exists.")
        return email

    def clean(self) -> dict:
        super().clean()
        cleaned = self.cleaned_data
        _account_errors(self, cleaned)
        return cleaned


class UserChangeForm(auth_forms.UserChangeForm):
    """A user; the profiles offered are those of the user's account, and must stay so."""

    profiles = ProfileChoiceField(
        queryset=Profile.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The permission profiles of the user's account. Users of an account need at least one.",
    )

    class Meta:
        model = User
        fields = "__all__"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        account_ids = {self.instance.account_id}
        if self.is_bound:
            # Offer the newly chosen account's profiles too, so a move between accounts can be completed.
            posted = str(self.data.get(self.add_prefix("account")) or "")
            if posted.isdigit():
                account_ids.add(int(posted))
        account_ids.discard(None)
        field = self.fields["profiles"]
        assert isinstance(field, ProfileChoiceField)
        field.show_account = len(account_ids) > 1
        field.queryset = (
            Profile.objects.filter(account_id__in=account_ids)
            .select_related("account")
            .order_by("account_id", "-is_default", "name")
        )
        if self.instance.pk:
            self.initial["profiles"] = [p.pk for p in self.instance.profiles.all()]

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("A user with this email address already exists.")
        return email

    def clean(self) -> dict:
        super().clean()
        cleaned = self.cleaned_data
        _account_errors(self, cleaned)
        if "account" in self.errors or "profiles" not in cleaned:
            return cleaned
        account, profiles = cleaned.get("account"), list(cleaned["profiles"])
        if account is None:
            if profiles:
                self.add_error("profiles", "Users without an account have no profiles.")
            return cleaned
        foreign = [p.name for p in profiles if p.account_id != account.pk]
        if foreign:
            self.add_error(
                "profiles", f"Not profiles of {account}: {', '.join(foreign)}. Choose this account's profiles."
            )
        elif not profiles:
            self.add_error("profiles", "Choose at least one profile.")
        return cleaned


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """Admins, agents and support staff; email is the login."""

    form = UserChangeForm
    add_form = UserAddForm
    list_display = ("email", "name", "account", "role", "is_active", "is_staff")
    list_select_related = ("account",)
    list_filter = (("account", admin.RelatedOnlyFieldListFilter), "role", "is_active", "is_staff")
    search_fields = ("email", "name", "account__slug")
    ordering = ("email",)
    autocomplete_fields = ("account",)
    readonly_fields = ("last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("name",)}),
        ("Account", {"fields": ("account", "role", "profiles")}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser")}),
        ("Groups and permissions", {"fields": ("groups", "user_permissions"), "classes": ("collapse",)}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "name", "account", "role", "is_staff", "usable_password", "password1", "password2"),
            },
        ),
    )

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        user = form.instance
        if "profiles" in form.cleaned_data:
            if user.account_id is None:
                user.profiles.clear()
            else:
                profile_assign(user=user, profiles=form.cleaned_data["profiles"])
        elif not change and user.account_id is not None:
            defaults = list(Profile.objects.filter(account_id=user.account_id, is_default=True))
            if defaults:
                profile_assign(user=user, profiles=defaults)

    @admin.action(description="Revoke the API tokens of the selected users")
    def revoke_api_tokens(self, request, queryset) -> None:
        revoked = sum(api_tokens_revoke(user=user) for user in queryset)
        self.message_user(request, f"{revoked} API token(s) revoked.", messages.SUCCESS)

    actions = ["revoke_api_tokens"]


# --- API tokens: support sees who holds tokens and revokes them; nobody sees a token ----------------

# DRF's clear-text token admin (its table is emptied by accounts' migration 0002) and knox's own admin
# (which lists digests and lets staff mint tokens for anyone) give way to the list below.
for _model in (TokenProxy, AuthToken):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


@admin.register(AuthToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Every user's API tokens by prefix, issue and expiry time; deleting one revokes it at once."""

    list_display = ("prefix", "user", "account", "created", "expiry")
    list_select_related = ("user__account",)
    list_filter = (("user__account", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("user__email", "token_key")
    fields = ("prefix", "user", "created", "expiry")
    readonly_fields = fields
    ordering = ("-created",)

    @admin.display(description="Token starts with")
    def prefix(self, obj: AuthToken) -> str:
        return f"{obj.token_key[:8]}…"

    @admin.display(description="Account", ordering="user__account__slug")
    def account(self, obj: AuthToken) -> str:
        return obj.user.account.slug if obj.user.account_id else "— (support)"

    def has_add_permission(self, request) -> bool:
        return False  # tokens are issued to their owner by POST /api/v1/auth/token/

    def has_change_permission(self, request, obj=None) -> bool:
        return False
