"""Call setup to the first decoded video frame, in our product and in Chromium's own baseline, on the
same browser, fake devices and coturn, peer to peer and relayed (bench/call_setup_frames.py runs
this module with CALL_SETUP_FRAMES_ROUNDS > 1 and records the figures; alone it runs one round so
the bench does not rot).

Product: the agent's workspace calls the consumer's real messaging window (the demo page's iframe);
the consumer clicks Accept after the invitation rang RING_S. Baseline: two RTCPeerConnections in one
page, each with its own getUserMedia of the product's constraints, the same ICE configuration, the
descriptions and candidates passed directly. Every page carries the same recorder
(bench/call_setup_trace.js): from the click (a page timestamp) to each side's first decoded frame.

Asserted: every measured call decodes video on both sides, on the expected candidate pair, and its
steps come in their causal order. No time is asserted.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from accounts.models import Account, User
from calls.models import Call
from settings_profiles.ice import ice_config_for
from settings_profiles.models import AccountCallSettings
from tests.e2e.test_engagement_window import conversation_of, open_window
from tests.e2e.test_relay_calls import selected_pair
from tests.e2e.test_workspace_page import CALL_TIMEOUT_MS, open_workspace, row
from tests.factories import AccountFactory, UserFactory

from .call_setup_timeline import BASELINE_JS, BASELINE_STOP_JS, call_record, check_order

pytestmark = pytest.mark.e2e

ROUNDS = int(os.environ.get("CALL_SETUP_FRAMES_ROUNDS", "1"))
PATHS = [p for p in os.environ.get("CALL_SETUP_FRAMES_PATHS", "p2p,relay").split(",") if p]
RING_S = float(os.environ.get("CALL_SETUP_FRAMES_RING_S", "2.0"))  # a person reads the invitation first
TRACE_JS = Path(__file__).resolve().parents[2] / "bench" / "call_setup_trace.js"
DECODED_JS = "() => window.__trace.events.filter((e) => e.what === 'video.decoded').length >= %d"


@pytest.fixture
def demo_account(transactional_db) -> Account:
    return AccountFactory(slug="demo", name="Acme Telecom")


@pytest.fixture
def agent(demo_account) -> User:
    return UserFactory(account=demo_account, email="ada@acme.example", name="Ada Agent")


def configure(*, account: Account, path: str, turn) -> AccountCallSettings:
    """The account's ICE settings for the path (run in the server's loop: saving them notifies sockets)."""
    call_settings = AccountCallSettings.objects.get(account=account)
    relay = path == "relay"
    call_settings.force_relay = relay
    call_settings.turn_rest_urls = [turn.url] if relay else []
    call_settings.turn_rest_shared_secret = turn.secret if relay else ""
    call_settings.turn_rest_ttl_s = 600
    call_settings.full_clean()
    call_settings.save()
    return call_settings


def events(target) -> list[dict]:
    return target.evaluate("() => window.__trace.events.slice()")


def product_round(agent_tab, window, account: Account, conversation_id: int, path: str) -> dict:
    page = agent_tab.page
    for target in (page, window.frame):
        target.evaluate("() => window.__trace.reset()")
    page.locator("#ws-call-video").click()
    window.locator("#engage-accept").wait_for(state="visible")
    call_id = Call.objects.filter(conversation_id=conversation_id).order_by("-pk").values_list("pk", flat=True)[0]
    time.sleep(RING_S)
    window.locator("#engage-accept").click()
    for side, target in (("agent", page), ("consumer", window.frame)):
        try:
            target.wait_for_function(DECODED_JS % 1, timeout=CALL_TIMEOUT_MS, polling=50)
        except Exception as exc:
            steps = {
                name: [
                    [round(e["t"]) % 100_000, e["what"], e.get("type"), e.get("sdp"), e.get("state")] for e in events(t)
                ]
                for name, t in (("agent", page), ("consumer", window.frame))
            }
            raise AssertionError(f"{path}: the {side} decoded no video; the steps: {steps}") from exc
    page.wait_for_selector("#ws-call[data-call-state='active']", timeout=CALL_TIMEOUT_MS)
    expected = "relay" if path == "relay" else "host"
    for side, target, hook in (("agent", page, "__workspace"), ("consumer", window.frame, "__engage")):
        pair = selected_pair(target, hook)
        assert pair == {"local": expected, "remote": expected, "state": "succeeded"}, (side, pair)
    call = Call.objects.get(pk=call_id)
    record = call_record(
        kind="product",
        path=path,
        agent=events(page),
        consumer=events(window.frame),
        server={"answered": call.answered_at.timestamp() * 1000, "started": call.started_at.timestamp() * 1000},
    )
    page.locator("#ws-hangup").click()
    page.locator("#ws-ended-title").filter(has_text="Call ended").wait_for()
    page.locator("#ws-ended-dismiss").click()
    window.locator("#engage-call-ended").wait_for()
    window.locator("#engage-call-dismiss").click()
    return record


def baseline_round(tab, account: Account, path: str) -> dict:
    call_settings = AccountCallSettings.objects.get(account=account)
    ice = {
        side: dict(ice_config_for(call_settings=call_settings, participant=f"baseline-{side}"))
        for side in ("agent", "consumer")
    }
    page = tab.page
    page.evaluate(BASELINE_JS, ice)
    page.wait_for_function(DECODED_JS % 2, timeout=CALL_TIMEOUT_MS, polling=50)
    roles = page.evaluate(
        "() => ({agent: window.__baseline.agent.__traceId, consumer: window.__baseline.consumer.__traceId})"
    )
    expected = "relay" if path == "relay" else "host"
    pairs = page.evaluate(BASELINE_STOP_JS)
    assert pairs == {"agent": [expected, expected], "consumer": [expected, expected]}, pairs
    trace = events(page)
    return call_record(
        kind="baseline",
        path=path,
        agent=[e for e in trace if e.get("pc") in (None, roles["agent"])],
        consumer=[e for e in trace if e.get("pc") in (None, roles["consumer"])],
    )


def test_call_setup_to_the_first_decoded_frame(tabs, coturn, demo_account, agent, asgi_server, artifacts_dir):
    """
    GIVEN the agent's workspace, the consumer's messaging window and a baseline page in one Chromium
    WHEN the agent calls, the consumer accepts after the invitation rang, and the baseline page sets
         up the same two-sided call by itself, peer to peer and through coturn, interleaved
    THEN every call decodes video on both sides on the expected path, each side's steps (media,
         offer and answer, ICE, DTLS, first frame) are recorded in order, and the records are written
    """
    trace = TRACE_JS.read_text()
    agent_tab, consumer_tab, baseline_tab = tabs(), tabs(), tabs()
    for tab in (agent_tab, consumer_tab, baseline_tab):
        tab.page.add_init_script(script=trace)
    open_workspace(agent_tab, agent)
    window = open_window(consumer_tab, "/engage/demo/")
    conversation = conversation_of(asgi_server, demo_account)
    assert conversation.agent_id == agent.pk
    row(agent_tab, conversation.pk).locator(".ws-conv-item").click()
    baseline_tab.open("/accounts/login/")  # any page of the site: the baseline imports devices.js from it

    records = []
    for round_no in range(ROUNDS):
        for path in PATHS:
            asgi_server.run(configure, account=demo_account, path=path, turn=coturn)
            runs = [("product", None), ("baseline", None)]
            if round_no % 2:
                runs.reverse()  # neither always goes first
            for kind, _ in runs:
                if kind == "product":
                    record = product_round(agent_tab, window, demo_account, conversation.pk, path)
                else:
                    record = baseline_round(baseline_tab, demo_account, path)
                check_order(record)
                records.append({**record, "round": round_no})
                time.sleep(0.5)  # the previous call's teardown is over before the next one starts

    (artifacts_dir / "call-setup-frames.json").write_text(json.dumps({"ring_s": RING_S, "calls": records}, indent=2))
    for tab in (agent_tab, consumer_tab, baseline_tab):
        tab.assert_no_console_errors("call setup bench")
