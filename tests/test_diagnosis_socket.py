"""The `call.stats` frame's path fields over the real ASGI application: stored when valid, an
`error` frame (bad_request) and nothing written when not; the call's end then stores its verdict."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from calls.models import CallEvent
from reporting.models import CallDiagnosis

from .test_calls_protocol import _turn, accept, online_agent_with_conversation, ring  # noqa: F401 - _turn is a fixture

pytestmark = pytest.mark.django_db(transaction=True)

PATH = {"candidate_type": "relay", "remote_candidate_type": "srflx", "relay_protocol": "tcp", "ice_restarts": 1}


async def test_stats_carry_the_path_and_restarts_and_the_end_stores_the_verdict(agent):
    agent_ws, consumer_ws, conversation_id = await online_agent_with_conversation(agent)
    call_id = await ring(agent_ws, consumer_ws, conversation_id, media="voice")
    await accept(consumer_ws, call_id)
    await consumer_ws.until("call.state", state="connecting")
    await consumer_ws.send({"type": "call.connected", "call_id": call_id})
    await agent_ws.until("call.state", state="active")

    sample = {"rtt_ms": 31, "packet_loss_pct": 0, "bitrate_kbps": 48, **PATH}
    for n in range(3):
        answer = await consumer_ws.request({"type": "call.stats", "call_id": call_id, "stats": sample}, f"s{n}")
        assert answer["type"] == "ok", answer
    for bad in (
        {"relay_protocol": "quic"},
        {"ice_restarts": -1},
        {"remote_candidate_type": "lan"},
        {"address": "192.0.2.9"},
    ):
        answer = await consumer_ws.request({"type": "call.stats", "call_id": call_id, "stats": bad}, "bad")
        assert (answer["type"], answer["code"]) == ("error", "bad_request"), (bad, answer)
    stored = await sync_to_async(list)(
        CallEvent.objects.filter(call_id=call_id, kind="stats").values_list("data", flat=True)
    )
    assert stored == [sample] * 3  # the refused frames wrote nothing

    await consumer_ws.send({"type": "call.hangup", "call_id": call_id})
    await agent_ws.until("call.state", state="completed")
    diagnosis = await sync_to_async(CallDiagnosis.objects.get)(call_id=call_id)
    assert (diagnosis.verdict, diagnosis.path, diagnosis.relay_protocol, diagnosis.ice_restarts) == (
        "good",
        "relay",
        "tcp",
        1,
    )
    assert diagnosis.summary.startswith("good: recovered after 1 ICE restart, relayed over TCP, no loss")
