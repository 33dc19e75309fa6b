"""The consumer token: a signed, expiring reference to one conversation (django.core.signing).

A token may also name the consumer's device (`d`): the phone a call moved to with "Continue on my
phone" gets a token of its own naming that handoff, so the server tells its sockets from those of the
computer the call left (calls/services/handoffs.py). Tokens without `d` are device 0, the one that
accepted the call.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing

SALT = "calls.consumer-token.v1"


def consumer_token_for(*, conversation_id: int, account_id: int, device: int = 0) -> str:
    claims = {"c": conversation_id, "a": account_id, **({"d": device} if device else {})}
    return signing.dumps(claims, salt=SALT, compress=False)


def read_consumer_token(token: str) -> tuple[int, int, int] | None:
    """(conversation_id, account_id, device), or None for a forged, malformed or expired token."""
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.CONSUMER_TOKEN_MAX_AGE_S)
    except signing.BadSignature:  # SignatureExpired is a subclass
        return None
    if not isinstance(data, dict) or not isinstance(data.get("c"), int) or not isinstance(data.get("a"), int):
        return None
    device = data.get("d", 0)
    if not isinstance(device, int) or isinstance(device, bool) or device < 0:
        return None
    return data["c"], data["a"], device


def conversation_id_from_token(token: str) -> tuple[int, int] | None:
    """(conversation_id, account_id), or None for a forged, malformed or expired token."""
    found = read_consumer_token(token)
    return None if found is None else found[:2]


def token_account_id(token: str) -> int | None:
    """The account a genuine token names, even an expired one (the socket's Origin check uses it;
    the socket itself refuses expired tokens)."""
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    return data.get("a") if isinstance(data, dict) and isinstance(data.get("a"), int) else None
