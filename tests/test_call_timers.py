"""Timers that hold without the process that set them: deadlines live in the Call row and any
sweeper fires them (the in-process one on the embedded default, Celery beat in production)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import OperationalError
from django.utils import timezone

from calls import services
from calls.models import AgentConnection, Call, Conversation
from calls.sockets import presence

from .factories import UserFactory
from .test_calls_protocol import accept, online_agent_with_conversation, ring
from .ws import agent_socket

pytestmark = pytest.mark.django_db(transaction=True)


async def test_embedded_default_expires_calls_in_process(agent, settings):
    """GIVEN eager Celery (no beat) WHEN an invitation's ring deadline passes THEN the daphne
    process's own sweeper expires it and both sides are told."""
    settings.CALL_TIMERS_IN_PROCESS = True
    settings.CALL_SWEEP_INTERVAL_S = 0.1
    agent_ws, consumer_ws, conversation_id = await online_agent_with_conversation(agent)
    try:
        call_id = await ring(agent_ws, consumer_ws, conversation_id)
        await sync_to_async(Call.objects.filter(pk=call_id).update)(ring_deadline=timezone.now())
        expired = await consumer_ws.until("call.state", state="expired", timeout=5)
        assert expired["call"]["id"] == call_id
        await agent_ws.until("call.state", state="expired")
    finally:
        presence._sweepers.pop(id(asyncio.get_running_loop())).cancel()
        await agent_ws.close()
        await consumer_ws.close()


async def test_heartbeats_renew_the_presence_lease(agent, settings):
    settings.CALL_HEARTBEAT_S = 0.1
    agent_ws, consumer_ws, conversation_id = await online_agent_with_conversation(agent)
    call_id = await ring(agent_ws, consumer_ws, conversation_id)
    await accept(consumer_ws, call_id)
    await consumer_ws.until("call.state", state="connecting")
    await agent_ws.until("call.state", state="connecting")
    nearly_gone = timezone.now() + timedelta(seconds=1)
    await sync_to_async(Call.objects.filter(pk=call_id).update)(
        agent_deadline=nearly_gone, consumer_deadline=nearly_gone
    )
    await asyncio.sleep(0.5)
    call = await sync_to_async(Call.objects.get)(pk=call_id)
    assert call.agent_deadline > nearly_gone + timedelta(seconds=call.reconnect_grace_s - 2)
    assert call.consumer_deadline > nearly_gone + timedelta(seconds=call.reconnect_grace_s - 2)
    await agent_ws.close()
    await consumer_ws.close()


async def test_a_failed_heartbeat_does_not_stop_the_next_ones(agent, settings, monkeypatch, caplog):
    """A database blip during one renewal is logged; the following beats still renew the lease."""
    settings.CALL_HEARTBEAT_S = 0.1
    real_renew = services.presence_renew
    failures = []

    def blip_once(**kwargs):
        if not failures:
            failures.append(kwargs)
            raise OperationalError("server closed the connection unexpectedly")  # fault injection
        return real_renew(**kwargs)

    monkeypatch.setattr(services, "presence_renew", blip_once)
    agent_ws, consumer_ws, conversation_id = await online_agent_with_conversation(agent)
    call_id = await ring(agent_ws, consumer_ws, conversation_id)
    await accept(consumer_ws, call_id)
    await consumer_ws.until("call.state", state="connecting")
    nearly_gone = timezone.now() + timedelta(seconds=1)
    await sync_to_async(Call.objects.filter(pk=call_id).update)(
        agent_deadline=nearly_gone, consumer_deadline=nearly_gone
    )
    await asyncio.sleep(0.6)
    call = await sync_to_async(Call.objects.get)(pk=call_id)
    assert failures
    assert call.agent_deadline > nearly_gone and call.consumer_deadline > nearly_gone
    assert "presence heartbeat" in caplog.text
    await agent_ws.close()
    await consumer_ws.close()


async def test_connecting_call_that_never_connects_fails(agent):
    agent_ws, consumer_ws, conversation_id = await online_agent_with_conversation(agent)
    call_id = await ring(agent_ws, consumer_ws, conversation_id)
    await accept(consumer_ws, call_id)
    await consumer_ws.until("call.state", state="connecting")
    call = await sync_to_async(Call.objects.get)(pk=call_id)
    # Both sides stay present (their leases renewed) but ICE never connects.
    await sync_to_async(Call.objects.filter(pk=call_id).update)(
        agent_deadline=call.connect_deadline + timedelta(minutes=1),
        consumer_deadline=call.connect_deadline + timedelta(minutes=1),
    )
    assert await sync_to_async(services.call_sweep)(now=call.connect_deadline + timedelta(seconds=1)) == 1
    failed = await consumer_ws.until("call.state", state="failed")
    assert failed["call"]["reason"] == "connect_timeout"
    assert failed["error"]["text"] == "The call could not connect. Please check your network."
    await agent_ws.close()
    await consumer_ws.close()


@pytest.mark.django_db
def test_sweeping_twice_changes_nothing_more(agent):
    from calls.models import Conversation

    conversation = Conversation.objects.create(account=agent.account, agent=agent, state="open")
    call = services.call_invite(agent=agent, conversation_id=conversation.pk, media="voice")
    later = call.ring_deadline + timedelta(seconds=1)
    assert services.call_sweep(now=later) == 1
    assert services.call_sweep(now=later) == 0
    assert services.call_fire_timers(call_id=call.pk, now=later) is None
    assert Call.objects.get(pk=call.pk).state == "expired"
    assert list(call.events.values_list("state", flat=True)) == ["ringing", "expired"]


def live_calls(agent, count: int, *, state: str, grace: int) -> list[int]:
    """`count` calls of `agent`'s account in `state`, each in its own conversation, leases far gone."""
    long_ago = timezone.now() - timedelta(hours=1)
    ids = []
    for _ in range(count):
        conversation = Conversation.objects.create(account=agent.account, agent=agent, state="open")
        call = Call.objects.create(
            account=agent.account,
            conversation=conversation,
            agent=agent,
            media="video",
            state=state,
            reconnect_grace_s=grace,
            agent_deadline=long_ago,
            consumer_deadline=long_ago,
        )
        ids.append(call.pk)
    return ids


@pytest.mark.parametrize("per_kind", [2, 40])
def test_one_beat_renews_every_lease_of_the_process_in_a_few_statements(agent, per_kind, django_assert_num_queries):
    """GIVEN live calls with two reconnect graces, calls that ended, and agent sockets
    WHEN the process's beat renews them THEN each side's lease is now + the call's own grace, ended
    calls keep theirs, the agents' online leases move on, in as many statements for 40 calls of
    each kind as for 2."""
    short = live_calls(agent, per_kind, state="connecting", grace=20)
    long = live_calls(agent, per_kind, state="active", grace=45)
    ended = live_calls(agent, per_kind, state="completed", grace=20)
    channels = [f"specific.bench!{n}" for n in range(per_kind)]
    stale = timezone.now() - timedelta(minutes=5)
    AgentConnection.objects.bulk_create(
        AgentConnection(channel_name=c, agent=agent, lease_until=stale) for c in channels
    )
    now = timezone.now()
    # Agent side: one read, one UPDATE per grace; consumer side the same; one for the online leases.
    with django_assert_num_queries(7):
        services.presence_renew(
            agent_calls=short + long + ended, consumer_calls=short + long, agent_channels=channels, now=now
        )
    rows = {c.pk: c for c in Call.objects.filter(pk__in=short + long + ended)}
    for pk in short:
        assert rows[pk].agent_deadline == rows[pk].consumer_deadline == now + timedelta(seconds=20)
    for pk in long:
        assert rows[pk].agent_deadline == rows[pk].consumer_deadline == now + timedelta(seconds=45)
    for pk in ended:
        assert rows[pk].agent_deadline < now - timedelta(minutes=30)
    leases = set(AgentConnection.objects.filter(channel_name__in=channels).values_list("lease_until", flat=True))
    assert leases == {now + timedelta(seconds=settings.AGENT_LEASE_S)}


async def test_the_beat_renews_an_agent_sockets_online_lease(agent, settings):
    """GIVEN an open agent socket whose online lease is about to lapse WHEN a third of the lease has
    passed THEN the process's beat has renewed it (the agent stays online for routing)."""
    settings.CALL_HEARTBEAT_S = 0.1
    settings.AGENT_LEASE_S = 0.6
    agent_ws, _ = await agent_socket(agent)
    nearly_gone = timezone.now() + timedelta(seconds=0.1)
    await sync_to_async(AgentConnection.objects.filter(agent=agent).update)(lease_until=nearly_gone)
    await asyncio.sleep(0.5)
    lease = await sync_to_async(AgentConnection.objects.filter(agent=agent).values_list("lease_until", flat=True).get)()
    assert lease > nearly_gone
    await agent_ws.close()
    assert not await sync_to_async(AgentConnection.objects.filter(agent=agent).exists)()


async def test_a_reconnect_renews_its_sides_lease_at_once(agent, settings):
    """GIVEN a connecting call whose agent lease is about to lapse and heartbeats a minute apart
    WHEN the agent reloads the workspace (a new socket whose hello carries the call) THEN the lease
    is renewed at once, not at the next period."""
    settings.CALL_HEARTBEAT_S = 60
    agent_ws, consumer_ws, conversation_id = await online_agent_with_conversation(agent)
    call_id = await ring(agent_ws, consumer_ws, conversation_id)
    await accept(consumer_ws, call_id)
    await agent_ws.until("call.state", state="connecting")
    nearly_gone = timezone.now() + timedelta(seconds=1)
    await sync_to_async(Call.objects.filter(pk=call_id).update)(agent_deadline=nearly_gone)
    reloaded_ws, hello = await agent_socket(agent)
    assert hello["call"]["id"] == call_id and hello["call"]["state"] == "connecting"
    await asyncio.sleep(0.3)
    call = await sync_to_async(Call.objects.get)(pk=call_id)
    assert call.agent_deadline > nearly_gone + timedelta(seconds=call.reconnect_grace_s - 2)
    for socket in (agent_ws, reloaded_ws, consumer_ws):
        await socket.close()


async def test_a_beat_that_stopped_is_replaced_and_renews_every_socket_again(agent, settings):
    """GIVEN a call whose process beat stopped (its task gone) WHEN another socket of the process
    joins THEN the new beat renews the leases of the sockets that were already open too."""
    settings.CALL_HEARTBEAT_S = 0.1
    agent_ws, consumer_ws, conversation_id = await online_agent_with_conversation(agent)
    call_id = await ring(agent_ws, consumer_ws, conversation_id)
    await accept(consumer_ws, call_id)
    await agent_ws.until("call.state", state="connecting")
    beat = presence._beats[asyncio.get_running_loop()]
    beat.task.cancel()
    await asyncio.wait_for(asyncio.gather(beat.task, return_exceptions=True), 5)
    nearly_gone = timezone.now() + timedelta(seconds=1)
    await sync_to_async(Call.objects.filter(pk=call_id).update)(
        agent_deadline=nearly_gone, consumer_deadline=nearly_gone
    )
    colleague = await sync_to_async(UserFactory)(account=agent.account)
    colleague_ws, _ = await asyncio.wait_for(agent_socket(colleague), 5)
    await asyncio.sleep(0.4)
    call = await sync_to_async(Call.objects.get)(pk=call_id)
    assert presence._beats[asyncio.get_running_loop()] is not beat
    assert call.agent_deadline > nearly_gone + timedelta(seconds=call.reconnect_grace_s - 2)
    assert call.consumer_deadline > nearly_gone + timedelta(seconds=call.reconnect_grace_s - 2)
    for socket in (agent_ws, consumer_ws, colleague_ws):
        await socket.close()
