"""The call diagnosis (reporting/diagnosis.py) on recorded event sequences: every verdict, the
thresholds at their boundaries, the path, ICE restarts and who ended the call. Pure: no database.

Each sequence is what calls.services records (state, connected, media and stats events, read as the
reports read them: kind, actor, state, offset_s since the invitation, data with known keys only).
"""

from __future__ import annotations

import pytest

from reporting.diagnosis import (
    CONNECTION_POOR_SHARE,
    LOSS_POOR_PCT,
    RTT_POOR_MS,
    VIDEO_POOR_KBPS,
    VIDEO_POOR_SHARE,
    CallFacts,
    Verdict,
    diagnose,
)
from reporting.quality_chart import quality_chart


def state(offset: float, name: str, actor: str = "agent", **data) -> dict:
    return {"kind": "state", "actor": actor, "state": name, "offset_s": offset, "data": data}


def stats(actor: str, offset: float, **data) -> dict:
    return {"kind": "stats", "actor": actor, "state": "", "offset_s": offset, "data": data}


def media(actor: str, offset: float, *, video: bool) -> dict:
    return {"kind": "media", "actor": actor, "state": "", "offset_s": offset, "data": {"audio": True, "video": video}}


def connected_call(samples: list[dict], *, end: str = "completed", reason: str = "consumer_hangup", by="consumer"):
    """Invited at 0, accepted at 3, active at 5, ended after the last sample (+5 s)."""
    last = max((s["offset_s"] for s in samples), default=5)
    return [
        state(0, "ringing"),
        state(3, "connecting", "consumer", browser="Chrome 156"),
        {"kind": "connected", "actor": "agent", "state": "", "offset_s": 5, "data": {}},
        state(5, "active"),
        *sorted(samples, key=lambda s: s["offset_s"]),
        state(last + 5, end, by, reason=reason),
    ]


def facts(media_: str = "video", end: str = "completed", reason: str = "consumer_hangup", **extra) -> CallFacts:
    return CallFacts(media=media_, state=end, end_reason=reason, started=True, answered=True, duration_s=60, **extra)


RELAY_UDP = {"candidate_type": "relay", "remote_candidate_type": "relay", "relay_protocol": "udp"}
CLEAN = {"rtt_ms": 40, "packet_loss_pct": 0, "bitrate_kbps": 1800, "frames_per_second": 30}


def both_sides(count: int, **data) -> list[dict]:
    return [
        stats(side, 10 + 5 * n + (1 if side == "consumer" else 0), **data)
        for side in ("agent", "consumer")
        for n in range(count)
    ]


# --- good, and the path ------------------------------------------------------------------------------


def test_good_relayed_over_udp_without_loss():
    result = diagnose(facts(), connected_call(both_sides(6, **CLEAN, **RELAY_UDP)))
    assert result.verdict == Verdict.GOOD
    assert result.summary == "good: relayed over UDP, no loss, 40 ms round trip"
    assert (result.path, result.relay_protocol) == ("relay", "udp")
    assert result.path_text == "relayed: the agent's and the consumer's media through TURN over UDP"
    assert result.sides["consumer"].remote == "relay"
    assert (result.ended_by, result.ended_text) == ("consumer", "The consumer hung up after 1:00 of talk")
    assert result.ice_restarts == 0 and result.findings == []


def test_good_peer_to_peer_names_the_candidates_and_the_worst_loss():
    samples = both_sides(4, candidate_type="host", remote_candidate_type="srflx", rtt_ms=20, packet_loss_pct=0.4)
    result = diagnose(facts("voice", reason="agent_hangup"), connected_call(samples, by="agent"))
    assert result.verdict == Verdict.GOOD
    assert result.summary == "good: peer to peer, at most 0.4% loss, 20 ms round trip"
    assert result.path_text == "peer to peer through NAT (host, srflx candidates)"
    assert result.ended_text == "The agent hung up after 1:00 of talk"


def test_a_path_that_changed_and_an_ice_restart_that_recovered_are_told():
    samples = [
        stats("agent", 10, **CLEAN, candidate_type="host", remote_candidate_type="host"),
        stats("agent", 15, **CLEAN, candidate_type="host", remote_candidate_type="host"),
        stats("agent", 20, **CLEAN, **RELAY_UDP, ice_restarts=1),
        stats("agent", 25, **CLEAN, **RELAY_UDP, ice_restarts=1),
    ]
    result = diagnose(facts(), connected_call(samples))
    assert result.verdict == Verdict.GOOD
    assert result.summary.startswith("good: recovered after 1 ICE restart, relayed over UDP")
    assert result.ice_restarts == 1
    assert "The agent's path changed during the call: host/host → relay/relay." in result.findings


def test_no_sample_at_all_is_not_measured():
    result = diagnose(facts(), connected_call([]))
    assert result.verdict == Verdict.UNMEASURED
    assert result.summary == "not measured: no quality samples in 1:00 of talk"
    assert result.path == "" and result.path_text.startswith("unknown")


# --- poor connection: loss or round trip over the threshold for a share of a side's samples ---------


@pytest.mark.parametrize(
    ("bad_value", "verdict"),
    [(LOSS_POOR_PCT, Verdict.POOR_CONNECTION), (LOSS_POOR_PCT - 0.01, Verdict.GOOD)],
    ids=["5%-is-poor", "4.99%-is-not"],
)
def test_loss_threshold(bad_value, verdict):
    # One sample in four (25%, the share that makes a call poor) from the consumer.
    samples = [stats("consumer", 10 + 5 * n, **CLEAN) for n in range(3)]
    samples.append(stats("consumer", 25, **{**CLEAN, "packet_loss_pct": bad_value}))
    result = diagnose(facts("voice"), connected_call(samples))
    assert result.verdict == verdict
    if verdict == Verdict.POOR_CONNECTION:
        assert result.summary == "poor connection: over 5% of the packets to the consumer were lost for 25% of the call"


def test_share_threshold_below_a_quarter_is_good():
    assert CONNECTION_POOR_SHARE == 0.25
    samples = [stats("consumer", 10 + 5 * n, **CLEAN) for n in range(4)]  # 1 of 5 = 20%
    samples.append(stats("consumer", 30, **{**CLEAN, "packet_loss_pct": 12}))
    assert diagnose(facts("voice"), connected_call(samples)).verdict == Verdict.GOOD


def test_a_long_round_trip_makes_a_poor_connection():
    samples = [stats("agent", 10 + 5 * n, **{**CLEAN, "rtt_ms": RTT_POOR_MS if n < 2 else 399}) for n in range(4)]
    result = diagnose(facts("voice"), connected_call(samples))
    assert result.verdict == Verdict.POOR_CONNECTION
    assert result.summary == "poor connection: the agent's round trip was over 400 ms for 50% of the call"


def test_one_sample_never_judges_a_call():
    samples = [stats("consumer", 10, **{**CLEAN, "packet_loss_pct": 30})]
    assert diagnose(facts("voice"), connected_call(samples)).verdict == Verdict.GOOD


# --- poor video: low received bitrate or frame rate while the other side's camera is on -----------------


def _video_samples(low: int, total: int = 5, side: str = "agent", **low_data) -> list[dict]:
    # A first sample (skipped: no bitrate yet), then `total` judged ones from 15 s (media started at
    # 5 s: the first 10 s are the ramp-up), `low` of them thin.
    samples = [stats(side, 8, rtt_ms=40, packet_loss_pct=0)]
    for n in range(total):
        data = {**CLEAN, **(low_data or {"bitrate_kbps": 250})} if n < low else CLEAN
        samples.append(stats(side, 15 + 5 * n, **data))
    return samples


def test_poor_video_at_forty_percent_of_the_call():
    assert VIDEO_POOR_SHARE == 0.40 and VIDEO_POOR_KBPS == 300
    result = diagnose(facts(), connected_call(_video_samples(2)))
    assert result.verdict == Verdict.POOR_VIDEO
    assert result.summary == "poor video: the agent received under 300 kbit/s for 40% of the call"
    assert diagnose(facts(), connected_call(_video_samples(1))).verdict == Verdict.GOOD


def test_a_low_frame_rate_is_poor_video_and_300_kbits_is_not_low():
    fps = diagnose(facts(), connected_call(_video_samples(3, frames_per_second=8, bitrate_kbps=900)))
    assert fps.verdict == Verdict.POOR_VIDEO
    assert fps.summary == "poor video: the agent's picture ran under 10 frames/s for 60% of the call"
    assert diagnose(facts(), connected_call(_video_samples(5, bitrate_kbps=300))).verdict == Verdict.GOOD


def test_a_camera_that_was_off_or_an_audio_only_answer_is_not_poor_video():
    # The consumer's camera went off at 9 s: what the agent received after is no video at all.
    off = connected_call([media("consumer", 9, video=False), *_video_samples(5)])
    assert diagnose(facts(), off).verdict == Verdict.GOOD
    # Back on at 24 s: the thin samples after it (25, 30, 35 s) count again.
    back = connected_call([media("consumer", 9, video=False), media("consumer", 24, video=True), *_video_samples(5)])
    assert diagnose(facts(), back).verdict == Verdict.POOR_VIDEO
    audio_only = diagnose(facts(consumer_audio_only=True), connected_call(_video_samples(5)))
    assert audio_only.verdict == Verdict.GOOD
    # A voice call's audio bitrate is never "poor video".
    assert diagnose(facts("voice"), connected_call(_video_samples(5))).verdict == Verdict.GOOD


def test_the_first_ten_seconds_of_video_are_its_ramp_up():
    # Thin video only in the seconds after media started (5 s): 8, 10 and 13 s are not judged.
    ramp = [stats("agent", at, **{**CLEAN, "bitrate_kbps": 120}) for at in (8, 10, 13)]
    steady = [stats("agent", 15 + 5 * n, **CLEAN) for n in range(4)]
    assert diagnose(facts(), connected_call(ramp + steady)).verdict == Verdict.GOOD
    # The same thin samples from 15 s on are the verdict.
    late = [stats("agent", 15 + 5 * n, **{**CLEAN, "bitrate_kbps": 120}) for n in range(3)]
    assert (
        diagnose(facts(), connected_call([stats("agent", 8, **CLEAN), *late, *steady[:2]])).verdict
        == Verdict.POOR_VIDEO
    )


def test_a_poor_connection_wins_over_poor_video_and_says_both():
    samples = _video_samples(5, bitrate_kbps=200, packet_loss_pct=9)
    result = diagnose(facts(), connected_call(samples))
    assert result.verdict == Verdict.POOR_CONNECTION
    assert "The video was poor too (low bitrate or frame rate)." in result.findings


# --- dropped -----------------------------------------------------------------------------------------


def test_dropped_after_heavy_loss_before_ice_failed():
    samples = [stats("consumer", 10 + 5 * n, **CLEAN) for n in range(4)]  # 10..25: fine
    samples += [
        stats("consumer", 30 + 5 * n, packet_loss_pct=12, bitrate_kbps=400, ice_restarts=min(n, 2)) for n in range(4)
    ]
    samples += [stats("agent", 12 + 5 * n, **CLEAN) for n in range(6)]
    events = connected_call(samples, end="dropped", reason="ice_failed", by="agent")
    result = diagnose(facts(end="dropped", reason="ice_failed"), events)
    assert result.verdict == Verdict.DROPPED
    assert result.summary == (
        "dropped: the consumer's connection lost over 10% of packets for 20 s before ICE failed (2 restarts tried)"
    )
    assert result.ice_restarts == 2
    assert result.ended_text.startswith("The network path failed and ICE restarts could not bring it back")


def test_dropped_when_nothing_arrived_before_the_side_was_gone():
    samples = [stats("agent", 10 + 5 * n, **CLEAN) for n in range(3)]
    samples += [stats("agent", 25 + 5 * n, rtt_ms=40, bitrate_kbps=0) for n in range(3)]
    events = connected_call(samples, end="dropped", reason="consumer_gone", by="system")
    result = diagnose(facts(end="dropped", reason="consumer_gone"), events)
    assert result.summary == (
        "dropped: nothing reached the agent for 15 s before the consumer's connection was gone for over 20 s"
    )
    assert result.ended_by == "system"


def test_dropped_without_warning_says_the_side_was_gone():
    events = connected_call(both_sides(3, **CLEAN), end="dropped", reason="agent_gone", by="system")
    result = diagnose(facts(end="dropped", reason="agent_gone", reconnect_grace_s=30), events)
    assert result.verdict == Verdict.DROPPED
    assert result.summary == (
        "dropped: the agent's connection was gone for over 30 s (network lost or page closed) and did not come back"
    )


def test_dropped_before_connecting():
    events = [
        state(0, "ringing"),
        state(3, "connecting", "consumer"),
        state(23, "dropped", "system", reason="consumer_gone"),
    ]
    call = CallFacts(media="video", state="dropped", end_reason="consumer_gone", answered=True, duration_s=0)
    result = diagnose(call, events)
    assert result.verdict == Verdict.DROPPED
    assert result.summary == "dropped before connecting: the consumer's connection was gone for over 20 s"


# --- failed and not connected ------------------------------------------------------------------------


def _failed(reason: str, actor: str = "consumer", media_: str = "video", at: float = 8, **extra):
    events = [state(0, "ringing"), state(3, "connecting", "consumer"), state(at, "failed", actor, reason=reason)]
    call = CallFacts(media=media_, state="failed", end_reason=reason, answered=True, duration_s=0, **extra)
    return diagnose(call, events)


@pytest.mark.parametrize(
    ("reason", "media_", "verdict", "summary"),
    [
        (
            "permission_denied",
            "video",
            Verdict.FAILED_DEVICES,
            "failed: the consumer's browser refused the camera or microphone",
        ),
        ("permission_denied", "voice", Verdict.FAILED_DEVICES, "failed: the consumer's browser refused the microphone"),
        ("no_camera", "video", Verdict.FAILED_DEVICES, "failed: the consumer's device has no camera"),
        ("no_devices", "voice", Verdict.FAILED_DEVICES, "failed: the consumer's device has no camera or microphone"),
        (
            "unsupported_browser",
            "video",
            Verdict.FAILED_BROWSER,
            "failed: the consumer's browser (Safari 13) cannot make calls",
        ),
        ("no_webrtc", "voice", Verdict.FAILED_BROWSER, "failed: the consumer's browser (Safari 13) has no WebRTC"),
        ("ice_failed", "video", Verdict.FAILED_NETWORK, "failed: no network path between the agent and the consumer"),
        ("mystery", "video", Verdict.FAILED_NETWORK, "failed: mystery"),
    ],
)
def test_failures_say_what_failed(reason, media_, verdict, summary):
    result = _failed(reason, media_=media_, consumer_browser="Safari 13")
    assert (result.verdict, result.summary) == (verdict, summary)


def test_the_agents_own_devices_are_named_as_the_agents():
    assert (
        _failed("permission_denied", actor="agent").summary
        == "failed: the agent's browser refused the camera or microphone"
    )


def test_a_connect_timeout_says_how_long_it_waited():
    result = _failed("connect_timeout", actor="system", at=48)
    assert (result.verdict, result.summary) == (
        Verdict.FAILED_NETWORK,
        "failed: the media did not connect within 45 s of accepting",
    )


@pytest.mark.parametrize(
    ("end", "reason", "answered", "summary"),
    [
        ("rejected", "rejected", False, "not connected: the consumer declined the invitation"),
        ("expired", "no_answer", False, "not connected: nobody answered within the ring time"),
        ("cancelled", "agent_hangup", False, "not connected: the agent hung up while it rang"),
        ("cancelled", "agent_hangup", True, "not connected: the agent hung up before the call connected"),
        (
            "cancelled",
            "conversation_closed",
            True,
            "not connected: the agent closed the conversation before the call connected",
        ),
    ],
)
def test_calls_that_never_connected(end, reason, answered, summary):
    call = CallFacts(media="voice", state=end, end_reason=reason, answered=answered, duration_s=0)
    result = diagnose(
        call, [state(0, "ringing"), state(9, end, "consumer" if end == "rejected" else "agent", reason=reason)]
    )
    assert (result.verdict, result.summary) == (Verdict.NOT_CONNECTED, summary)


def test_a_live_call_has_no_verdict_yet_but_its_path():
    events = [
        state(0, "ringing"),
        state(3, "connecting", "consumer"),
        state(5, "active"),
        stats("agent", 10, **CLEAN, **RELAY_UDP),
    ]
    result = diagnose(CallFacts(media="video", state="active", started=True, answered=True), events)
    assert result.verdict is None and result.summary == "in progress"
    assert result.path == "relay" and result.ended_text == "still in progress"


def test_every_verdict_has_a_test_above():
    covered = {
        Verdict.GOOD, Verdict.POOR_CONNECTION, Verdict.POOR_VIDEO, Verdict.DROPPED, Verdict.FAILED_DEVICES,
        Verdict.FAILED_BROWSER, Verdict.FAILED_NETWORK, Verdict.NOT_CONNECTED, Verdict.UNMEASURED,
    }  # fmt: skip
    assert covered == set(Verdict)


# --- the chart's geometry ----------------------------------------------------------------------------


def test_the_chart_draws_a_line_per_side_breaks_at_gaps_and_marks_restarts():
    samples = [
        {"offset_s": 10, "actor": "agent", "rtt_ms": 40, "packet_loss_pct": 0, "bitrate_kbps": 1200},
        {"offset_s": 15, "actor": "agent", "rtt_ms": None, "packet_loss_pct": 1, "bitrate_kbps": 1300},
        {"offset_s": 20, "actor": "agent", "rtt_ms": 60, "packet_loss_pct": 0, "bitrate_kbps": 1250, "ice_restarts": 1},
        {"offset_s": 25, "actor": "agent", "rtt_ms": 80, "packet_loss_pct": 0, "bitrate_kbps": 1250, "ice_restarts": 1},
        {"offset_s": 12, "actor": "consumer", "rtt_ms": 45, "packet_loss_pct": 0, "bitrate_kbps": 1100},
    ]
    chart = quality_chart(samples, media="video", start_s=5, end_s=30)
    assert [p["key"] for p in chart["panels"]] == ["rtt_ms", "packet_loss_pct", "bitrate_kbps", "frames_per_second"]
    rtt = chart["panels"][0]
    agent = next(line for line in rtt["lines"] if line["side"] == "agent")
    assert len(agent["polylines"]) == 1 and agent["dots"]  # 10 alone (a gap at 15), then 20-25
    consumer = next(line for line in rtt["lines"] if line["side"] == "consumer")
    assert consumer["polylines"] == [] and len(consumer["dots"]) == 1
    assert rtt["max_label"] == "100" and rtt["threshold"] is None  # 400 ms is off a 100 ms scale
    assert chart["panels"][1]["threshold"] is None and chart["panels"][2]["threshold"]["label"] == "300 kbit/s"
    assert chart["panels"][3]["empty"]
    assert [m["count"] for m in chart["restarts"]] == [1]
    assert chart["ticks"][0]["label"] == "0:05" and chart["ticks"][-1]["label"] == "0:30"
    voice = quality_chart(samples, media="voice")
    assert [p["key"] for p in voice["panels"]] == ["rtt_ms", "packet_loss_pct", "bitrate_kbps"]
