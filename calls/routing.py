"""WebSocket routes; consoleproj.asgi wraps them in the Origin check and session auth."""

from django.urls import path

from .sockets.agent import AgentSocket
from .sockets.consumer import ConsumerSocket
from .sockets.live import LivePanelSocket

websocket_urlpatterns = [
    path("ws/agent/", AgentSocket.as_asgi()),
    path("ws/consumer/", ConsumerSocket.as_asgi()),
    path("ws/live/", LivePanelSocket.as_asgi()),
]
