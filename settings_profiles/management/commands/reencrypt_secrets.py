"""`reencrypt_secrets`: the last step of a SECRET_KEY rotation for the secrets accounts bring.

Run it after deploying the new SECRET_KEY with the old one in SECRET_KEY_FALLBACKS; once it reports
no unreadable account, the old key can leave SECRET_KEY_FALLBACKS (docs/operations.md).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from settings_profiles.services import call_settings_reencrypt_secrets


class Command(BaseCommand):
    help = "Re-encrypt every account's TURN secrets and ICE credentials with the current SECRET_KEY."

    def handle(self, *args, **options):
        rewritten, unreadable = call_settings_reencrypt_secrets()
        self.stdout.write(f"{rewritten} account(s) re-encrypted with the current SECRET_KEY.")
        if unreadable:
            raise CommandError(
                f"No key decrypts the secrets of {', '.join(unreadable)}: they were left as they are. Put the "
                "key they were written with into SECRET_KEY_FALLBACKS and run this again, or enter them anew."
            )
