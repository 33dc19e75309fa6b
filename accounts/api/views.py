"""The accounts API: the account's users (admins and agents) and API tokens. Writes go through accounts.services."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from knox.models import AuthToken
from rest_framework import generics, status
from rest_framework.exceptions import APIException, PermissionDenied
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Account, User
from accounts.selectors import account_users
from accounts.services import (
    TokenLimitReached,
    api_token_issue,
    api_tokens_revoke,
    user_create,
    user_rename,
    user_set_active,
)
from consoleproj.restapi.errors import ActionRefused, service_errors
from consoleproj.restapi.permissions import IsAccountAdmin
from consoleproj.throttling import AddressRateThrottle
from settings_profiles.models import AccountCallSettings
from settings_profiles.services import profile_assign

from .serializers import (
    AgentCreateSerializer,
    AgentSerializer,
    AgentUpdateSerializer,
    EmailAuthTokenSerializer,
    RevokedSerializer,
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


class TokenObtainThrottle(AddressRateThrottle):
    """Slows password guessing against the token endpoint (per client address)."""

    rate = "20/min"


TOKEN_LIMIT_MESSAGE = (
    "You already hold {limit} unexpired API tokens. Revoke one you no longer use "
    "(DELETE /api/v1/auth/token/ with it) or all of them (DELETE /api/v1/auth/tokens/, or the "
    '"API tokens" section of /accounts/password/change/), then ask again.'
)


class TokenLimitRefused(APIException):
    status_code = status.HTTP_403_FORBIDDEN
    default_code = "token_limit"


@extend_schema(tags=["auth"])
class TokenView(APIView):
    """POST: email and password for a new API token. DELETE: revoke the token this request carries."""

    def get_authenticators(self):
        # Logging in takes no credentials but the password: a stale token header must not block it.
        return [] if self._logging_in() else super().get_authenticators()

    def get_permissions(self):
        return [AllowAny()] if self._logging_in() else [IsAuthenticated()]

    def get_throttles(self):
        return [TokenObtainThrottle()] if self._logging_in() else super().get_throttles()

    def _logging_in(self) -> bool:
        # The schema generator asks without a request; it documents POST's auth itself (auth=[]).
        return getattr(self.request, "method", None) == "POST"

    @extend_schema(
        summary="Exchange email and password for an API token",
        description="Each call issues a new token, valid for API_TOKEN_TTL_S (7 days by default). Only its "
        "digest is stored: keep the token, it is shown once.",
        request=EmailAuthTokenSerializer,
        responses={200: TokenSerializer, 403: OpenApiResponse(description="Too many unexpired tokens.")},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = EmailAuthTokenSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        try:
            instance, token = api_token_issue(user=serializer.validated_data["user"])
        except TokenLimitReached:
            raise TokenLimitRefused(TOKEN_LIMIT_MESSAGE.format(limit=settings.API_TOKENS_PER_USER)) from None
        return Response(TokenSerializer({"token": token, "expires_at": instance.expiry}).data)

    @extend_schema(
        summary="Revoke the API token of this request",
        description="The token sent in the Authorization header stops working at once.",
        request=None,
        responses={204: None, 400: OpenApiResponse(description="The request carried no token.")},
    )
    def delete(self, request: Request) -> Response:
        if not isinstance(request.auth, AuthToken):
            raise ActionRefused('Send the token to revoke in the header "Authorization: Token <token>".')
        api_tokens_revoke(user=acting_user(request), token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["auth"])
class TokensView(APIView):
    """Every API token of the requesting user."""

    @extend_schema(
        summary="Revoke all your API tokens",
        request=None,
        responses={200: RevokedSerializer},
    )
    def delete(self, request: Request) -> Response:
        return Response({"revoked": api_tokens_revoke(user=acting_user(request))})
