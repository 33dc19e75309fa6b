"""Video calls between the agent workspace and a consumer, in two Chromium contexts, once peer to peer
and once forced through a real coturn (TURN REST credentials minted by the project): media flows both
ways, the selected ICE candidate pair is what the account's settings ask for, and the time from
accept to ICE connected is measured from the database (answered_at → started_at).

`bench/call_setup.py` runs this module with CALL_SETUP_ROUNDS > 1 and records the figures.
"""

from __future__ import annotations

import json
import os
import statistics
import time

import pytest

from accounts.models import Account, User
from calls.models import Call
from settings_profiles.models import AccountCallSettings
from tests.e2e.test_workspace_page import (
    CALL_TIMEOUT_MS,
    FRAMES_DECODED_JS,
    Consumer,
    open_workspace,
    row,
    transcript,
    wait_until,
)
from tests.factories import AccountFactory, UserFactory

pytestmark = pytest.mark.e2e

ROUNDS = int(os.environ.get("CALL_SETUP_ROUNDS", "1"))

# The candidate types of the pair ICE selected, read from the side's own getStats().
SELECTED_PAIR_JS = """
async (hook) => {
  const pc = window[hook]?.session?.pc;
  if (!pc) return null;
  const stats = await pc.getStats();
  let pairId = null;
  stats.forEach((s) => { if (s.type === "transport" && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId; });
  const pair = pairId ? stats.get(pairId) : null;
  if (!pair) return null;
  return {
    local: stats.get(pair.localCandidateId)?.candidateType ?? null,
    remote: stats.get(pair.remoteCandidateId)?.candidateType ?? null,
    state: pair.state,
  };
}
"""


def selected_pair(target, hook: str, timeout_s: float = 5.0) -> dict | None:
    """The side's selected candidate pair once ICE confirmed it (`succeeded`). A pair can be selected
    (nominated by the other side's check) a moment before this side's own check of it succeeds, so
    read again, for a bounded time, until it is; the last reading is returned either way."""
    deadline = time.monotonic() + timeout_s
    while True:
        pair = target.evaluate(SELECTED_PAIR_JS, hook)
        if (pair and pair["state"] == "succeeded") or time.monotonic() > deadline:
            return pair
        time.sleep(0.05)


@pytest.fixture
def account(transactional_db) -> Account:
    return AccountFactory(slug="acme", name="Acme Telecom")


@pytest.fixture
def agent(account) -> User:
    return UserFactory(account=account, email="rita@acme.example", name="Rita Relay")


def _configure(account: Account, path: str, turn) -> None:
    call_settings = AccountCallSettings.objects.get(account=account)
    if path == "relay":
        call_settings.force_relay = True
        call_settings.turn_rest_urls = [turn.url]
        call_settings.turn_rest_shared_secret = turn.secret
        call_settings.turn_rest_ttl_s = 600
        call_settings.full_clean()
    call_settings.save()


@pytest.mark.parametrize("path", ["p2p", "relay"])
def test_video_call_connects_on_the_configured_path(path, tabs, coturn, account, agent, artifacts_dir):
    """
    GIVEN an account that lets ICE pick any path (p2p), or that forces relay through our coturn
    WHEN the agent starts a video call from the workspace and the consumer accepts
    THEN both sides decode the other's video, the selected candidate pair is host-to-host (p2p) or
         relay-to-relay on both sides (relay), mute reaches the other side, and when the consumer
         hangs up both transcripts say how long the call lasted
    """
    _configure(account, path, coturn)
    expected = "relay" if path == "relay" else "host"
    agent_tab, consumer_tab = tabs(), tabs()
    open_workspace(agent_tab, agent)
    page = agent_tab.page
    consumer = Consumer.start(consumer_tab, account, "Pat Relay")
    row(agent_tab, consumer.conversation_id).locator(".ws-conv-item").click()

    setup_ms = []
    for round_no in range(ROUNDS):
        page.locator("#ws-call-video").click()
        call_id = consumer.ringing_call_id()
        consumer.accept(call_id)
        page.wait_for_selector("#ws-call[data-call-state='active']", timeout=CALL_TIMEOUT_MS)
        wait_until(lambda: page.evaluate(FRAMES_DECODED_JS, "__workspace") > 0, "the agent to decode video")
        wait_until(lambda: consumer.frames_decoded() > 0, "the consumer to decode video")
        for side, tab, hook in (("agent", agent_tab, "__workspace"), ("consumer", consumer_tab, "__consumer")):
            pair = selected_pair(tab.page, hook)
            assert pair == {"local": expected, "remote": expected, "state": "succeeded"}, (side, pair)
        call = Call.objects.get(pk=call_id)
        setup_ms.append((call.started_at - call.answered_at).total_seconds() * 1000)

        last = round_no == ROUNDS - 1
        if not last:
            page.locator("#ws-hangup").click()
            page.locator("#ws-ended-title").filter(has_text="Call ended").wait_for()
            consumer.wait_for(f"f.type === 'call.state' && f.call.id === {call_id} && f.call.state === 'completed'")
            page.locator("#ws-ended-dismiss").click()

    # The last call: the consumer mutes (the agent reads it), then hangs up.
    consumer_tab.page.evaluate("() => window.__consumer.session.setMuted(true)")
    page.locator("#ws-consumer-media").get_by_text("Consumer muted").wait_for()
    agent_tab.screenshot(f"workspace-call-{path}")
    consumer_tab.page.evaluate("() => window.__consumer.session.hangup()")
    page.locator("#ws-ended-title").filter(has_text="Call ended").wait_for()
    ended = Call.objects.get(pk=call_id)
    assert (ended.state, ended.end_reason) == ("completed", "consumer_hangup")
    transcript(agent_tab).locator(".ws-msg-system").get_by_text("ended after").nth(ROUNDS - 1).wait_for()
    consumer.wait_for("f.type === 'message' && f.message.kind === 'system' && f.message.text.includes('ended after')")
    agent_tab.assert_no_console_errors(f"{path} call")

    if path == "relay":
        # coturn really carried it: it logged allocations for both sides' minted usernames.
        log = coturn.log.read_text()
        assert f"call{call_id}-agent" in log and f"call{call_id}-consumer" in log

    (artifacts_dir / f"call-setup-{path}.json").write_text(
        json.dumps(
            {
                "path": path,
                "rounds": len(setup_ms),
                "accept_to_connected_ms": [round(ms, 1) for ms in setup_ms],
                "median_ms": round(statistics.median(setup_ms), 1),
            },
            indent=2,
        )
    )
