from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from calls import services
from calls.tokens import consumer_token_for
from consoleproj.throttling import AddressRateThrottle

from .serializers import ConversationCreatedSerializer, ConversationCreateSerializer


class ConversationStartThrottle(AddressRateThrottle):
    rate = "30/min"


class ConversationCreateView(APIView):
    """Start a messaging conversation for a consumer (called by the brand's messaging window)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [ConversationStartThrottle]

    @extend_schema(request=ConversationCreateSerializer, responses={201: ConversationCreatedSerializer})
    def post(self, request):
        serializer = ConversationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        conversation = services.conversation_create(
            account=data["account"],
            channel=data["channel"],
            consumer_name=data["consumer_name"],
            consumer_ref=data["consumer_ref"],
            locale=data.get("locale", ""),
        )
        token = consumer_token_for(conversation_id=conversation.pk, account_id=conversation.account_id)
        scheme = "wss" if request.is_secure() else "ws"
        body = {
            "id": conversation.pk,
            "state": conversation.state,
            "consumer_token": token,
            "websocket_url": f"{scheme}://{request.get_host()}/ws/consumer/?token={token}",
        }
        return Response(ConversationCreatedSerializer(body).data, status=status.HTTP_201_CREATED)
