"""Reports API routes, included under /api/v1/."""

from django.urls import path

from .views import CallDetailView, CollaborationSessionReportView

urlpatterns = [
    path(
        "reports/collaboration-sessions/",
        CollaborationSessionReportView.as_view(),
        name="api-report-collaboration-sessions",
    ),
    path("reports/calls/<int:pk>/", CallDetailView.as_view(), name="api-report-call"),
]
