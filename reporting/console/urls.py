"""The console's reports pages, mounted at /console/reports/ under the "reports" namespace."""

from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.reports, name="index"),
    path("live/", views.live, name="live"),
    path("calls/<int:pk>/", views.call_detail, name="call"),
]
