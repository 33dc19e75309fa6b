"""Whose microphone or camera failed (issue 15): a device failure reported by the agent's browser reads
as the agent's in the transcript and in both sides' `call.state` error, never as advice to the consumer
about devices that are fine; the consumer's reads as the consumer's."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from .test_calls_protocol import accept, online_agent_with_conversation, ring, transcript

pytestmark = pytest.mark.django_db(transaction=True)

AGENT_DENIED = "The agent's microphone or camera could not be used (access was not allowed in the agent's browser)."
CONSUMER_DENIED = "Access to the microphone or camera was not allowed. Allow them for this site"
AGENT_NO_DEVICES = "No microphone or camera was found on the agent's device."
CONSUMER_NO_DEVICES = "No microphone or camera was found on this device."


@pytest.mark.parametrize(
    ("side", "reason", "words"),
    [
        ("agent", "permission_denied", AGENT_DENIED),
        ("consumer", "permission_denied", CONSUMER_DENIED),
        ("agent", "no_camera", AGENT_NO_DEVICES),
        ("consumer", "no_devices", CONSUMER_NO_DEVICES),
    ],
)
async def test_a_device_failure_says_whose_device_it_was(agent, side, reason, words):
    agent_ws, consumer_ws, conversation_id = await online_agent_with_conversation(agent)
    call_id = await ring(agent_ws, consumer_ws, conversation_id)
    await accept(consumer_ws, call_id)
    await consumer_ws.until("call.state", state="connecting")
    failing = agent_ws if side == "agent" else consumer_ws
    await failing.send({"type": "call.hangup", "call_id": call_id, "reason": reason})
    for ws in (agent_ws, consumer_ws):
        frame = await ws.until("call.state", state="failed")
        assert frame["error"]["code"] == reason
        assert frame["error"]["side"] == side
        assert frame["error"]["text"].startswith(words), frame["error"]
    line = (await sync_to_async(transcript)(conversation_id))[-1]
    assert line.startswith(f"The video call could not start: {words}"), line
    await agent_ws.close()
    await consumer_ws.close()
