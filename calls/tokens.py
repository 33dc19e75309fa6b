"""The consumer token: a signed, expiring reference to one conversation (django.core.signing)."""

from __future__ import annotations

from django.conf import settings
from django.core import signing

SALT = "calls.consumer-token.v1"


def consumer_token_for(*, conversation_id: int, account_id: int) -> str:
    return signing.dumps({"c": conversation_id, "a": account_id}, salt=SALT, compress=False)


def conversation_id_from_token(token: str) -> tuple[int, int] | None:
    """(conversation_id, account_id), or None for a forged, malformed or expired token."""
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.CONSUMER_TOKEN_MAX_AGE_S)
    except signing.BadSignature:  # SignatureExpired is a subclass
        return None
    if not isinstance(data, dict) or not isinstance(data.get("c"), int) or not isinstance(data.get("a"), int):
        return None
    return data["c"], data["a"]


def token_account_id(token: str) -> int | None:
    """The account a genuine token names, even an expired one (the socket's Origin check uses it;
    the socket itself refuses expired tokens)."""
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    return data.get("a") if isinstance(data, dict) and isinstance(data.get("a"), int) else None
