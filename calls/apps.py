from django.apps import AppConfig


class CallsConfig(AppConfig):
    """Conversations, calls, the call state machine and the WebSocket signaling."""

    name = "calls"

    def ready(self) -> None:
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from accounts.models import Account, User

        from . import checks  # noqa: F401  (registers the deploy checks)
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

        # Support's changes reach open workspaces and windows at once (calls/services/settings_sync.py):
        # kill switches, camera defaults, texts, relay policy (the settings row), a profile's grants,
        # and which profiles an agent has (either side of the relation).
        from settings_profiles.models import AccountCallSettings, Profile

        from .services import account_settings_changed

        def settings_saved(sender, instance: AccountCallSettings, **kwargs) -> None:
            account_settings_changed(account_id=instance.account_id)

        def profile_changed(sender, instance: Profile, **kwargs) -> None:
            account_settings_changed(account_id=instance.account_id)

        def profiles_assigned(sender, instance, action: str, **kwargs) -> None:
            if action in ("post_add", "post_remove", "post_clear") and instance.account_id is not None:
                account_settings_changed(account_id=instance.account_id)

        post_save.connect(settings_saved, sender=AccountCallSettings, dispatch_uid="calls.settings_saved")
        post_save.connect(profile_changed, sender=Profile, dispatch_uid="calls.profile_saved")
        post_delete.connect(profile_changed, sender=Profile, dispatch_uid="calls.profile_deleted")
        m2m_changed.connect(profiles_assigned, sender=Profile.users.through, dispatch_uid="calls.profiles_assigned")
