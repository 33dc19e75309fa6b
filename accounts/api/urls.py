"""Accounts API routes, included under /api/v1/."""

from django.urls import path

from . import views

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="api-token"),
    path("auth/tokens/", views.TokensView.as_view(), name="api-tokens"),
    path("agents/", views.AgentListView.as_view(), name="api-agent-list"),
    path("agents/<int:pk>/", views.AgentDetailView.as_view(), name="api-agent-detail"),
]
