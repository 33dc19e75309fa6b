from django.apps import AppConfig


class ReportingConfig(AppConfig):
    """Collaboration-session metrics rolled up from call events."""

    name = "reporting"
