"""Serializers of the settings API: permission profiles and an account's advanced call settings.

The serializers check shapes and types; the rules (ICE URL syntax, text placeholders, colours, TURN
requirements, ...) are the model's `clean`, which `call_settings_update` runs, so the API, the admin
and the commands refuse exactly the same values.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from consoleproj.restapi.fields import StrictFieldsMixin
from settings_profiles.models import AccountCallSettings, Profile
from settings_profiles.secrecy import MASK, is_mask, mask_ice_servers, unmask_ice_servers
from settings_profiles.texts import TEXT_KEYS
from settings_profiles.validation import ANALYTICS_CONFIG_FIELDS, SDK_STYLE_DEFAULTS

# Model fields whose errors the API reports under another name ({"turn_rest": {"urls": [...]}}).
CALL_SETTINGS_ERROR_FIELDS: dict[str, str | tuple[str, str]] = {
    "turn_rest_urls": ("turn_rest", "urls"),
    "turn_rest_shared_secret": ("turn_rest", "shared_secret"),
    "turn_rest_ttl_s": ("turn_rest", "ttl_s"),
}


class ProfileSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """A permission profile of the account; `user_count` is how many users hold it."""

    user_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Profile
        fields = ["id", "name", "description", "can_voice", "can_video", "can_share_screen", "is_default", "user_count"]
        read_only_fields = ["id", "is_default", "user_count"]


# --- Call settings ----------------------------------------------------------------------------


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "example": "turn:turn.example.com:3478?transport=udp"},
            {"type": "array", "items": {"type": "string"}, "minItems": 1},
        ],
        "description": "One stun:/stuns:/turn:/turns: URL or a list of them.",
    }
)
class IceUrlsField(serializers.Field):
    """RTCIceServer.urls: one URL or a list of URLs (their syntax is checked by the model)."""

    default_error_messages = {"invalid": "Must be a URL or a non-empty list of URLs."}

    def to_internal_value(self, data: object) -> str | list[str]:
        if isinstance(data, str):
            return data
        if isinstance(data, list) and data and all(isinstance(url, str) for url in data):
            return list(data)
        self.fail("invalid")

    def to_representation(self, value: object) -> object:
        return value


class IceServerSerializer(StrictFieldsMixin, serializers.Serializer):
    """One STUN or TURN server; TURN servers need a username and a credential."""

    urls = IceUrlsField()
    username = serializers.CharField(required=False, allow_blank=True, max_length=256, trim_whitespace=False)
    credential = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=256,
        trim_whitespace=False,
        help_text=f'Shown as "{MASK}" when set. Send "{MASK}" back to keep the stored credential of the server '
        "with the same urls and username.",
    )

    def to_representation(self, instance: dict) -> dict:
        masked: dict = mask_ice_servers([instance])[0]  # type: ignore[index]  # a list of one server in, one out
        return super().to_representation(masked)


class TurnRestSerializer(StrictFieldsMixin, serializers.Serializer):
    """TURN servers whose credentials are minted per participant from a shared secret (coturn use-auth-secret)."""

    urls = serializers.ListField(
        child=serializers.CharField(trim_whitespace=False),
        source="turn_rest_urls",
        required=False,
        help_text="turn: or turns: URLs.",
    )
    shared_secret = serializers.CharField(
        source="turn_rest_shared_secret",
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=256,
        trim_whitespace=False,
        help_text="Write-only. Omit it to keep the stored secret; an empty string removes it.",
    )
    shared_secret_set = serializers.SerializerMethodField()
    ttl_s = serializers.IntegerField(
        source="turn_rest_ttl_s",
        required=False,
        min_value=60,
        max_value=86400,
        help_text="Lifetime of minted credentials in seconds.",
    )

    def get_shared_secret_set(self, call_settings: AccountCallSettings) -> bool:
        return bool(call_settings.turn_rest_shared_secret)


def _text_field() -> serializers.CharField:
    # Texts are checked by the model (blank, length, HTML, placeholders); whitespace is kept as written.
    return serializers.CharField(allow_blank=True, trim_whitespace=False)


_STYLE_SCHEMA: dict[str, object] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        key: {"type": "integer"} if isinstance(default, int) else {"type": "string", "example": str(default)}
        for key, default in SDK_STYLE_DEFAULTS.items()
    },
}


@extend_schema_field(_STYLE_SCHEMA)
class SdkStyleField(serializers.JSONField):
    """Invitation and webview bar style: colours (#RGB, #RRGGBB, #RRGGBBAA) and border sizes in pixels."""


class CallSettingsSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """An account's advanced call settings as the API shows and takes them.

    Secrets never leave the server: ICE credentials are masked and the TURN REST secret is
    write-only. JSON object fields (texts, sdk_style, ...) are replaced whole, not merged.
    """

    account = serializers.CharField(source="account.slug", read_only=True)
    ice_servers = IceServerSerializer(
        many=True, required=False, help_text="The account's own STUN/TURN servers; empty: the platform defaults."
    )
    turn_rest = TurnRestSerializer(source="*", required=False)
    texts = serializers.DictField(
        child=_text_field(),
        required=False,
        help_text=f"Overrides for the account's locale: {{text key: text}}. Keys: {', '.join(TEXT_KEYS)}.",
    )
    texts_by_locale = serializers.DictField(
        child=serializers.DictField(child=_text_field()),
        required=False,
        help_text="Overrides for other locales: {locale: {text key: text}}.",
    )
    analytics_config = serializers.DictField(
        child=serializers.CharField(),
        required=False,
        help_text="The tracker's settings: "
        + "; ".join(f"{tracker}: {', '.join(fields) or '-'}" for tracker, fields in ANALYTICS_CONFIG_FIELDS.items()),
    )
    sdk_style = SdkStyleField(required=False, help_text="Overrides of the invitation and webview bar style.")
    allowed_origins = serializers.ListField(
        child=serializers.CharField(trim_whitespace=False, max_length=300),
        required=False,
        max_length=20,
        help_text="Brand pages that may run the account's own messaging window, exactly as browsers send them "
        '(scheme, host, port; no path), e.g. ["https://www.example.com"]. https only (http for localhost). '
        "They open the account's consumer sockets, read the window's endpoints with CORS and frame the hosted window.",
    )
    resolved_texts = serializers.DictField(
        child=serializers.CharField(),
        read_only=True,
        help_text="Every text for the account's locale, defaults filled in.",
    )
    resolved_style = SdkStyleField(read_only=True, help_text="The style with defaults filled in.")

    class Meta:
        model = AccountCallSettings
        fields = [
            "account",
            "voice_enabled",
            "video_enabled",
            "screen_share_enabled",
            "agent_camera_off_at_start",
            "consumer_camera_off_at_start",
            "force_relay",
            "ice_servers",
            "turn_rest",
            "locale",
            "texts",
            "texts_by_locale",
            "analytics_tracker",
            "analytics_config",
            "sdk_style",
            "allowed_origins",
            "ring_timeout_s",
            "reconnect_grace_s",
            "resolved_texts",
            "resolved_style",
            "updated_at",
        ]
        read_only_fields = ["account", "resolved_texts", "resolved_style", "updated_at"]

    def validate_ice_servers(self, servers: list[dict]) -> list[dict]:
        """Put back the stored credential wherever the client sent the mask."""
        stored = self.instance.ice_servers if self.instance is not None else []
        restored = unmask_ice_servers([dict(server) for server in servers], stored=stored)
        assert isinstance(restored, list)  # servers in, servers out
        return restored

    def validate(self, attrs: dict) -> dict:
        # The secret is never shown, so the mask can only mean "keep it".
        if is_mask(attrs.get("turn_rest_shared_secret")):
            del attrs["turn_rest_shared_secret"]
        return attrs
