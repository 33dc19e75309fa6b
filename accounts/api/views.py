"""The accounts API: the account's users (admins and agents) and API tokens. Writes go through accounts.services."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle

from accounts.models import Account, User
from accounts.selectors import account_users
from accounts.services import user_create, user_rename, user_set_active
from consoleproj.restapi.errors import service_errors
from consoleproj.restapi.permissions import IsAccountAdmin
from settings_profiles.models import AccountCallSettings
from settings_profiles.services import profile_assign

from .serializers import (
    AgentCreateSerializer,
    AgentSerializer,
    AgentUpdateSerializer,
    EmailAuthTokenSerializer,
    TokenSerializer,
)


def requesting_account(request: Request) -> Account:
    """The account of the requesting admin (IsAccountAdmin let only an account's admins in)."""
    account = getattr(request.user, "account", None)
    if not isinstance(account, Account):
        raise PermissionDenied()
    return account


def acting_user(request: Request) -> User:
    """The authenticated user making the request (IsAuthenticated let only those in)."""
    if not isinstance(request.user, User):
        raise PermissionDenied()
    return request.user


class AccountUsersMixin(generics.GenericAPIView):
    """The requesting admin's account users, with what the serializers need to avoid per-row queries."""

    permission_classes = [IsAuthenticated, IsAccountAdmin]

    def get_queryset(self) -> QuerySet[User]:
        return account_users(account=requesting_account(self.request))

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        account = requesting_account(self.request)
        context["account"] = account
        context["call_settings"] = AccountCallSettings.objects.get(account=account)
        return context

    def agent_response(self, user: User, status_code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=user.pk)
        return Response(AgentSerializer(fresh, context=self.get_serializer_context()).data, status=status_code)


@extend_schema(tags=["agents"])
class AgentListView(AccountUsersMixin, generics.ListAPIView):
    """The account's admins and agents with their profiles and effective call permissions."""

    serializer_class = AgentSerializer

    @extend_schema(
        summary="Create an admin or agent of the account",
        request=AgentCreateSerializer,
        responses={201: AgentSerializer},
    )
    def post(self, request: Request) -> Response:
        serializer = AgentCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with service_errors():
            user = user_create(
                account=requesting_account(request),
                email=data["email"],
                password=data["password"],
                role=data["role"],
                name=data["name"],
                profiles=data.get("profiles"),
            )
        return self.agent_response(user, status.HTTP_201_CREATED)


@extend_schema(tags=["agents"])
class AgentDetailView(AccountUsersMixin, generics.RetrieveAPIView):
    """One admin or agent of the account."""

    serializer_class = AgentSerializer

    @extend_schema(
        summary="Rename, (de)activate or reassign the profiles of a user",
        request=AgentUpdateSerializer,
        responses={200: AgentSerializer},
    )
    def patch(self, request: Request, pk: int) -> Response:
        target = self.get_object()
        serializer = AgentUpdateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        # One transaction: a refused part (e.g. deactivating oneself) leaves the other parts undone too.
        with service_errors(), transaction.atomic():
            if "is_active" in data:
                with service_errors(non_field_key="is_active"):
                    user_set_active(user=target, active=data["is_active"], acting_user=acting_user(request))
            if "name" in data:
                user_rename(user=target, name=data["name"])
            if "profiles" in data:
                profile_assign(user=target, profiles=data["profiles"])
        return self.agent_response(target)


class TokenObtainThrottle(AnonRateThrottle):
    """Slows password guessing against the token endpoint (per client address)."""

    rate = "20/min"


@extend_schema(
    tags=["auth"],
    summary="Exchange email and password for an API token",
    request=EmailAuthTokenSerializer,
    responses={200: TokenSerializer},
    auth=[],
)
class EmailObtainAuthToken(ObtainAuthToken):
    """DRF's obtain_auth_token, but with `email` (the User's USERNAME_FIELD) instead of `username`."""

    serializer_class = EmailAuthTokenSerializer
    authentication_classes = []
    throttle_classes = [TokenObtainThrottle]

    def post(self, request: Request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, _ = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})
