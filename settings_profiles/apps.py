from django.apps import AppConfig


class SettingsProfilesConfig(AppConfig):
    """Permission profiles, the account's advanced call settings, their audit trail and ICE service."""

    name = "settings_profiles"
    verbose_name = "Profiles and call settings"
