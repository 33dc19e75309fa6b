"""The rollups for real: a Celery worker (with beat) on the real Redis broker and PostgreSQL.

Skipped locally without PostgreSQL, Redis and a broker; failing in CI (REQUIRE_SERVICES=1).
"""

from __future__ import annotations

import random
import time
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from calls import services as call_services
from calls.models import Call, Conversation
from reporting.models import CallDiagnosis, SessionRollup
from reporting.testing import cut_at, plan_call, write_calls
from tests.test_reporting import expected_rows, snapshot, stored_rows

from .servers import require_real_services, service_env, start_celery

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"


@pytest.fixture
def worker(settings):
    """A real worker with embedded beat (the reporting sweep every second), and this process
    sending its tasks to the same broker instead of running them inline."""
    broker = own_broker(require_real_services())
    from consoleproj.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = False
    saved = app.conf.broker_url, app.conf.task_always_eager
    app.conf.broker_url, app.conf.task_always_eager = broker, False
    fresh_connections(app)
    app.control.purge()  # messages a killed worker of an earlier run left behind
    env = {**service_env(broker=broker), "ROLLUP_SWEEP_INTERVAL_S": "1", "ROLLUP_SWEEP_WINDOW_S": "3600"}
    process = start_celery(env, "celery-reporting")
    process.env = env  # for a second worker of the same kind
    try:
        yield process
    finally:
        process.stop()
        app.conf.broker_url, app.conf.task_always_eager = saved
        fresh_connections(app)


def own_broker(broker: str) -> str:
    """The same Redis with another database number: this test's beat and tasks never queue behind
    (or in front of) the messages of the other integration tests' workers."""
    parts = urlsplit(broker)
    number = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(number + 7) % 16}"))


def fresh_connections(app) -> None:
    """Celery keeps its broker connections and producers in pools made from the broker URL of the
    time; drop them so the next message goes to the broker configured now."""
    app._pool = None  # kombu's registry hands out the pool of the broker configured now
    app.amqp._producer_pool = None


def wait_until(check, *, timeout: float = 60, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def test_calls_ending_are_rolled_up_by_the_worker(account, agent, worker):
    """
    GIVEN a real worker on the Redis broker and PostgreSQL
    WHEN calls end through the state machine (rejected; accepted, connected, sampled and hung up)
    THEN the end-of-call tasks (after commit, through the broker) leave exactly the rows that an
         independent computation expects, and the worker's log shows the rollup task ran
    """
    rejected_in = Conversation.objects.create(account=account, agent=agent, state="open")
    talked_in = Conversation.objects.create(account=account, agent=agent, state="open")

    first = call_services.call_invite(agent=agent, conversation_id=rejected_in.pk, media="voice")
    call_services.call_reject(conversation_id=rejected_in.pk, call_id=first.pk)

    second = call_services.call_invite(agent=agent, conversation_id=talked_in.pk, media="video")
    client = call_services.ClientInfo(user_agent=CHROME, webrtc=True, camera=True, microphone=True)
    call_services.call_accept(conversation_id=talked_in.pk, call_id=second.pk, client=client)
    call_services.call_connected(call_id=second.pk, party="agent", agent=agent)
    call_services.call_connected(call_id=second.pk, party="consumer", conversation_id=talked_in.pk)
    for rtt in (40, 60):
        call_services.call_stats_sample(
            call_id=second.pk, party="agent", agent=agent, stats={"rtt_ms": rtt, "packet_loss_pct": 0.5}
        )
    call_services.call_hangup(call_id=second.pk, party="agent", agent=agent)

    def rolled_up() -> bool:
        rows = SessionRollup.objects.filter(account=account, interval="day")
        return sum(r.sessions for r in rows) == 2 and sum(r.completed for r in rows) == 1

    wait_until(rolled_up, what="the end-of-call rollups")
    assert stored_rows(account) == expected_rows(account)
    day_video = SessionRollup.objects.get(account=account, interval="day", media="video")
    assert (day_video.participants, day_video.rtt_samples, day_video.rtt_us_sum) == (2, 2, 100_000)
    assert "reporting.tasks.rollup_call_buckets_task" in worker.output()


def test_the_beat_sweep_repairs_calls_whose_trigger_was_lost(account, agent, worker):
    """
    GIVEN calls written straight to the database (no end-of-call trigger ever sent), some still live
    WHEN the worker's beat runs the reporting sweep
    THEN their buckets appear, equal to the independent computation
    """
    import random

    now = timezone.now()
    rng = random.Random(3)
    planned = [
        cut_at(
            plan_call(
                rng, media=rng.choice(["voice", "video"]), agent_id=agent.pk, created_at=now - timedelta(minutes=m)
            ),
            now,
        )
        for m in (1, 3, 7, 12, 20, 33, 45)
    ]
    write_calls(account=account, calls=planned)

    # The sweep first diagnoses the ended calls it finds without a verdict (issue 18), then rolls
    # them up; the independent computation counts verdicts from those stored diagnoses.
    wait_until(lambda: stored_rows(account) == expected_rows(account), what="the beat sweep")
    assert "reporting.tasks.rollup_sweep_task" in worker.output()
    ended = Call.objects.filter(account=account).exclude(state__in=Call.LIVE_STATES)
    assert CallDiagnosis.objects.filter(call__in=ended).count() == ended.count() > 0
    assert Call.objects.filter(account=account).count() == 7


def _rollup_waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0] > 0


def test_a_worker_killed_mid_rollup_writes_nothing_and_the_next_one_repairs(account, agent, worker):
    """
    GIVEN calls whose buckets the beat sweep will roll up, and the rollup table locked by this test
          so the worker's rollup stops inside its transaction, at its first write
    WHEN the worker is SIGKILLed there
    THEN nothing of its run is in the table, and a new worker's sweep leaves exactly the expected
         rows (and running again changes nothing)
    """
    now = timezone.now()
    rng = random.Random(11)
    planned = [
        cut_at(
            plan_call(
                rng, media=rng.choice(["voice", "video"]), agent_id=agent.pk, created_at=now - timedelta(minutes=m)
            ),
            now,
        )
        for m in (2, 5, 9, 14, 27, 41)
    ]
    write_calls(account=account, calls=planned)

    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"] or "postgres", dbname=db["NAME"]
    ) as locker:
        locker.execute(f"LOCK TABLE {SessionRollup._meta.db_table} IN EXCLUSIVE MODE")
        wait_until(_rollup_waiting_on_a_lock, what="the worker's rollup to wait at its first write")
        worker.kill()
        locker.rollback()
    assert stored_rows(account) == {}, "a killed run left rows behind"

    second = start_celery(worker.env, "celery-reporting-second")
    try:
        wait_until(lambda: stored_rows(account) == expected_rows(account), what="the next worker's sweep")
        before = snapshot()
        time.sleep(2.5)  # two more sweeps over the same calls
        assert snapshot() == before
    finally:
        second.stop()
