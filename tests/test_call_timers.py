"""Timers that hold without the process that set them: deadlines live in the Call row and any
sweeper fires them (the in-process one on the embedded default, Celery beat in production)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.db import OperationalError
from django.utils import timezone

from calls import consumers, services
from calls.models import Call

from .test_calls_protocol import accept, online_agent_with_conversation, ring

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
        consumers._sweepers.pop(id(asyncio.get_running_loop())).cancel()
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
    real_touch = services.call_presence_touch
    failures = []

    def blip_once(**kwargs):
        if not failures:
            failures.append(kwargs)
            raise OperationalError("server closed the connection unexpectedly")  # fault injection
        return real_touch(**kwargs)

    monkeypatch.setattr(services, "call_presence_touch", blip_once)
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
