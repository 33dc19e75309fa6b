from django.apps import AppConfig


class CallsConfig(AppConfig):
    """Conversations, calls, the call state machine and the WebSocket signaling."""

    name = "calls"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from accounts.models import Account, User

        from .push import (
            account_agents_group,
            account_consumers_group,
            account_live_group,
            recheck_access,
            user_access_group,
        )

        def user_saved(sender, instance: User, created: bool, **kwargs) -> None:
            if not created:
                recheck_access([user_access_group(instance.pk)])

        def account_saved(sender, instance: Account, created: bool, **kwargs) -> None:
            if not created:
                recheck_access(
                    [
                        account_agents_group(instance.pk),
                        account_live_group(instance.pk),
                        account_consumers_group(instance.pk),
                    ]
                )

        # Every path that deactivates or demotes a user or pauses an account saves the row (the
        # console, the support admin, the API), so open sockets hear of it at once.
        post_save.connect(user_saved, sender=User, dispatch_uid="calls.user_access")
        post_save.connect(account_saved, sender=Account, dispatch_uid="calls.account_access")
