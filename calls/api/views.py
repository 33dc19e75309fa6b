"""`POST /api/v1/conversations/`: a consumer's conversation starts, from a browser or a brand's backend.

Three callers, three rules:
- the hosted window and apps: anonymous, limited per client address;
- a brand's own window on its own site: the same, and its page's origin must be one of the
  account's `allowed_origins` (CORS; a foreign origin is refused with 403 and gets no CORS header);
- a brand's backend: `Authorization: Bearer vvck_…` (an account API key), limited per visitor (the
  `visitor_ip`/`visitor_id` it passes) and per key, never by a header a client could forge.
"""

from __future__ import annotations

import hashlib
import ipaddress

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from calls import services
from calls.api_keys import KEY_PREFIX, api_key_check
from calls.engage.cors import decide_window_origin, is_cross_origin
from calls.models import AccountApiKey
from calls.tokens import consumer_token_for
from consoleproj.throttling import AddressRateThrottle, ClientAddressMixin

from .serializers import ConversationCreatedSerializer, ConversationCreateSerializer


class _KeyUser:
    """The request's user when an API key authenticated it: no person, no permissions."""

    is_authenticated = False
    is_active = False
    pk = None


class AccountApiKeyAuthentication(BaseAuthentication):
    """`Authorization: Bearer vvck_…`: an account API key (calls/api_keys.py); request.auth is the key row."""

    keyword = b"bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2 or not parts[1].decode("latin1").startswith(KEY_PREFIX):
            raise exceptions.AuthenticationFailed("Malformed API key: send Authorization: Bearer vvck_….")
        api_key = api_key_check(parts[1].decode("latin1"))
        if api_key is None:
            raise exceptions.AuthenticationFailed("Unknown or revoked API key.")
        if is_cross_origin(request._request):
            # A key in a web page is a key anyone can copy: refuse it, loudly, at the first try.
            raise exceptions.PermissionDenied("API keys are for servers; never put one in a web page.")
        return _KeyUser(), api_key

    def authenticate_header(self, request) -> str:
        return "Bearer"


class AccountApiKeyScheme(OpenApiAuthenticationExtension):
    """The API key as the OpenAPI schema shows it (a bearer token)."""

    target_class = AccountApiKeyAuthentication
    name = "accountApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An account API key (vvck_…) for brand backends; support creates it. Never in a web page.",
        }


def _api_key(request) -> AccountApiKey | None:
    return request.auth if isinstance(request.auth, AccountApiKey) else None


class ConversationStartThrottle(AddressRateThrottle):
    """Browsers and apps: 30 a minute per client address. Backends with a key are limited per visitor instead."""

    rate = "30/min"

    def allow_request(self, request, view) -> bool:
        return _api_key(request) is not None or super().allow_request(request, view)


class ApiKeyVisitorThrottle(ClientAddressMixin, SimpleRateThrottle):
    """Backends with a key: API_KEY_VISITOR_RATE per visitor the backend names (its visitor_ip or
    visitor_id), counted per key. The backend's own address plays no part (the key is the visitor's);
    the mixin only makes any address this class ever asks for come from the one place."""

    def get_rate(self) -> str:
        return settings.API_KEY_VISITOR_RATE

    def get_cache_key(self, request, view) -> str | None:
        api_key = _api_key(request)
        data = request.data if api_key is not None else None
        if api_key is None or not isinstance(data, dict):
            return None
        visitor = data.get("visitor_id") or data.get("visitor_ip")
        if not isinstance(visitor, str) or not visitor:
            return None  # the serializer answers 400
        kind = "id" if data.get("visitor_id") else "ip"
        if kind == "ip":
            try:  # one visitor, one key: 2001:DB8::1 and 2001:db8:0::1 are the same address
                visitor = ipaddress.ip_address(visitor.strip()).compressed
            except ValueError:
                return None  # the serializer answers 400
        digest = hashlib.sha256(f"{kind}:{visitor.strip()}".encode()).hexdigest()[:32]
        return f"throttle_visitor_{api_key.pk}_{digest}"


class ApiKeyThrottle(ClientAddressMixin, SimpleRateThrottle):
    """Backends with a key: API_KEY_RATE per key in all."""

    def get_rate(self) -> str:
        return settings.API_KEY_RATE

    def get_cache_key(self, request, view) -> str | None:
        api_key = _api_key(request)
        return f"throttle_apikey_{api_key.pk}" if api_key is not None else None


class ConversationCreateView(APIView):
    """Start a messaging conversation for a consumer (the brand's messaging window, app or backend)."""

    permission_classes = [AllowAny]
    authentication_classes = [AccountApiKeyAuthentication]
    throttle_classes = [ConversationStartThrottle, ApiKeyThrottle, ApiKeyVisitorThrottle]

    @extend_schema(
        request=ConversationCreateSerializer,
        responses={
            201: ConversationCreatedSerializer,
            200: OpenApiResponse(
                ConversationCreatedSerializer, description="A retry: the conversation this key started."
            ),
            400: OpenApiResponse(description="Field errors."),
            401: OpenApiResponse(description="Unknown, revoked or malformed API key."),
            403: OpenApiResponse(description="The page's origin is not one of the account's allowed_origins."),
            429: OpenApiResponse(description="Too many conversations from this client (or, with a key, this visitor)."),
        },
        description="Anonymous from the account's allowed origins (CORS) and apps; or server to server with "
        "`Authorization: Bearer vvck_…` and the visitor's `visitor_ip` or `visitor_id` (docs/engagement.md).",
    )
    def post(self, request):
        api_key = _api_key(request)
        serializer = ConversationCreateSerializer(data=request.data, context={"api_key": api_key})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        account = data["account"]
        if api_key is None and not decide_window_origin(request._request, account.call_settings):
            return Response(
                {"detail": "This page's origin is not one of the account's allowed origins."},
                status=status.HTTP_403_FORBIDDEN,
            )
        details = {
            "account": account,
            "channel": data["channel"],
            "consumer_name": data["consumer_name"],
            "consumer_ref": data["consumer_ref"],
            "locale": data.get("locale", ""),
        }
        created = True
        if "text" in data:
            try:
                conversation, created = services.conversation_start(
                    text=data["text"], start_key=data["idempotency_key"], **details
                )
            except services.CallError as error:
                return Response({"text": [error.message]}, status=status.HTTP_400_BAD_REQUEST)
        else:
            conversation = services.conversation_create(**details)
        token = consumer_token_for(conversation_id=conversation.pk, account_id=conversation.account_id)
        scheme = "wss" if request.is_secure() else "ws"
        body = {
            "id": conversation.pk,
            "state": conversation.state,
            "consumer_token": token,
            "websocket_url": f"{scheme}://{request.get_host()}/ws/consumer/?token={token}",
        }
        return Response(
            ConversationCreatedSerializer(body).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )
