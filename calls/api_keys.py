"""Account API keys: a brand backend creates conversations server to server with one.

Writes (`api_key_create`, `api_key_revoke`) and the check of a presented key. A key is
`vvck_<prefix>_<secret>`, 32 random bytes of secret: the row keeps the prefix (to find it) and the
SHA-256 of the whole key (a fast hash is enough for a random 256-bit secret; there is nothing to
guess). The plain key exists only in the answer to its creation.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Account, User

from .models import AccountApiKey

KEY_PREFIX = "vvck_"


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_key_create(*, account: Account, name: str, created_by: User | None) -> tuple[AccountApiKey, str]:
    """A new key of `account`; returns the row and the plain key, which is never shown again."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the key a name (what it is for)."})
    prefix = secrets.token_hex(6)
    key = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    row = AccountApiKey.objects.create(
        account=account, name=name[:100], prefix=prefix, key_hash=_digest(key), created_by=created_by
    )
    return row, key


@transaction.atomic
def api_key_revoke(*, api_key: AccountApiKey) -> AccountApiKey:
    """Revoke a key at once; a revoked key stays listed (who made it, when it was last used)."""
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
    return api_key


def api_key_check(key: str) -> AccountApiKey | None:
    """The active key of an active account that `key` is, or None (unknown, malformed, revoked)."""
    if not key.startswith(KEY_PREFIX):
        return None
    prefix, sep, secret = key[len(KEY_PREFIX) :].partition("_")
    if not sep or not secret or len(prefix) != 12:
        return None
    row = (
        AccountApiKey.objects.select_related("account")
        .filter(prefix=prefix, revoked_at__isnull=True, account__active=True)
        .first()
    )
    if row is None or not hmac.compare_digest(row.key_hash, _digest(key)):
        return None
    AccountApiKey.objects.filter(pk=row.pk).update(last_used_at=timezone.now())
    return row
