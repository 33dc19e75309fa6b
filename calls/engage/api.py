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


class SdkConfigSerializer(serializers.Serializer):
    account = serializers.CharField(help_text="The account's slug.")
    name = serializers.CharField(help_text="The brand's name, for {brand_name}.")
    locale = serializers.ChoiceField(choices=LOCALES, help_text="The locale of `texts`.")
    voice_enabled = serializers.BooleanField(help_text="Voice calls are switched on for the account.")
    video_enabled = serializers.BooleanField(help_text="Video calls are switched on for the account.")
    texts = serializers.DictField(
        child=serializers.CharField(),
        help_text="Every customisable text, defaults filled in: invitation_*, call_*, error_*, system_call_*, "
        "media_*. Plain text with {agent_name}/{brand_name} placeholders; render it escaped.",
    )
    style = SdkStyleSerializer()
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
        parameters=[SdkConfigQuerySerializer],
        responses={
            200: SdkConfigSerializer,
            400: OpenApiResponse(SdkConfigErrorSerializer, description="Unknown or inactive account, bad locale."),
        },
    )
    def get(self, request: Request) -> Response:
        query = SdkConfigQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        config = engagement_config(account=query.validated_data["account"], locale=query.validated_data.get("locale"))
        response = Response(SdkConfigSerializer(config).data)
        # Public data that brands may read from their own pages and apps; fine to cache briefly.
        response["Access-Control-Allow-Origin"] = "*"
        response["Cache-Control"] = "public, max-age=60"
        return response
