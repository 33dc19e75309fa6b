from rest_framework import serializers

from accounts.models import Account
from calls.models import Conversation
from settings_profiles.texts import LOCALES


class ConversationCreateSerializer(serializers.Serializer):
    """What a brand's messaging window sends to start a conversation."""

    account = serializers.SlugRelatedField(slug_field="slug", queryset=Account.objects.filter(active=True))
    channel = serializers.ChoiceField(choices=Conversation.Channel.choices, default=Conversation.Channel.WEB_MESSAGING)
    consumer_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    consumer_ref = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    locale = serializers.ChoiceField(choices=LOCALES, required=False)


class ConversationCreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    state = serializers.CharField()
    consumer_token = serializers.CharField(help_text="Opens /ws/consumer/?token=...; signed, expires.")
    websocket_url = serializers.CharField()
