"""Celery tasks of the call timers: a countdown per deadline and a beat sweep as the safety net."""

from __future__ import annotations

from celery import shared_task

from . import clock, commands, services


@shared_task(ignore_result=True, soft_time_limit=20, time_limit=30)
def call_timer_task(call_id: int) -> None:
    """Fire whatever deadline of this call has passed (nothing if it already ended)."""
    services.call_fire_timers(call_id=call_id)


@shared_task(ignore_result=True, soft_time_limit=50, time_limit=60)
def call_sweep_task() -> int:
    """Fire every passed deadline of every live call (beat, every CALL_SWEEP_INTERVAL_S)."""
    return services.call_sweep()


@shared_task(ignore_result=True, soft_time_limit=20, time_limit=30, expires=30)
def clock_heartbeat_task() -> None:
    """Beat sends this every CLOCK_HEARTBEAT_S: a worker ran a task now (`/healthz` "worker"), and
    the idempotency receipts past their time are forgotten."""
    clock.heartbeat_record(name=clock.WORKER)
    commands.receipts_purge()
