"""Socket commands applied at most once per idempotency key.

A client that sends a command with a `key` and never hears its answer (the socket dropped, the
process died, Redis restarted) sends it again with the same key. The first time, the command's
writes and a `CommandReceipt` holding its answer commit in one transaction; a resend finds the
receipt and gets the same answer, writing nothing. Across processes this rests on the database
alone: the receipt is inserted before the command runs, so a resend racing the first attempt waits
on the unique index until the first commits (then replays its answer) or rolls back (then runs).

A command refused with an error writes nothing and keeps no receipt: its resend runs again. The
one exception is a refusal that itself writes (an invitation found expired at `call.accept` is ended
as missed): `Refusal` is committed with its receipt and raised after the commit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import CommandReceipt
from .services import CallError

logger = logging.getLogger(__name__)


def refusal(code: str, message: str, detail: str = "") -> dict:
    """The answer of a command refused after writing (committed, then raised as a CallError)."""
    return {"error": {"code": code, "message": message, **({"detail": detail} if detail else {})}}


def _answered(answer: dict) -> dict:
    error = answer.get("error")
    if error is not None:
        raise CallError(error["code"], error["message"], error.get("detail", ""))
    return answer


def command_once(*, principal: str, key: str | None, command: str, run: Callable[[], dict]) -> dict:
    """Run `run` (service calls returning the `ok` result fields, or a `refusal`) in one transaction
    with the receipt of `key`, or replay the answer stored under `key` by the command that used it."""
    if key is None:
        with transaction.atomic():
            answer = run()
        return _answered(answer)
    earlier = CommandReceipt.objects.filter(principal=principal, key=key).first()
    if earlier is None:
        try:
            with transaction.atomic():
                receipt = CommandReceipt.objects.create(principal=principal, key=key, command=command, answer={})
                answer = run()
                receipt.answer = answer
                receipt.save(update_fields=["answer"])
            return _answered(answer)
        except IntegrityError:
            # The same key committed meanwhile (a resend that raced its first attempt): replay it.
            earlier = CommandReceipt.objects.filter(principal=principal, key=key).first()
            if earlier is None:
                raise
    if earlier.command != command:
        raise CallError("bad_request", "This key was already used for another command; use a new key.")
    logger.info("replayed %s %s (a resend)", command, principal)
    return _answered(earlier.answer)


def receipts_purge(*, now=None) -> int:
    """Forget receipts older than COMMAND_RECEIPT_TTL_S (a client resends within minutes, not days)."""
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.COMMAND_RECEIPT_TTL_S)
    deleted, _ = CommandReceipt.objects.filter(created_at__lt=cutoff).delete()
    return deleted
