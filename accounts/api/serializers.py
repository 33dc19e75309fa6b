"""Serializers of the accounts API: the account's users with their effective call permissions, and tokens."""

from __future__ import annotations

from django.contrib.auth import authenticate
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Account, User
from consoleproj.restapi.fields import StrictFieldsMixin
from settings_profiles.models import Profile
from settings_profiles.services import PERMISSIONS, media_decision

from .authentication import refuse_if_paused


@extend_schema_field(OpenApiTypes.INT)
class AccountProfilesField(serializers.PrimaryKeyRelatedField):
    """Profile ids, looked up among the requesting admin's account only (other ids do not exist)."""

    def get_queryset(self):
        account: Account = self.context["account"]
        return Profile.objects.filter(account=account)


class PermissionDecisionSerializer(serializers.Serializer):
    allowed = serializers.BooleanField()
    reason = serializers.CharField(help_text="Why not, in words; empty when allowed.")


class CallPermissionsSerializer(serializers.Serializer):
    """The effective permission to start calls: account kill switch AND some profile grants the media."""

    voice = PermissionDecisionSerializer()
    video = PermissionDecisionSerializer()
    share = PermissionDecisionSerializer(
        help_text="Share a screen in video calls (and ask the consumer to share theirs)."
    )


class AgentSerializer(serializers.ModelSerializer):
    """One admin or agent of the account, as the account's admins see them."""

    profiles: serializers.PrimaryKeyRelatedField[Profile] = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True
    )
    permissions = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "email", "name", "role", "is_active", "profiles", "permissions", "date_joined"]
        read_only_fields = fields

    @extend_schema_field(CallPermissionsSerializer)
    def get_permissions(self, user: User) -> dict[str, dict[str, object]]:
        # `call_settings` comes from the view (one query per request) and the profiles from the
        # prefetch of accounts.selectors.account_users, so a list costs the same whatever its length.
        call_settings = self.context["call_settings"]
        profiles = list(user.profiles.all())
        decisions = {
            m: media_decision(user=user, call_settings=call_settings, profiles=profiles, media=m) for m in PERMISSIONS
        }
        # The API's documented shape (CallPermissionsSerializer): the workspace's reason `code` is not part of it.
        return {media: {"allowed": d.allowed, "reason": d.reason} for media, d in decisions.items()}


class AgentCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    """A new admin or agent; without `profiles` the account's default profile is assigned."""

    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(
        write_only=True,
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text="Checked against the password rules (length, similarity, common passwords).",
    )
    name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    role = serializers.ChoiceField(choices=User.Role.choices, default=User.Role.AGENT)
    profiles = AccountProfilesField(many=True, required=False, help_text="Profile ids of the account.")


class AgentUpdateSerializer(StrictFieldsMixin, serializers.Serializer):
    """What an account admin may change about a user; everything is optional (PATCH)."""

    name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    is_active = serializers.BooleanField(
        required=False, help_text="False deactivates the login (history is kept); nobody deactivates themselves."
    )
    profiles = AccountProfilesField(many=True, required=False, help_text="Profile ids of the account; at least one.")


class EmailAuthTokenSerializer(StrictFieldsMixin, serializers.Serializer):
    """Email and password in exchange for the user's API token."""

    email = serializers.EmailField(write_only=True)
    password = serializers.CharField(write_only=True, trim_whitespace=False, style={"input_type": "password"})

    def validate(self, attrs: dict) -> dict:
        # ModelBackend looks the user up by USERNAME_FIELD (email); inactive users are refused by it.
        # The Django request, not DRF's wrapper: the lockout (axes) flags it for its middleware.
        request = self.context["request"]
        user = authenticate(
            request=getattr(request, "_request", request),
            email=attrs["email"].strip().lower(),
            password=attrs["password"],
        )
        if user is None:
            raise serializers.ValidationError(
                "Unable to log in with the provided email and password.", code="authorization"
            )
        refuse_if_paused(user)  # no new token for a paused account's users
        attrs["user"] = user
        return attrs


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(
        help_text='Send it as the header "Authorization: Token <token>". Shown once: only its digest is stored.'
    )
    expires_at = serializers.DateTimeField(help_text="When the token stops working (API_TOKEN_TTL_S after issue).")


class RevokedSerializer(serializers.Serializer):
    revoked = serializers.IntegerField(help_text="How many tokens were revoked.")
