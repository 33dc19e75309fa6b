"""`GET /api/v1/sdk/config?account=SLUG[&locale=xx]`: what a brand's app (or its own window) needs to
draw the invitation and the webview bar like our window does. Public, cacheable, never secret."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from consoleproj.throttling import AddressRateThrottle
from settings_profiles.models import AccountCallSettings
from settings_profiles.texts import LOCALES

from .cors import decide_window_origin
from .selectors import active_account, engagement_config


class SdkConfigQuerySerializer(serializers.Serializer):
    account = serializers.CharField(max_length=50, help_text="The account's slug, as in the script tag's data-account.")
    locale = serializers.ChoiceField(
        choices=LOCALES, required=False, help_text="Texts in this locale (default: the account's own)."
    )

    def validate_account(self, value: str):
        account = active_account(slug=value)
        if account is None:
            raise serializers.ValidationError("Unknown or inactive account.")
        return account


class SdkStyleSerializer(serializers.Serializer):
    """Colours are #RGB, #RRGGBB or #RRGGBBAA; widths and radii are CSS pixels."""

    invitation_background = serializers.CharField()
    invitation_text_color = serializers.CharField()
    invitation_border_color = serializers.CharField()
    invitation_border_width = serializers.IntegerField(min_value=0, max_value=8)
    invitation_border_radius = serializers.IntegerField(min_value=0, max_value=32)
    accept_button_background = serializers.CharField()
    accept_button_text_color = serializers.CharField()
    reject_button_background = serializers.CharField()
    reject_button_text_color = serializers.CharField()
    webview_bar_background = serializers.CharField()
    webview_bar_text_color = serializers.CharField()


class SupportedBrowserSerializer(serializers.Serializer):
    family = serializers.CharField(
        help_text="The browser family as ua-parser names it from the User-Agent, e.g. Chrome."
    )
    min_version = serializers.IntegerField(help_text="The lowest supported major version.")


class SdkConfigSerializer(serializers.Serializer):
    account = serializers.CharField(help_text="The account's slug.")
    name = serializers.CharField(help_text="The brand's name, for {brand_name}.")
    locale = serializers.ChoiceField(choices=LOCALES, help_text="The locale of `texts`.")
    voice_enabled = serializers.BooleanField(help_text="Voice calls are switched on for the account.")
    video_enabled = serializers.BooleanField(help_text="Video calls are switched on for the account.")
    share_enabled = serializers.BooleanField(
        help_text="Screen sharing is switched on for the account (the agent may still ask only if a profile grants it)."
    )
    texts = serializers.DictField(
        child=serializers.CharField(),
        help_text="Every customisable text, defaults filled in: invitation_*, call_*, error_*, system_call_*, "
        "media_*. Plain text with {agent_name}/{brand_name} placeholders; render it escaped.",
    )
    # DRF's metaclass moves declared fields off the class: this does not replace Field.style.
    style = SdkStyleSerializer()  # type: ignore[assignment]
    # Named as in the call-settings API, so both share one enum in the schema.
    analytics_tracker = serializers.ChoiceField(
        choices=AccountCallSettings.Tracker.choices,
        source="analytics.tracker",
        help_text="The tracker the window reports call events to on the brand's page (none: nothing is sent).",
    )
    analytics_config = serializers.DictField(
        child=serializers.CharField(),
        source="analytics.config",
        help_text="The tracker's public ids (e.g. measurement_id, site_id); empty for none.",
    )
    browsers = SupportedBrowserSerializer(
        many=True,
        help_text="The browsers a consumer can take a call in, with their lowest major version. Any other "
        "browser (HeadlessChrome included) is refused at call.accept with error_unsupported_browser. "
        "The call client's checkBrowser() applies this list before a window shows Accept.",
    )
    sdk = serializers.DictField(
        child=serializers.CharField(), help_text="The public call client: {version, module} (an ES module URL path)."
    )


class SdkConfigErrorSerializer(serializers.Serializer):
    account = serializers.ListField(child=serializers.CharField(), required=False)
    locale = serializers.ListField(child=serializers.CharField(), required=False)


class SdkConfigThrottle(AddressRateThrottle):
    rate = "120/min"


class SdkConfigView(APIView):
    """The invitation style and texts of an account, and which analytics tracker it set (no secrets)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [SdkConfigThrottle]

    @extend_schema(
        operation_id="sdk_config",
        description="Public, no authentication. Browsers may read it cross-origin only from the account's "
        "allowed_origins (CORS); apps and servers read it from anywhere.",
        parameters=[SdkConfigQuerySerializer],
        responses={
            200: SdkConfigSerializer,
            400: OpenApiResponse(SdkConfigErrorSerializer, description="Unknown or inactive account, bad locale."),
        },
    )
    def get(self, request: Request) -> Response:
        query = SdkConfigQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        account = query.validated_data["account"]
        config = engagement_config(account=account, locale=query.validated_data.get("locale"))
        response = Response(SdkConfigSerializer(config).data)
        # Readable from the account's own pages only (calls/engage/cors.py adds the CORS headers,
        # Vary: Origin); apps and same-origin pages read it as before. Public, fine to cache briefly.
        decide_window_origin(request._request, account.call_settings)
        response["Cache-Control"] = "public, max-age=60"
        return response
