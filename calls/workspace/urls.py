"""The agent workspace, mounted at /workspace/ under the "workspace" namespace."""

from django.urls import path

from . import views

app_name = "workspace"

urlpatterns = [
    path("", views.workspace, name="index"),
    path("conversations/<int:conversation_id>/messages/", views.transcript, name="transcript"),
    path("colleagues/", views.colleagues, name="colleagues"),
]
