from django.apps import AppConfig


class ReportingConfig(AppConfig):
    """Collaboration-session metrics rolled up from call events."""

    name = "reporting"

    def ready(self) -> None:
        from calls.signals import call_ended

        from .receivers import queue_rollup_of_ended_call

        call_ended.connect(queue_rollup_of_ended_call, dispatch_uid="reporting.rollup_of_ended_call")
