from rest_framework import serializers

from accounts.models import Account
from calls.models import Conversation
from calls.services import MAX_MESSAGE_LENGTH
from settings_profiles.texts import LOCALES


class ConversationCreateSerializer(serializers.Serializer):
    """What a brand's messaging window (or, with an account API key, its backend) sends to start a conversation."""

    account = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Account.objects.filter(active=True),
        required=False,
        help_text="The account's slug. Required without an API key; with one it may be omitted (the key's account).",
    )
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

    visitor_ip = serializers.IPAddressField(
        required=False,
        help_text="Server to server only (with an API key): the visitor's own address, as your backend saw it. "
        "Rate limits apply per visitor. Send this or visitor_id.",
    )
    visitor_id = serializers.CharField(
        required=False,
        max_length=100,
        help_text="Server to server only (with an API key): your stable id of the visitor (a session or user id); "
        "rate limits apply per visitor.",
    )

    def validate(self, attrs: dict) -> dict:
        api_key = self.context.get("api_key")
        errors: dict[str, str] = {}
        if api_key is None:
            if "account" not in attrs:
                errors["account"] = "This field is required."
            for field in ("visitor_ip", "visitor_id"):
                if field in attrs:
                    errors[field] = "Only with an account API key (server to server)."
        else:
            if attrs.setdefault("account", api_key.account) != api_key.account:
                errors["account"] = "The API key belongs to another account."
            if not attrs.get("visitor_ip") and not attrs.get("visitor_id"):
                errors["visitor_ip"] = "Send the visitor's address (visitor_ip) or your id of the visitor (visitor_id)."
        if ("text" in attrs) != ("idempotency_key" in attrs):
            missing = "idempotency_key" if "text" in attrs else "text"
            errors[missing] = "Send text and idempotency_key together."
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class ConversationCreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    state = serializers.CharField()
    consumer_token = serializers.CharField(help_text="Opens /ws/consumer/?token=...; signed, expires.")
    websocket_url = serializers.CharField()
