"""The signaling benchmark runs end to end at a tiny size, so it does not rot. No timing asserted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def quick_run(name: str, tmp_path: Path) -> str:
    """Run bench/NAME.py --quick into tmp_path (the two-process part on Redis database 3 when the
    suite has Redis); returns that Redis URL, or "" when it was skipped."""
    redis_url = os.environ.get("REDIS_URL", "")
    redis_arg = redis_url.rsplit("/", 1)[0] + "/3" if redis_url else ""
    run_bench(name, "--redis", redis_arg, "--out", str(tmp_path))
    return redis_arg


def run_bench(name: str, *args: str) -> None:
    """bench/NAME.py --quick ARGS, which starts its own servers (never the suite's services)."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}}
    result = subprocess.run(
        [sys.executable, f"bench/{name}.py", "--quick", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.mark.integration
def test_signaling_bench_quick_run(tmp_path):
    redis_arg = quick_run("signaling", tmp_path)
    results = json.loads((tmp_path / "signaling-quick.json").read_text())
    runs = ["bare", "one"] + (["two"] if redis_arg else [])
    for run in runs:
        assert results[run]["round_trip"]["samples"] == 50
        assert results[run]["loss_at_80pct"]["lost"] == 0, results[run]["loss_at_80pct"]
        assert results[run]["loss_at_80pct"]["reordered"] == 0
        assert all(row["relayed_frames_per_s"] > 0 for row in results[run]["throughput"])
    assert "round trip p50" in (tmp_path / "signaling-quick.md").read_text()


@pytest.mark.integration
def test_flood_bench_quick_run(tmp_path):
    """The flood bench runs at a tiny size: every flooder is cut off and the measured call keeps working."""
    redis_arg = quick_run("flood", tmp_path)
    results = json.loads((tmp_path / "flood-quick.json").read_text())
    runs = ["one", "one-reconnect"] + (["two", "two-reconnect"] if redis_arg else [])
    for run in runs:
        flood = results[run]["flood"]
        assert flood["sent"] > 0 and {"1006", "4008"} & set(flood["ended"]), flood  # aborted or refused
        # Never more through to the peer than the burst plus the refill over the flood (and its bans).
        limit = results["limits"]["burst"] + results["limits"]["per_s"] * flood["seconds"]
        assert results[run]["let_through_to_peer"] <= limit
    assert "p99 ratio" in (tmp_path / "flood-quick.md").read_text()


@pytest.mark.integration
def test_before_after_bench_quick_run(tmp_path):
    """The side-by-side bench runs at a tiny size with this checkout as both trees: every server
    relays, and both trees' rows are there."""
    run_bench("before_after", "--before", str(ROOT), "--out", str(tmp_path))
    servers = json.loads((tmp_path / "before-after-quick.json").read_text())["servers"]
    assert set(servers) == {"bare", "one before", "two before", "one after", "two after"}
    assert all(row["frames_per_s_median"] > 0 for row in servers.values())


def test_call_setup_timeline_reads_each_sides_steps_from_the_click():
    """bench/call_setup_frames.py's reading of the recorded steps (the browser part runs in
    tests/e2e/test_call_setup_frames.py): times after the click, the call's own peer connection
    only (not the readiness check's probe), the later side as the headline, renegotiations counted."""
    from tests.e2e.call_setup_timeline import call_record, check_order, summarise

    def side(pc: int, decoded: float, *, extra: list[dict]) -> list[dict]:
        return [
            {"t": 1000.0, "what": "click", "id": "engage-accept"},
            {"t": 1010.0, "what": "ws.out", "type": "call.accept", "id": "c1"},
            {"t": 1020.0, "what": "gum.start", "kinds": "av"},
            {"t": 1090.0, "what": "gum.end", "kinds": "av"},
            {"t": 1095.0, "what": "pc.new", "pc": 9},  # the readiness probe: no track, not the call's
            {"t": 1096.0, "what": "ice.connected", "pc": 9},
            {"t": 1100.0, "what": "ws.in", "type": "call.state", "state": "connecting", "call": 5},
            {"t": 1110.0, "what": "pc.new", "pc": pc},
            {"t": 1111.0, "what": "addtrack.video", "pc": pc},
            *extra,
            {"t": 1300.0, "what": "ice.connected", "pc": pc},
            {"t": decoded, "what": "video.decoded", "pc": pc},
            {"t": decoded + 1, "what": "video.stats", "pc": pc, "plis": 1},
        ]

    agent = side(
        1,
        1450.0,
        extra=[
            {"t": 1120.0, "what": "ws.out", "type": "call.signal", "sdp": "offer", "call": 5},
            {"t": 1200.0, "what": "ws.in", "type": "call.signal", "sdp": "answer", "call": 5},
        ],
    )
    consumer = side(
        2,
        1400.0,
        extra=[
            {"t": 1150.0, "what": "ws.in", "type": "call.signal", "sdp": "offer", "call": 5},
            {"t": 1160.0, "what": "sld.answer", "pc": 2},
            {"t": 1170.0, "what": "ws.out", "type": "call.signal", "sdp": "answer", "call": 5},
        ],
    )
    record = call_record(kind="product", path="relay", agent=agent, consumer=consumer, server={"answered": 1050.0})
    check_order(record)
    assert record["consumer"]["connecting_in"] == 100.0
    assert record["consumer"]["ice_connected"] == 300.0  # the call's peer connection, not the probe's
    assert (record["consumer"]["descriptions"], record["consumer"]["plis_before_first_frame"]) == (1, 1)
    assert record["server"] == {"answered": 50.0}
    headline = summarise([record])["product relay"]["headline"]
    assert (headline["consumer_decoded"]["median_ms"], headline["both_decoded"]["median_ms"]) == (400.0, 450.0)
