from rest_framework import serializers

from accounts.models import Account
from calls.models import Conversation
from calls.services import MAX_MESSAGE_LENGTH
from settings_profiles.texts import LOCALES


class ConversationCreateSerializer(serializers.Serializer):
    """What a brand's messaging window sends to start a conversation."""

    account = serializers.SlugRelatedField(slug_field="slug", queryset=Account.objects.filter(active=True))
    channel = serializers.ChoiceField(choices=Conversation.Channel.choices, default=Conversation.Channel.WEB_MESSAGING)
    consumer_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    consumer_ref = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    locale = serializers.ChoiceField(choices=LOCALES, required=False)
    text = serializers.CharField(
        max_length=MAX_MESSAGE_LENGTH,
        required=False,
        help_text="The consumer's first message: the conversation starts with it (created, routed and the "
        "message posted together). Needs `idempotency_key`.",
    )
    idempotency_key = serializers.RegexField(
        r"^[A-Za-z0-9_-]{16,64}$",
        required=False,
        help_text="16-64 letters, digits, - or _, chosen at random by the window for this start: a retry "
        "with the same key returns the conversation it started (200) instead of creating another.",
    )

    def validate(self, attrs):
        if ("text" in attrs) != ("idempotency_key" in attrs):
            missing = "idempotency_key" if "text" in attrs else "text"
            raise serializers.ValidationError({missing: ["Send text and idempotency_key together."]})
        return attrs


class ConversationCreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    state = serializers.CharField()
    consumer_token = serializers.CharField(help_text="Opens /ws/consumer/?token=...; signed, expires.")
    websocket_url = serializers.CharField()
