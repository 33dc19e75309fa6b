#!/usr/bin/env python
"""Call setup time: from the consumer's accept to ICE connected, peer to peer and relayed via coturn.

    .venv/bin/python bench/call_setup.py --rounds 10

It runs tests/e2e/test_relay_calls.py (two headless Chromium contexts with fake devices, the agent
workspace and a consumer on the shared call client, daphne in the test process, coturn on loopback)
with CALL_SETUP_ROUNDS calls per path. Each call's time is read from the database: `answered_at`
(the server handled `call.accept`) to `started_at` (the first side reported `call.connected`), so it
covers the consumer's getUserMedia, the offer/answer over the signaling socket, ICE gathering
(including the TURN allocations when relayed) and connectivity checks.

Writes bench/results/call-setup.json (or --out). Needs PostgreSQL (DATABASE_URL, default the CI
one), Chromium and coturn, as the e2e tests do. Not a test: it asserts nothing about times.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=10, help="calls per path (default 10)")
    parser.add_argument("--database", default=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/vvc"))
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "call-setup.json")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")

    with tempfile.TemporaryDirectory(prefix="call-setup-") as artifacts:
        env = {
            **os.environ,
            "DATABASE_URL": args.database,
            "CALL_SETUP_ROUNDS": str(args.rounds),
            "TEST_ARTIFACTS": artifacts,
            "REQUIRE_SERVICES": "1",
        }
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/e2e/test_relay_calls.py"]
        result = subprocess.run(command, cwd=ROOT, env=env, check=False)
        if result.returncode != 0:
            print("the call-setup run failed; no figures written", file=sys.stderr)
            return result.returncode
        paths = {}
        for path in ("p2p", "relay"):
            recorded = json.loads((Path(artifacts) / f"call-setup-{path}.json").read_text())
            times = recorded["accept_to_connected_ms"]
            paths[path] = {
                "calls": len(times),
                "median_ms": round(statistics.median(times), 1),
                "p90_ms": round(percentile(times, 0.9), 1),
                "min_ms": min(times),
                "max_ms": max(times),
                "all_ms": times,
            }

    report = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "chromium": subprocess.run(["/usr/bin/chromium", "--version"], capture_output=True, text=True).stdout.strip(),
        "turnserver": "coturn on 127.0.0.1 (use-auth-secret, UDP)",
        "paths": paths,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    for path, figures in paths.items():
        print(
            f"{path:>5}: median {figures['median_ms']} ms, p90 {figures['p90_ms']} ms "
            f"(min {figures['min_ms']}, max {figures['max_ms']}, {figures['calls']} calls)"
        )
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
