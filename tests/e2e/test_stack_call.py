"""A video call through the deployed shape: two Chromium contexts on https/wss through nginx (deploy/nginx,
self-signed TLS) to daphne processes on PostgreSQL and Redis, with a real Celery worker and beat.

GIVEN the stack with two daphne processes behind nginx, the second not yet running
WHEN an agent (workspace) and a consumer run a video call, and the daphne process holding both of
     their sockets is SIGKILLed mid-call
THEN media flows both ways; both sockets reconnect through nginx to the other process and the call
     resumes within the reconnect grace (still active, never dropped, video still decoded); /metrics
     shows the call and its sockets and its counters move as the call does; the consumer's token never
     reaches nginx's logs.
"""

from __future__ import annotations

import time

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from calls.models import Call, CallEvent
from settings_profiles.models import AccountCallSettings
from tests.e2e.conftest import CHROME_UA, TIMEOUT_MS, VIEWPORT, Web
from tests.e2e.test_workspace_page import (
    CALL_TIMEOUT_MS,
    FRAMES_DECODED_JS,
    Consumer,
    open_workspace,
    row,
    wait_until,
)
from tests.factories import PASSWORD, AccountFactory, UserFactory
from tests.integration.servers import require_real_services
from tests.integration.stack import metric, running_stack

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

GRACE_S = 10


@pytest.fixture
def account(transactional_db):
    account = AccountFactory(slug="acme", name="Acme Telecom")
    AccountCallSettings.objects.filter(account=account).update(reconnect_grace_s=GRACE_S)
    return account


@pytest.fixture
def agent(account):
    agent = UserFactory(account=account, email="nia@acme.example", name="Nia Nginx")
    # The daphne processes check passwords with the production hashers, not the tests' fast one.
    hasher = PBKDF2PasswordHasher()
    type(agent).objects.filter(pk=agent.pk).update(password=hasher.encode(PASSWORD, hasher.salt()))
    return agent


@pytest.fixture
def stack(tmp_path, account):
    broker = require_real_services()
    with running_stack(tmp_path, daphne=2, start=1, broker=broker) as running:
        yield running


@pytest.fixture
def https_tabs(browser, stack, artifacts_dir):
    """Tabs on the stack's https URL; Chromium accepts its self-signed certificate."""
    screenshots = artifacts_dir / "screenshots"
    screenshots.mkdir(parents=True, exist_ok=True)
    contexts = []

    def open_tab() -> Web:
        context = browser.new_context(viewport=VIEWPORT, locale="en-US", user_agent=CHROME_UA, ignore_https_errors=True)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        web = Web(page=page, base_url=stack.url, screenshots=screenshots)
        page.on("console", lambda m: m.type == "error" and web.errors.append(f"{m.text} ({m.location.get('url')})"))
        page.on("pageerror", lambda error: web.errors.append(f"uncaught: {error}"))
        return web

    yield open_tab
    for context in contexts:
        context.close()


def hellos(consumer: Consumer) -> int:
    return consumer.web.page.evaluate("() => window.__consumer.frames.filter((f) => f.type === 'hello').length")


def test_call_through_nginx_survives_a_killed_daphne(stack, https_tabs, account, agent):
    agent_tab, consumer_tab = https_tabs(), https_tabs()
    open_workspace(agent_tab, agent)
    page = agent_tab.page
    assert page.url.startswith("https://127.0.0.1:")
    consumer = Consumer.start(consumer_tab, account, "Sam Secure")
    row(agent_tab, consumer.conversation_id).locator(".ws-conv-item").click()
    before = stack.metrics()
    assert metric(before, "vvc_ws_sockets_open", role="agent") == 1
    assert metric(before, "vvc_ws_sockets_open", role="consumer") == 1

    page.locator("#ws-call-video").click()
    consumer.accept(consumer.ringing_call_id())
    page.wait_for_selector("#ws-call[data-call-state='active']", timeout=CALL_TIMEOUT_MS)
    wait_until(lambda: page.evaluate(FRAMES_DECODED_JS, "__workspace") > 0, "the agent to decode video over the stack")
    wait_until(lambda: consumer.frames_decoded() > 0, "the consumer to decode video over the stack")
    agent_tab.screenshot("stack-call-video")
    call = Call.objects.get(conversation_id=consumer.conversation_id)

    during = stack.metrics()
    assert metric(during, "vvc_calls", state="active") == 1
    assert metric(during, "vvc_call_transitions_total", from_state="ringing", to_state="connecting") == 1
    assert metric(during, "vvc_call_transitions_total", from_state="connecting", to_state="active") == 1
    assert metric(during, "vvc_ws_frames_in_total", role="agent", type="call.signal") > 0
    assert metric(during, "vvc_ws_frames_out_total", role="consumer", type="call.signal") > 0
    assert metric(during, "vvc_ws_frames_in_total", role="consumer", type="call.accept") == 1

    # Both sockets are on the first process (the second was not running): it dies, the second starts.
    stack.start_daphne(1)
    first = stack.daphnes[stack.daphne_ports[0]]
    hellos_before = hellos(consumer)
    killed_at = time.monotonic()
    first.kill()

    # Both reconnect through nginx to the second process, which sends each a hello with the call.
    # (Whether that was within the grace is what the call's state says once the grace is over.)
    consumer.web.page.wait_for_function(
        f"() => window.__consumer.frames.filter((f) => f.type === 'hello').length > {hellos_before}",
        timeout=CALL_TIMEOUT_MS,
    )
    last_hello = consumer.web.page.evaluate(
        "() => window.__consumer.frames.filter((f) => f.type === 'hello').at(-1).call"
    )
    assert last_hello["id"] == call.pk and last_hello["state"] == "active"
    page.wait_for_function(
        "() => document.getElementById('ws-connection').dataset.state === 'online'", timeout=CALL_TIMEOUT_MS
    )
    second_log = stack.daphnes[stack.daphne_ports[1]].output()
    assert second_log.count("/ws/agent/") >= 1 and second_log.count("/ws/consumer/") >= 1

    # The grace passes (and the worker's sweep runs): the call is still active, never dropped (a side
    # not back within the grace would have dropped it), and video is still decoded on both sides.
    agent_frames = page.evaluate(FRAMES_DECODED_JS, "__workspace")
    consumer_frames = consumer.frames_decoded()
    while time.monotonic() - killed_at < GRACE_S + 3:
        time.sleep(0.5)
    call.refresh_from_db()
    assert call.state == "active"
    assert not CallEvent.objects.filter(call=call, state="dropped").exists()
    wait_until(lambda: page.evaluate(FRAMES_DECODED_JS, "__workspace") > agent_frames, "agent video after the kill")
    wait_until(lambda: consumer.frames_decoded() > consumer_frames, "consumer video after the kill")
    page.wait_for_selector("#ws-call[data-call-state='active']")
    agent_tab.screenshot("stack-call-after-daphne-killed")

    # The killed process's sockets are no longer counted; the two that moved are.
    moved = stack.metrics()
    assert metric(moved, "vvc_ws_sockets_open", role="agent") == 1
    assert metric(moved, "vvc_ws_sockets_open", role="consumer") == 1
    assert metric(moved, "vvc_ws_sockets_opened_total", role="consumer") >= 2

    page.locator("#ws-hangup").click()
    page.locator("#ws-ended-title").filter(has_text="Call ended").wait_for()
    consumer.wait_for("f.type === 'call.state' && f.call.state === 'completed'")
    after = stack.metrics()
    assert metric(after, "vvc_calls", state="active") == 0
    assert metric(after, "vvc_calls", state="completed") == 1
    assert metric(after, "vvc_ws_frames_in_total", role="agent", type="call.hangup") >= 1

    # The consumer's token (in its socket's query string) never reaches nginx's logs.
    token = consumer_tab.page.evaluate("() => window.__consumer.socket.url")
    token = token.split("token=", 1)[1]
    logs = stack.nginx_logs()
    assert "/ws/consumer/" in logs
    assert token not in logs
