"""A text field stored encrypted (Fernet: AES-128-CBC + HMAC-SHA256), for secrets an account brings.

The key is derived from SECRET_KEY, and SECRET_KEY_FALLBACKS keep decrypting during a key rotation
(Django's own rotation mechanism): a database dump or a replica alone does not reveal the secrets.
Python code sees the plain value; the column holds `fernet:` + token. A value stored before this
field existed (plain text, no prefix) still reads back, and is encrypted the next time it is saved.
"""

from __future__ import annotations

import base64
import hashlib
import logging

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models

PREFIX = "fernet:"

logger = logging.getLogger(__name__)


def _fernet_for(secret_key: str) -> Fernet:
    digest = hashlib.sha256(f"settings_profiles.EncryptedTextField:{secret_key}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _cipher() -> MultiFernet:
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_fernet_for(key) for key in keys])


def encrypt(value: str) -> str:
    return PREFIX + _cipher().encrypt(value.encode()).decode()


def decrypt(stored: str) -> str:
    if not stored.startswith(PREFIX):
        return stored  # written before encryption: re-encrypted on its next save
    try:
        return _cipher().decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken:
        # Only what needs the secret degrades (no TURN REST credentials are minted); every page and
        # call keeps working, and support can enter the secret again.
        logger.error(
            "An encrypted setting cannot be decrypted: SECRET_KEY changed without the old key in "
            "SECRET_KEY_FALLBACKS. Put the old key there, or enter the secret again."
        )
        return ""


class EncryptedTextField(models.TextField):
    """Plain `str` in Python, ciphertext in the column; blank stays blank (nothing to hide)."""

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)
