"""The settings API: the account's permission profiles and its advanced call settings.

Views parse input and call settings_profiles.services; every refusal of a service is a 400.
"""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from consoleproj.restapi.errors import service_errors, service_refusals
from consoleproj.restapi.permissions import IsAccountAdmin
from settings_profiles.models import AccountCallSettings, Profile, SettingsChange
from settings_profiles.services import call_settings_update, profile_create, profile_delete, profile_update

from .permissions import CallSettingsAccess, acting_user, requesting_account, requesting_account_id
from .serializers import CALL_SETTINGS_ERROR_FIELDS, CallSettingsSerializer, ProfileSerializer


class AccountProfilesMixin(generics.GenericAPIView):
    """The requesting admin's profiles, each with its user count (one query for the whole list)."""

    permission_classes = [IsAuthenticated, IsAccountAdmin]
    serializer_class = ProfileSerializer

    def get_queryset(self) -> QuerySet[Profile]:
        return (
            Profile.objects.filter(account_id=requesting_account_id(self.request))
            .annotate(user_count=Count("users"))
            .order_by("-is_default", "name")
        )


@extend_schema_view(
    get=extend_schema(summary="The account's permission profiles"),
    post=extend_schema(summary="Create a permission profile"),
)
@extend_schema(tags=["profiles"])
class ProfileListView(AccountProfilesMixin, generics.ListCreateAPIView):
    def perform_create(self, serializer: BaseSerializer[Profile]) -> None:
        data = serializer.validated_data
        with service_errors():
            profile = profile_create(
                account=requesting_account(self.request),
                name=data["name"],
                description=data.get("description", ""),
                can_voice=data.get("can_voice", True),
                can_video=data.get("can_video", True),
                can_share_screen=data.get("can_share_screen", True),
            )
        serializer.instance = self.get_queryset().get(pk=profile.pk)


@extend_schema_view(
    get=extend_schema(summary="One permission profile"),
    patch=extend_schema(summary="Rename a profile or change its permissions"),
    delete=extend_schema(
        summary="Delete a profile nobody holds",
        description="The built-in default profile and profiles assigned to users are refused with 400 {detail}.",
    ),
)
@extend_schema(tags=["profiles"])
class ProfileDetailView(AccountProfilesMixin, generics.RetrieveUpdateDestroyAPIView):
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def perform_update(self, serializer: BaseSerializer[Profile]) -> None:
        profile, data = serializer.instance, serializer.validated_data
        assert isinstance(profile, Profile)  # an update always has its instance (get_object)
        with service_errors():
            profile_update(
                profile=profile,
                name=data.get("name", profile.name),
                description=data.get("description", profile.description),
                can_voice=data.get("can_voice", profile.can_voice),
                can_video=data.get("can_video", profile.can_video),
                can_share_screen=data.get("can_share_screen", profile.can_share_screen),
            )

    def perform_destroy(self, instance: Profile) -> None:
        with service_refusals():
            profile_delete(profile=instance)


@extend_schema(
    tags=["call settings"],
    parameters=[OpenApiParameter("slug", str, OpenApiParameter.PATH, description="The account's slug.")],
)
class CallSettingsView(generics.GenericAPIView):
    """An account's advanced call settings: its admins read them, support staff read and change them."""

    permission_classes = [IsAuthenticated, CallSettingsAccess]
    serializer_class = CallSettingsSerializer
    queryset = AccountCallSettings.objects.select_related("account")

    @extend_schema(summary="Read an account's call settings (its admins and support staff)")
    def get(self, request: Request, slug: str) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(
        summary="Change an account's call settings (support staff only)",
        description="Only the fields sent change; each changed field is audited. Unknown fields and invalid values "
        "are refused with 400 and change nothing.",
    )
    def patch(self, request: Request, slug: str) -> Response:
        call_settings = self.get_object()
        serializer = self.get_serializer(call_settings, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        with service_errors(field_names=CALL_SETTINGS_ERROR_FIELDS):
            call_settings_update(
                call_settings=call_settings,
                data=serializer.validated_data,
                changed_by=acting_user(request),
                source=SettingsChange.Source.API,
            )
        return Response(self.get_serializer(call_settings).data)

    def get_object(self) -> AccountCallSettings:
        call_settings = get_object_or_404(self.get_queryset(), account__slug=self.kwargs["slug"])
        self.check_object_permissions(self.request, call_settings)
        return call_settings
