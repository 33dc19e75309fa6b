#!/usr/bin/env python
"""Call setup to the first decoded video frame: our product beside Chromium's own baseline.

    .venv/bin/python bench/call_setup_frames.py --rounds 10 [--label after]

It runs tests/e2e/test_call_setup_frames.py with CALL_SETUP_FRAMES_ROUNDS: one headless Chromium
with fake devices; the agent's workspace calls the consumer's messaging window (the demo page), the
consumer clicks Accept after the invitation rang --ring seconds; beside it a baseline page sets up
the same call by itself (two RTCPeerConnections, the product's getUserMedia constraints, the same
ICE configuration); peer to peer and relayed through a coturn on loopback (iceTransportPolicy
relay), product and baseline interleaved, `--rounds` calls each. Every page carries the same
recorder (bench/call_setup_trace.js): from the click on Accept (a page timestamp) to each side's
first decoded remote frame (read from a MediaStreamTrackProcessor in every page alike), with the steps in
between (media capture, offer and answer, ICE, DTLS, first frame encoded, sent, received).

Writes bench/results/call-setup-frames[-LABEL].json (or --out). Needs PostgreSQL (DATABASE_URL) and
Redis when REDIS_URL is set (the channel layer), Chromium and coturn, as the e2e tests do. Not a test:
it asserts nothing about times.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.call_setup_timeline import summarise  # noqa: E402

MODULE = "tests/e2e/test_call_setup_frames.py"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=10, help="calls per path and kind (default 10)")
    parser.add_argument("--ring", type=float, default=2.0, help="seconds the invitation rings before Accept")
    parser.add_argument("--paths", default="p2p,relay")
    parser.add_argument("--label", default="", help="names the results file (e.g. before, after)")
    parser.add_argument("--tree", type=Path, default=ROOT, help="the checkout whose product is measured")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    out = args.out or ROOT / "bench" / "results" / f"call-setup-frames{'-' + args.label if args.label else ''}.json"

    with tempfile.TemporaryDirectory(prefix="call-setup-frames-") as artifacts:
        env = {
            **os.environ,
            "CALL_SETUP_FRAMES_ROUNDS": str(args.rounds),
            "CALL_SETUP_FRAMES_RING_S": str(args.ring),
            "CALL_SETUP_FRAMES_PATHS": args.paths,
            "TEST_ARTIFACTS": artifacts,
            "REQUIRE_SERVICES": "1",
        }
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", MODULE]
        result = subprocess.run(command, cwd=args.tree, env=env, check=False)
        if result.returncode != 0:
            print("the call-setup run failed; no figures written", file=sys.stderr)
            return result.returncode
        recorded = json.loads((Path(artifacts) / "call-setup-frames.json").read_text())

    commit = subprocess.run(
        [shutil.which("git") or "git", "rev-parse", "--short", "HEAD"], cwd=args.tree, capture_output=True, text=True
    )
    report = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "label": args.label,
        "tree_commit": commit.stdout.strip(),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "load_average": os.getloadavg(),
        "chromium": subprocess.run(["/usr/bin/chromium", "--version"], capture_output=True, text=True).stdout.strip(),
        "turnserver": "coturn on 127.0.0.1 (use-auth-secret, UDP)",
        "channel_layer": "redis" if os.environ.get("REDIS_URL") else "in-memory",
        "ring_s": recorded["ring_s"],
        "summary": summarise(recorded["calls"]),
        "calls": [{k: v for k, v in call.items() if k != "events"} for call in recorded["calls"]],
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print_report(report["summary"])
    print(f"written to {out}")
    return 0


def print_report(summary: dict) -> None:
    for group, figures in summary.items():
        both = figures["headline"]["both_decoded"]
        print(
            f"\n{group}: both sides decoding, median {both['median_ms']} ms, p90 {both['p90_ms']} ms ({both['calls']} calls)"
        )
        for name in ("consumer_decoded", "agent_decoded"):
            f = figures["headline"][name]
            print(f"  {name}: median {f['median_ms']} ms, p90 {f['p90_ms']} ms (min {f['min_ms']}, max {f['max_ms']})")
        for side, steps in figures["timeline_median_ms"].items():
            print(f"  {side}: " + ", ".join(f"{name} {at:g}" for name, at in steps.items()))
    for path in ("p2p", "relay"):
        product, baseline = summary.get(f"product {path}"), summary.get(f"baseline {path}")
        if product and baseline:
            gap = product["headline"]["both_decoded"]["median_ms"] - baseline["headline"]["both_decoded"]["median_ms"]
            print(f"\n{path}: product - baseline (both sides decoding, medians) = {gap:.1f} ms")


if __name__ == "__main__":
    sys.exit(main())
