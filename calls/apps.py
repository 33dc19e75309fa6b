from django.apps import AppConfig


class CallsConfig(AppConfig):
    """Conversations, calls, the call state machine and the WebSocket signaling."""

    name = "calls"
