"""Scale-out and failure with real processes: two daphne servers sharing Redis and PostgreSQL, a real
Celery worker with beat on the real broker, real WebSocket clients.

GIVEN the agent on one daphne process and the consumer on another
WHEN they run a call through the Redis channel layer
THEN everything works as on one process; and when the process holding the agent is SIGKILLed
mid-call, the worker's sweep still ends the call as `dropped` and the consumer is told.
"""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings as django_settings
from django.test import Client as DjangoClient

from calls.models import Call, CallEvent
from settings_profiles.models import AccountCallSettings
from tests.factories import PASSWORD

from .servers import Client, post_json, require_real_services, service_env, start_celery, start_daphne

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"
CLIENT = {"user_agent": CHROME, "webrtc": True, "camera": True, "microphone": True}


@pytest.fixture
def cluster(account):
    """Two daphne processes and a Celery worker+beat, all on the test database and Redis."""
    broker = require_real_services()
    AccountCallSettings.objects.filter(account=account).update(reconnect_grace_s=5, ring_timeout_s=10)
    env = service_env(broker=broker)
    started = []
    try:
        daphne_a, port_a = start_daphne(env, "daphne-a")
        started.append(daphne_a)
        daphne_b, port_b = start_daphne(env, "daphne-b")
        started.append(daphne_b)
        worker = start_celery(env, "celery-worker")
        started.append(worker)
        yield {"a": (daphne_a, port_a), "b": (daphne_b, port_b), "worker": worker}
    finally:
        for process in started:
            process.stop()


def agent_cookie(agent) -> str:
    client = DjangoClient()
    assert client.login(email=agent.email, password=PASSWORD)
    return f"{django_settings.SESSION_COOKIE_NAME}={client.cookies[django_settings.SESSION_COOKIE_NAME].value}"


async def connected_pair(agent, port_agent: int, port_consumer: int):
    cookie = await sync_to_async(agent_cookie)(agent)
    agent_ws, _ = await Client.connect(port_agent, "/ws/agent/", cookie)
    created = await sync_to_async(post_json)(
        f"http://127.0.0.1:{port_consumer}/api/v1/conversations/",
        {"account": agent.account.slug, "channel": "web_messaging"},
    )
    routed = await agent_ws.until("conversation")
    assert routed["conversation"]["agent_id"] == agent.pk  # routed across processes
    consumer_ws, _ = await Client.connect(port_consumer, f"/ws/consumer/?token={created['consumer_token']}")
    return agent_ws, consumer_ws, created["id"]


async def start_call(agent_ws, consumer_ws, conversation_id) -> int:
    await agent_ws.send({"type": "call.invite", "conversation_id": conversation_id, "media": "video"})
    ringing = await consumer_ws.until("call.state", state="ringing")
    call_id = ringing["call"]["id"]
    await consumer_ws.send({"type": "call.accept", "call_id": call_id, "client": CLIENT})
    await agent_ws.until("call.state", state="connecting")
    await consumer_ws.until("call.state", state="connecting")
    return call_id


async def test_full_call_across_two_daphne_processes(agent, cluster):
    agent_ws, consumer_ws, conversation_id = await connected_pair(agent, cluster["a"][1], cluster["b"][1])
    call_id = await start_call(agent_ws, consumer_ws, conversation_id)

    sdp = {"type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}
    await agent_ws.send({"type": "call.signal", "call_id": call_id, "signal": {"sdp": sdp}})
    candidates = [f"candidate:{n} 1 udp 2122260223 192.0.2.1 {40000 + n} typ host" for n in range(20)]
    for candidate in candidates:
        await agent_ws.send(
            {
                "type": "call.signal",
                "call_id": call_id,
                "signal": {"candidate": {"candidate": candidate, "sdpMid": "0", "sdpMLineIndex": 0}},
            }
        )
    assert (await consumer_ws.until("call.signal"))["signal"] == {"sdp": sdp}
    received = [(await consumer_ws.until("call.signal"))["signal"]["candidate"]["candidate"] for _ in candidates]
    assert received == candidates  # every one, in order, across processes
    await consumer_ws.send(
        {"type": "call.signal", "call_id": call_id, "signal": {"sdp": {"type": "answer", "sdp": "v=0\r\n"}}}
    )
    assert (await agent_ws.until("call.signal"))["from"] == "consumer"

    await agent_ws.send({"type": "call.connected", "call_id": call_id})
    await consumer_ws.until("call.state", state="active")
    await consumer_ws.send({"type": "call.media", "call_id": call_id, "audio": False, "video": True, "camera": None})
    assert (await agent_ws.until("call.media"))["audio"] is False
    await agent_ws.send({"type": "call.hangup", "call_id": call_id})
    assert (await consumer_ws.until("call.state", state="completed"))["call"]["reason"] == "agent_hangup"
    await agent_ws.close()
    await consumer_ws.close()
    call = await sync_to_async(Call.objects.get)(pk=call_id)
    assert call.state == "completed"
    # Session data never reaches a log: not the SDP, not a candidate, not the consumer's token.
    token = consumer_ws.ws.request.path.split("token=", 1)[1]
    for process in (cluster["a"][0], cluster["b"][0], cluster["worker"]):
        output = process.output()
        assert "WSCONNECT" in output or process is cluster["worker"]
        for needle in ("o=- 1 2 IN IP4", "typ host", "192.0.2.1", token):
            assert needle not in output, (process.name, needle)


async def test_killed_process_still_ends_the_call_as_dropped(agent, cluster):
    daphne_a, port_a = cluster["a"]
    agent_ws, consumer_ws, conversation_id = await connected_pair(agent, port_a, cluster["b"][1])
    call_id = await start_call(agent_ws, consumer_ws, conversation_id)
    await consumer_ws.send({"type": "call.connected", "call_id": call_id})
    await consumer_ws.until("call.state", state="active")

    daphne_a.kill()  # the agent's process dies: no disconnect handler, no clean-up

    dropped = await consumer_ws.until("call.state", state="dropped", timeout=30)
    assert dropped["call"]["reason"] == "agent_gone"
    await consumer_ws.close()
    events = await sync_to_async(list)(
        CallEvent.objects.filter(call_id=call_id, kind="state").values_list("state", "actor")
    )
    assert events[-1] == ("dropped", "system")


async def test_unanswered_invitation_expires_through_the_worker(agent, cluster):
    agent_ws, consumer_ws, conversation_id = await connected_pair(agent, cluster["a"][1], cluster["b"][1])
    await agent_ws.send({"type": "call.invite", "conversation_id": conversation_id, "media": "voice"})
    await consumer_ws.until("call.state", state="ringing")
    expired = await agent_ws.until("call.state", state="expired", timeout=30)  # ring timeout is 10 s
    assert expired["call"]["reason"] == "no_answer"
    await agent_ws.close()
    await consumer_ws.close()
