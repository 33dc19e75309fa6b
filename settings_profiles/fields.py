"""Model fields that keep an account's secrets encrypted in the column (settings_profiles/secrecy.py).

Python code sees plain values; the column holds `fernet:` + token, so a database dump or a replica
alone does not reveal them. A value stored before encryption (plain text, no prefix) still reads
back, and is encrypted the next time it is saved.
"""

from __future__ import annotations

from django.db import models

from .secrecy import PREFIX, decrypt, decrypt_ice_credentials, encrypt, encrypt_ice_credentials

__all__ = ["PREFIX", "EncryptedTextField", "IceServersField", "decrypt", "encrypt"]  # the migrations use these


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


class IceServersField(models.JSONField):
    """A JSON list of RTCIceServer dicts whose `credential` values are encrypted in the column.

    URLs and usernames stay readable JSON (support can query them); each credential is stored as
    `fernet:...` and decrypted when the row is read.
    """

    def from_db_value(self, value, expression, connection):
        return decrypt_ice_credentials(super().from_db_value(value, expression, connection))

    def get_prep_value(self, value):
        return super().get_prep_value(encrypt_ice_credentials(value))
