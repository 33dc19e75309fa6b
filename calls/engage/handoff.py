"""Continue on my phone, the phone's side: the page a handoff link opens (`/go/CODE`) and the claim
that moves the call there (`POST /api/v1/handoffs/claim`).

Opening the link changes nothing (messengers and QR scanners fetch links by themselves): the page
shows the account's words and, when the code can still be used, a camera choice (the back camera
first) and "Continue here". That button claims the code; the answer carries a consumer token made
for this phone, kept in the page's memory only, and the page then runs the call as the mobile
webview page does (webview.js). The code is in the path, so the logs scrub `/go/…` (logscrub.py).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from calls import services
from calls.services.handoffs import PROBLEMS
from consoleproj.throttling import AddressRateThrottle
from settings_profiles.texts import render_text

from .chrome_texts import UNAVAILABLE, words_for
from .selectors import engagement_config
from .views import CONSUMER_SOCKET_PATH, _unavailable


class HandoffThrottle(AddressRateThrottle):
    """Codes are 60 random bits and live minutes; this keeps guessing pointless on top of that."""

    rate = "30/min"


@require_GET
@never_cache
def phone_page(request: HttpRequest, code: str) -> HttpResponse:
    """The page a handoff link opens on the phone: the account's words, the camera choice, the button."""
    if not HandoffThrottle().allow_request(request, None):  # type: ignore[arg-type]
        response = _unavailable(request, "busy", status=429)
    else:
        response = _phone_page(request, code)
    response["Referrer-Policy"] = "no-referrer"  # the path holds the code
    return response


def _phone_page(request: HttpRequest, code: str) -> HttpResponse:
    handoff = services.handoff_of_code(code)
    if handoff is None or not handoff.account.active:
        return _unavailable(request, "handoff", status=404)
    call, conversation = handoff.call, handoff.conversation
    config = engagement_config(account=handoff.account, locale=conversation.locale)
    texts = config["texts"]
    problem = services.handoff_problem(handoff, call)
    names = {"agent_name": call.agent.display_name if call.agent else "", "brand_name": handoff.account.name}
    config.update(
        words=words_for(config["locale"]),
        conversation_id=conversation.pk,
        socket_path=CONSUMER_SOCKET_PATH,
        handoff={
            "call_id": call.pk,
            "media": call.media,
            "claim_url": reverse("handoff-claim"),
            "title": render_text(texts["handoff_phone_title"], **names),
            "body": render_text(texts["handoff_phone_body"], **names),
            "problem": problem or "",
            "problem_text": texts[PROBLEMS[problem][1]] if problem else "",
        },
    )
    return render(request, "engage/webview.html", {"config": config}, status=200 if problem is None else 410)


class PhoneClientSerializer(serializers.Serializer):
    user_agent = serializers.CharField(max_length=512, allow_blank=True, trim_whitespace=False)
    webrtc = serializers.BooleanField()
    camera = serializers.BooleanField()
    microphone = serializers.BooleanField()


class HandoffClaimSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=40, help_text="The code of the link (/go/CODE), as shown or typed.")
    call_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="The call the code was shown for.")
    account = serializers.CharField(max_length=50, help_text="The account's slug.")
    client = PhoneClientSerializer(help_text="What this browser offers, as for call.accept.")


class HandoffClaimedSerializer(serializers.Serializer):
    consumer_token = serializers.CharField(help_text="This phone's own consumer token: keep it in memory only.")
    conversation_id = serializers.IntegerField()
    call_id = serializers.IntegerField()
    websocket_url = serializers.CharField()


class HandoffRefusedSerializer(serializers.Serializer):
    code = serializers.ListField(child=serializers.CharField(), help_text="Words for the person holding the phone.")
    error = serializers.CharField(help_text="bad_request, not_found, expired or invalid_state (docs/protocol.md).")
    reason = serializers.CharField(
        help_text="malformed, unknown, used, replaced, expired, ended, or the browser check's reason."
    )


class HandoffClaimView(APIView):
    """Move a live call to this phone with a one-time code (Continue on my phone)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [HandoffThrottle]

    @extend_schema(
        operation_id="handoff_claim",
        request=HandoffClaimSerializer,
        responses={
            200: HandoffClaimedSerializer,
            400: OpenApiResponse(HandoffRefusedSerializer, description="Refused; nothing was changed."),
        },
    )
    def post(self, request: Request) -> Response:
        body = HandoffClaimSerializer(data=request.data)
        if not body.is_valid():
            words = body.errors.get("code") or [UNAVAILABLE["handoff"]["text"]]
            refused = {**body.errors, "code": words, "error": "bad_request", "reason": "malformed"}
            return Response(refused, status=status.HTTP_400_BAD_REQUEST)
        data = body.validated_data
        try:
            claimed = services.call_handoff_claim(
                code=data["code"],
                call_id=data["call_id"],
                account=data["account"],
                client=services.PhoneClient(**data["client"]),
            )
        except services.HandoffRefused as refused:
            words = refused.text or UNAVAILABLE["handoff"]["text"]
            return Response(
                {"code": [words], "error": refused.code, "reason": refused.reason}, status=status.HTTP_400_BAD_REQUEST
            )
        scheme = "wss" if request.is_secure() else "ws"
        call = claimed.call
        return Response(
            {
                "consumer_token": claimed.consumer_token,
                "conversation_id": call.conversation_id,
                "call_id": call.pk,
                "websocket_url": f"{scheme}://{request.get_host()}{CONSUMER_SOCKET_PATH}?token={claimed.consumer_token}",
            }
        )
