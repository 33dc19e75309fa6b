"""API tokens move from DRF's authtoken table (the key in clear) to knox (a SHA-512 digest only).

Every existing token keeps working under its old value, now hashed, and expires API_TOKEN_TTL_S from
this migration. The clear-text rows are deleted. Going back cannot recover the clear keys: tokens
are then lost and their owners ask for new ones.
"""

from datetime import timedelta

from django.conf import settings
from django.db import migrations
from django.utils import timezone


def hash_existing_tokens(apps, schema_editor):
    from knox.crypto import hash_token
    from knox.settings import CONSTANTS

    Token = apps.get_model("authtoken", "Token")
    AuthToken = apps.get_model("knox", "AuthToken")
    expiry = timezone.now() + timedelta(seconds=settings.API_TOKEN_TTL_S)
    AuthToken.objects.bulk_create(
        [
            AuthToken(
                digest=hash_token(token.key),
                token_key=token.key[: CONSTANTS.TOKEN_KEY_LENGTH],
                user_id=token.user_id,
                expiry=expiry,
            )
            for token in Token.objects.all()
        ],
        ignore_conflicts=True,
    )
    Token.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("authtoken", "0004_alter_tokenproxy_options"),
        ("knox", "0009_extend_authtoken_field"),
    ]

    operations = [migrations.RunPython(hash_existing_tokens, migrations.RunPython.noop)]
