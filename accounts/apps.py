from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Tenants (brand accounts), their users, login and the provisioning commands."""

    name = "accounts"
    verbose_name = "Accounts and users"
