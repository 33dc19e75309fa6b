"""The account admin's console, mounted at /console/ under the "console" namespace."""

from django.urls import path

from . import call_settings_views, views

app_name = "console"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("agents/", views.agents, name="agents"),
    path("agents/new/", views.agent_create, name="agent_create"),
    path("agents/<int:pk>/", views.agent_detail, name="agent_detail"),
    path("agents/<int:pk>/active/", views.agent_set_active, name="agent_set_active"),
    path("agents/<int:pk>/tokens/revoke/", views.agent_tokens_revoke, name="agent_tokens_revoke"),
    path("profiles/", views.profiles, name="profiles"),
    path("profiles/new/", views.profile_new, name="profile_create"),
    path("profiles/<int:pk>/", views.profile_edit, name="profile_edit"),
    path("profiles/<int:pk>/delete/", views.profile_remove, name="profile_delete"),
    path("call-settings/", call_settings_views.call_settings, name="call_settings"),
    path("call-settings/ice-check/", call_settings_views.ice_check, name="ice_check"),
]
