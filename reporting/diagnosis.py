"""A call's diagnosis from its recorded events: the path, quality over time, ICE restarts, who
ended it and why, and a verdict in plain words.

Pure: no database, no clock. `diagnose(call, events)` takes the call's facts and its events as the
reports read them (reporting.call_queries: kind, actor, state, offset_s, data with known keys only)
and returns the same answer for the same input, so the verdict stored at the end of a call, the one
a backfill computes and the one the call detail shows agree. The thresholds are docs/metrics.md's
("Call diagnosis"); the consumer's live indicator (static/calls/quality.js) uses the same ones.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.db import models

from .diagnosis_facts import (
    ENDINGS,
    LIVE_STATES,
    PROTOCOL_WORDS,
    SIDES,
    CallFacts,
    SidePath,
    clock,
    describe_path,
    ended_words,
    ice_restarts,
    side_path,
    terminal,
    value,
)

# A quality sample (one side's getStats every SAMPLE_S seconds; its loss and bitrate are over the
# seconds since that side's previous sample) is poor when it crosses one of these.
SAMPLE_S = 5
LOSS_POOR_PCT = 5.0
LOSS_DROP_PCT = 10.0  # "lost over 10% of packets" in the story of a dropped call
RTT_POOR_MS = 400.0
VIDEO_POOR_KBPS = 300.0
VIDEO_POOR_FPS = 10.0
VIDEO_RAMP_S = 10  # the video's bandwidth estimate ramps up after media starts: not judged
# Share of a side's samples that makes the whole call poor.
CONNECTION_POOR_SHARE = 0.25
VIDEO_POOR_SHARE = 0.40
MIN_SAMPLES = 2  # a single sample (the first seconds) never judges a call


class Verdict(models.TextChoices):
    """How a call went, in one word: the reports count calls by these (a small, fixed set)."""

    GOOD = "good", "Good"
    POOR_CONNECTION = "poor_connection", "Poor connection"
    POOR_VIDEO = "poor_video", "Poor video"
    DROPPED = "dropped", "Dropped"
    FAILED_DEVICES = "failed_devices", "Failed: camera or microphone"
    FAILED_BROWSER = "failed_browser", "Failed: browser"
    FAILED_NETWORK = "failed_network", "Failed: no connection"
    NOT_CONNECTED = "not_connected", "Not connected"
    UNMEASURED = "unmeasured", "Not measured"


@dataclass
class Diagnosis:
    verdict: str | None  # a Verdict value; None while the call is live
    summary: str
    path: str  # "relay", "p2p" or "" (no sample said)
    path_text: str
    relay_protocol: str
    sides: dict[str, SidePath]
    ice_restarts: int
    ended_by: str  # agent, consumer, system; "" while live
    ended_text: str
    findings: list[str] = field(default_factory=list)


# --- reading the events -------------------------------------------------------------------------


def samples_by_side(events: Sequence[Mapping]) -> dict[str, list[Mapping]]:
    """Each side's stats events in order."""
    return {side: [e for e in events if e["kind"] == "stats" and e["actor"] == side] for side in SIDES}


# --- quality ------------------------------------------------------------------------------------


def _poor_connection(sample: Mapping) -> str:
    """Why a sample is poor for the connection ("loss", "rtt") or ""."""
    loss, rtt = value(sample, "packet_loss_pct"), value(sample, "rtt_ms")
    if loss is not None and loss >= LOSS_POOR_PCT:
        return "loss"
    if rtt is not None and rtt >= RTT_POOR_MS:
        return "rtt"
    return ""


def _camera_changes(events: Sequence[Mapping], side: str) -> list[tuple[float, bool]]:
    """When `side` turned its camera on or off: (offset, sending video), in order."""
    changes = []
    for event in events:
        video = (event.get("data") or {}).get("video") if event["kind"] == "media" and event["actor"] == side else None
        if isinstance(video, bool):
            changes.append((event["offset_s"], video))
    return changes


def _camera_on_at(changes: Sequence[tuple[float, bool]], offset: float, default: bool) -> bool:
    """Whether the side was sending video at `offset`: its last change before it, else `default`."""
    index = bisect_right([at for at, _ in changes], offset)
    return changes[index - 1][1] if index else default


def _poor_video(sample: Mapping) -> str:
    kbps, fps = value(sample, "bitrate_kbps"), value(sample, "frames_per_second")
    if kbps is not None and kbps < VIDEO_POOR_KBPS:
        return "bitrate"
    if fps is not None and fps < VIDEO_POOR_FPS:
        return "fps"
    return ""


def _share(flags: Sequence[str], which: str | None = None) -> float:
    if not flags:
        return 0.0
    return sum(1 for f in flags if f and (which is None or f == which)) / len(flags)


def _percent(share: float) -> str:
    return f"{round(share * 100)}%"


def _trailing_trouble(samples: Sequence[Mapping]) -> tuple[str, float]:
    """The run of bad samples at the end of a side's samples: ("loss" | "silence", seconds)."""
    run: list[tuple[str, float]] = []
    for sample in reversed(samples):
        loss, kbps = value(sample, "packet_loss_pct"), value(sample, "bitrate_kbps")
        if loss is not None and loss > LOSS_DROP_PCT:
            run.append(("loss", sample["offset_s"]))
        elif kbps is not None and kbps == 0:
            run.append(("silence", sample["offset_s"]))
        else:
            break
    if not run:
        return "", 0.0
    kinds = {k for k, _ in run}
    kind = "loss" if "loss" in kinds else "silence"
    return kind, run[0][1] - run[-1][1] + SAMPLE_S


def _drop_story(call: CallFacts, by_side: Mapping[str, Sequence[Mapping]], restarts: int) -> str:
    worst = max(
        ((side, *_trailing_trouble(samples)) for side, samples in by_side.items()),
        key=lambda t: (t[2], t[0] == "consumer"),
    )
    side, kind, seconds = worst
    if call.end_reason == "ice_failed":
        tail = "before ICE failed" + (f" ({restarts} restart{'s' if restarts != 1 else ''} tried)" if restarts else "")
    elif call.end_reason.endswith("_gone"):
        party = call.end_reason.removesuffix("_gone")
        tail = f"before the {party}'s connection was gone for over {call.reconnect_grace_s} s"
    else:
        tail = f"before it ended ({call.end_reason})"
    if kind == "loss":
        return f"dropped: the {side}'s connection lost over {LOSS_DROP_PCT:g}% of packets for {seconds:g} s {tail}"
    if kind == "silence":
        return f"dropped: nothing reached the {side} for {seconds:g} s {tail}"
    if call.end_reason.endswith("_gone"):
        party = call.end_reason.removesuffix("_gone")
        return (
            f"dropped: the {party}'s connection was gone for over {call.reconnect_grace_s} s "
            "(network lost or page closed) and did not come back"
        )
    if call.end_reason == "ice_failed":
        return "dropped: the network path failed" + (
            f" and {restarts} ICE restart{'s' if restarts != 1 else ''} could not bring it back" if restarts else ""
        )
    return f"dropped ({call.end_reason})"


DEVICE_WORDS = {
    "no_camera": "has no camera",
    "no_microphone": "has no microphone",
    "no_devices": "has no camera or microphone",
}


def _failure(call: CallFacts, end: Mapping | None, restarts: int, connect_s: float | None) -> tuple[str, str]:
    reason = call.end_reason
    who = (end or {}).get("actor") if (end or {}).get("actor") in SIDES else "consumer"
    if reason == "permission_denied":
        device = "microphone" if call.media == "voice" else "camera or microphone"
        return Verdict.FAILED_DEVICES, f"failed: the {who}'s browser refused the {device}"
    if reason in DEVICE_WORDS:
        return Verdict.FAILED_DEVICES, f"failed: the {who}'s device {DEVICE_WORDS[reason]}"
    if reason in ("unsupported_browser", "no_webrtc"):
        browser = f" ({call.consumer_browser})" if call.consumer_browser else ""
        what = "cannot make calls" if reason == "unsupported_browser" else "has no WebRTC"
        return Verdict.FAILED_BROWSER, f"failed: the consumer's browser{browser} {what}"
    if reason == "ice_failed":
        tried = f" after {restarts} ICE restart{'s' if restarts != 1 else ''}" if restarts else ""
        return Verdict.FAILED_NETWORK, f"failed: no network path between the agent and the consumer{tried}"
    if reason == "connect_timeout":
        within = f" within {connect_s:g} s of accepting" if connect_s else " in time"
        return Verdict.FAILED_NETWORK, f"failed: the media did not connect{within}"
    return Verdict.FAILED_NETWORK, f"failed: {reason or 'no reason given'}"


NOT_CONNECTED = {
    "rejected": "not connected: the consumer declined the invitation",
    "expired": "not connected: nobody answered within the ring time",
}


def _not_connected(call: CallFacts) -> str:
    if call.state in NOT_CONNECTED:
        return NOT_CONNECTED[call.state]
    reason = ENDINGS.get(call.end_reason, call.end_reason or call.state)
    when = "before the call connected" if call.answered else "while it rang"
    return f"not connected: {reason} {when}"


def diagnose(call: CallFacts, events: Sequence[Mapping]) -> Diagnosis:
    """The call's diagnosis. `events` in order, each with kind, actor, state, offset_s and data."""
    by_side = samples_by_side(events)
    sides, findings = {}, []
    for side in SIDES:
        sides[side], pairs = side_path(by_side[side])
        if len(pairs) > 1:
            findings.append(f"The {side}'s path changed during the call: {' → '.join(pairs)}.")
    path, path_text, protocol = describe_path(sides)
    restarts = ice_restarts(events)
    end = terminal(events)
    ended_by, ended_text = ended_words(call, end)
    if restarts:
        findings.append(
            f"{restarts} ICE restart{'s' if restarts != 1 else ''} (the network path was lost and sought again)."
        )
    result = Diagnosis(None, "in progress", path, path_text, protocol, sides, restarts, ended_by, ended_text, findings)
    if call.state in LIVE_STATES:
        return result
    if not call.started:
        if call.state == "failed":
            answered = [e["offset_s"] for e in events if e["kind"] == "state" and e.get("state") == "connecting"]
            connect_s = round(end["offset_s"] - answered[0], 1) if end and answered else None
            result.verdict, result.summary = _failure(call, end, restarts, connect_s)
        elif call.state == "dropped":
            party = call.end_reason.removesuffix("_gone") if call.end_reason.endswith("_gone") else "consumer"
            result.verdict = Verdict.DROPPED
            result.summary = (
                f"dropped before connecting: the {party}'s connection was gone for over {call.reconnect_grace_s} s"
            )
        else:
            result.verdict, result.summary = Verdict.NOT_CONNECTED, _not_connected(call)
        return result
    if call.state == "dropped" or (call.state == "failed" and call.end_reason == "ice_failed"):
        result.verdict, result.summary = Verdict.DROPPED, _drop_story(call, by_side, restarts)
        return result
    if call.state == "failed":  # after media flowed: still the failure's own words
        result.verdict, result.summary = _failure(call, end, restarts, None)
        return result
    _judge_quality(call, events, by_side, result)
    return result


def _judge_quality(call: CallFacts, events: Sequence[Mapping], by_side: Mapping, result: Diagnosis) -> None:
    """Good, poor connection, poor video or unmeasured, for a call that connected and ended."""
    if not any(by_side.values()):
        result.verdict = Verdict.UNMEASURED
        result.summary = f"not measured: no quality samples in {clock(call.duration_s)} of talk"
        return
    # Connection: per side, the share of its samples with heavy loss or a long round trip.
    connection = {side: [_poor_connection(s) for s in samples] for side, samples in by_side.items()}
    judged = {side: flags for side, flags in connection.items() if len(flags) >= MIN_SAMPLES}
    worst = max(judged.items(), key=lambda item: _share(item[1]), default=None)
    poor_connection = worst is not None and _share(worst[1]) >= CONNECTION_POOR_SHARE
    # Video: per receiving side, its samples while the other side's camera was on.
    video: dict[str, list[str]] = {}
    active = [e["offset_s"] for e in events if e["kind"] == "state" and e.get("state") == "active"]
    ramp_end = (active[0] if active else 0.0) + VIDEO_RAMP_S
    if call.media == "video":
        for side, samples in by_side.items():
            sender = "consumer" if side == "agent" else "agent"
            default = not (sender == "consumer" and call.consumer_audio_only)
            changes = _camera_changes(events, sender)
            # A side's first sample has no bitrate (no earlier one to count from), and the first
            # VIDEO_RAMP_S seconds of media are the encoder's ramp-up, not the network's verdict.
            video[side] = [
                _poor_video(s)
                for s in samples[1:]
                if s["offset_s"] >= ramp_end and _camera_on_at(changes, s["offset_s"], default)
            ]
    video_judged = {side: flags for side, flags in video.items() if len(flags) >= MIN_SAMPLES}
    worst_video = max(video_judged.items(), key=lambda item: _share(item[1]), default=None)
    poor_video = worst_video is not None and _share(worst_video[1]) >= VIDEO_POOR_SHARE
    if poor_connection and worst is not None:
        side, flags = worst
        result.verdict = Verdict.POOR_CONNECTION
        if _share(flags, "loss") >= _share(flags, "rtt"):
            result.summary = (
                f"poor connection: over {LOSS_POOR_PCT:g}% of the packets to the {side} were lost "
                f"for {_percent(_share(flags, 'loss'))} of the call"
            )
        else:
            result.summary = (
                f"poor connection: the {side}'s round trip was over {RTT_POOR_MS:g} ms "
                f"for {_percent(_share(flags, 'rtt'))} of the call"
            )
        if poor_video:
            result.findings.append("The video was poor too (low bitrate or frame rate).")
        return
    if poor_video and worst_video is not None:
        side, flags = worst_video
        result.verdict = Verdict.POOR_VIDEO
        if _share(flags, "bitrate") >= _share(flags, "fps"):
            result.summary = (
                f"poor video: the {side} received under {VIDEO_POOR_KBPS:g} kbit/s "
                f"for {_percent(_share(flags, 'bitrate'))} of the call"
            )
        else:
            result.summary = (
                f"poor video: the {side}'s picture ran under {VIDEO_POOR_FPS:g} frames/s "
                f"for {_percent(_share(flags, 'fps'))} of the call"
            )
        return
    result.verdict = Verdict.GOOD
    result.summary = "good: " + ", ".join(_good_words(result, events))


def _good_words(result: Diagnosis, events: Sequence[Mapping]) -> list[str]:
    words = []
    if result.ice_restarts:
        n = result.ice_restarts
        words.append(f"recovered after {n} ICE restart{'s' if n != 1 else ''}")
    if result.path == "relay":
        protocol = PROTOCOL_WORDS.get(result.relay_protocol, "")
        words.append(f"relayed over {protocol}" if protocol else "relayed through TURN")
    elif result.path == "p2p":
        words.append("peer to peer")
    losses = [v for e in events if e["kind"] == "stats" and (v := value(e, "packet_loss_pct")) is not None]
    peak = max(losses, default=None)
    if peak is not None:
        words.append("no loss" if peak == 0 else f"at most {peak:g}% loss")
    rtts = sorted(v for e in events if e["kind"] == "stats" and (v := value(e, "rtt_ms")) is not None)
    if rtts:
        words.append(f"{rtts[len(rtts) // 2]:g} ms round trip")
    return words or ["no problem reported"]
