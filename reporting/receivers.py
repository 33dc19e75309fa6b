"""Reporting's listeners: connected by ReportingConfig.ready, so calls sends and never imports us."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .tasks import rollup_call_buckets_task

if TYPE_CHECKING:
    from calls.models import Call


def queue_rollup_of_ended_call(sender: type, *, call: Call, **kwargs: Any) -> None:
    """A call ended (its transaction committed): queue the recompute of its buckets.

    If the broker is down this raises; calls logs it and the call stays ended, and the beat's sweep
    repairs the buckets the lost task would have written.
    """
    ended_at = call.ended_at.isoformat() if call.ended_at else None  # measures the rollup lag
    rollup_call_buckets_task.delay(call.account_id, call.created_at.isoformat(), ended_at)
