"""What the calls app tells the rest of the project. Listeners register in their own AppConfig.ready,
so calls never imports them (reporting listens to call endings; calls does not know it)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.db import transaction
from django.dispatch import Signal

if TYPE_CHECKING:
    from .models import Call

logger = logging.getLogger(__name__)

# Sent once per call, with `call` (the ended Call row), after the transaction that moved the call
# to a terminal state commits: a rolled-back ending sends nothing.
call_ended = Signal()


def call_ended_on_commit(call: Call) -> None:
    """Send `call_ended` for `call` when the current transaction commits.

    Every receiver runs even if one fails, and a failure is logged, never raised: a listener that
    breaks (a broker that is down) must never fail or undo the end of a call.
    """

    def send() -> None:
        for receiver, result in call_ended.send_robust(sender=type(call), call=call):
            if isinstance(result, Exception):
                logger.error(
                    "call_ended receiver %s failed for call %s", getattr(receiver, "__qualname__", receiver),
                    call.pk, exc_info=result,
                )  # fmt: skip

    transaction.on_commit(send)
