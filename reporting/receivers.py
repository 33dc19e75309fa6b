"""Reporting's listeners: connected by ReportingConfig.ready, so calls sends and never imports us."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from .diagnoses import store_diagnoses
from .tasks import rollup_call_buckets_task

if TYPE_CHECKING:
    from calls.models import Call

logger = logging.getLogger(__name__)


def queue_rollup_of_ended_call(sender: type, *, call: Call, **kwargs: Any) -> None:
    """A call ended (its transaction committed): store its diagnosis, then queue the recompute of
    its buckets (which count it by that verdict).

    A diagnosis that fails is logged and the rollup still queued: the beat's sweep diagnoses the
    ended calls that have none and recomputes their buckets. If the broker is down this raises;
    calls logs it and the call stays ended, and the same sweep repairs the buckets.
    """
    try:
        store_diagnoses([call])
    except Exception:
        logger.exception("diagnosing call %s failed; the sweep will retry", call.pk)
    ended_at = call.ended_at.isoformat() if call.ended_at else None  # measures the rollup lag
    rollup_call_buckets_task.delay(call.account_id, call.created_at.isoformat(), ended_at)
