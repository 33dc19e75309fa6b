"""The one place that hides the secrets an account brings: encrypted at rest, masked when shown.

Two secrets live in an account's call settings: the TURN REST shared secret and the credentials of
static TURN servers in `ice_servers`. Both are

- encrypted in the database (Fernet: AES-128-CBC + HMAC-SHA256) with a key derived from SECRET_KEY;
  SECRET_KEY_FALLBACKS keep decrypting during a key rotation, and `manage.py reencrypt_secrets`
  re-encrypts every row with the current key so the old one can be dropped;
- shown as `MASK` wherever staff or admins see settings (admin form, API, audit trail, console),
  and a submitted `MASK` means "keep what is stored" (`unmask_ice_servers`, `is_mask`).

Only the frames of a call (and the console's ICE check, a test call from the admin's browser) carry
them in clear, built at send time by `settings_profiles.ice`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ValidationError

MASK = "••••••"
PREFIX = "fernet:"
# Settings fields that are a secret as a whole, and the JSON field whose entries hold credentials.
SECRET_FIELDS = frozenset({"turn_rest_shared_secret"})
CREDENTIAL_FIELDS = frozenset({"ice_servers"})

logger = logging.getLogger(__name__)


# --- At rest ------------------------------------------------------------------------------------


def _fernet_for(secret_key: str) -> Fernet:
    # The label keeps the historical name: values written before this module existed stay readable.
    digest = hashlib.sha256(f"settings_profiles.EncryptedTextField:{secret_key}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _cipher() -> MultiFernet:
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_fernet_for(key) for key in keys])


def encrypt(value: str) -> str:
    """`fernet:` + a token made with the current SECRET_KEY."""
    return PREFIX + _cipher().encrypt(value.encode()).decode()


def decrypt(stored: str) -> str:
    """The plain value of `encrypt`'s output, with the current key or a fallback; plain text passes."""
    if not stored.startswith(PREFIX):
        return stored  # written before encryption: encrypted on its next save
    try:
        return _cipher().decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken:
        # Only what needs the secret degrades (no TURN credentials reach the calls); every page and
        # call keeps working, and support can enter the secret again.
        logger.error(
            "An encrypted setting cannot be decrypted: SECRET_KEY changed without the old key in "
            "SECRET_KEY_FALLBACKS. Put the old key there, or enter the secret again."
        )
        return ""


def can_decrypt(stored: str) -> bool:
    """Whether a stored value reads back with the current key or a fallback (plain text always does)."""
    if not is_encrypted(stored):
        return True
    try:
        _cipher().decrypt(stored[len(PREFIX) :].encode())
    except InvalidToken:
        return False
    return True


def stored_ciphertexts(*, ice_servers: object, secret: object) -> list[str]:
    """Every encrypted value of one settings row as the column holds it."""
    values = [secret] if isinstance(secret, str) and is_encrypted(secret) else []
    for server in ice_servers if isinstance(ice_servers, list) else []:
        credential = server.get("credential") if isinstance(server, dict) else None
        if isinstance(credential, str) and is_encrypted(credential):
            values.append(credential)
    return values


def is_encrypted(stored: object) -> bool:
    return isinstance(stored, str) and stored.startswith(PREFIX)


def encrypt_ice_credentials(servers: object) -> object:
    """The servers as stored: every non-empty `credential` encrypted, the rest as it is."""
    if not isinstance(servers, list):
        return servers
    return [
        {**s, "credential": encrypt(s["credential"])}
        if isinstance(s, dict) and isinstance(s.get("credential"), str) and s["credential"]
        else s
        for s in servers
    ]


def decrypt_ice_credentials(servers: object) -> object:
    """The stored servers with their credentials in clear (as `settings_profiles.ice` needs them)."""
    if not isinstance(servers, list):
        return servers
    return [
        {**s, "credential": decrypt(s["credential"])}
        if isinstance(s, dict) and is_encrypted(s.get("credential"))
        else s
        for s in servers
    ]


# --- Shown masked ---------------------------------------------------------------------------------


def is_mask(value: object) -> bool:
    """Whether a submitted value is the mask, i.e. "keep the stored secret"."""
    return value == MASK


def mask_secret(value: object) -> str:
    """A whole secret as shown: the mask when one is set, empty otherwise."""
    return MASK if value else ""


def mask_ice_servers(servers: object) -> object:
    """The ICE servers as shown to anyone: every credential replaced by the mask."""
    if not isinstance(servers, list):
        return servers
    return [{**s, "credential": MASK} if isinstance(s, dict) and s.get("credential") else s for s in servers]


def _server_key(server: dict) -> tuple[tuple[str, ...], str]:
    """Servers are matched by their URLs (one string or a list) and username."""
    urls = server.get("urls")
    urls_key = (urls,) if isinstance(urls, str) else tuple(u for u in urls or [] if isinstance(u, str))
    return urls_key, str(server.get("username") or "")


def unmask_ice_servers(submitted: object, *, stored: object) -> object:
    """Put back the stored credential wherever the mask was submitted for the same urls and username.

    Raises ValidationError naming the servers whose urls or username changed: their hidden
    credential cannot be kept, the client must send the credential itself.
    """
    if not isinstance(submitted, list):
        return submitted  # the model's validation reports the shape
    known = {
        _server_key(s): s["credential"]
        for s in (stored if isinstance(stored, list) else [])
        if isinstance(s, dict) and s.get("credential")
    }
    restored, unknown = [], []
    for position, server in enumerate(submitted, start=1):
        if isinstance(server, dict) and is_mask(server.get("credential")):
            credential = known.get(_server_key(server))
            if credential is None:
                unknown.append(position)
                continue
            server = {**server, "credential": credential}
        restored.append(server)
    if unknown:
        raise ValidationError(
            "server %(servers)s: the urls or username changed, so the hidden credential cannot be kept; "
            "type the credential again.",
            params={"servers": ", ".join(map(str, unknown))},
        )
    return restored


def audit_repr(field: str, value: object) -> str:
    """How a settings value is written into the audit trail: secrets masked, JSON canonical."""
    if field in SECRET_FIELDS:
        return mask_secret(value)
    if field in CREDENTIAL_FIELDS:
        value = mask_ice_servers(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return str(value)
