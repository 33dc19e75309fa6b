"""WebSocket routes; consoleproj.asgi wraps them in the Origin check and session auth."""

from django.urls import path

from . import consumers

websocket_urlpatterns = [
    path("ws/agent/", consumers.AgentConsumer.as_asgi()),
    path("ws/consumer/", consumers.ConsumerConsumer.as_asgi()),
    path("ws/live/", consumers.LiveConsumer.as_asgi()),
]
