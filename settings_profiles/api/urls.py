"""Settings API routes, included under /api/v1/."""

from django.urls import path

from . import views

urlpatterns = [
    path("profiles/", views.ProfileListView.as_view(), name="api-profile-list"),
    path("profiles/<int:pk>/", views.ProfileDetailView.as_view(), name="api-profile-detail"),
    path("accounts/<slug:slug>/call-settings/", views.CallSettingsView.as_view(), name="api-call-settings"),
]
