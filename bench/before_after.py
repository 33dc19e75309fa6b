"""The signaling bench's relay path for two checkouts of the project, side by side in one run.

A change that moves code (issue 13's split of the socket and call modules) must not make the relay
slower. Two separate runs of bench/signaling.py on a shared machine differ by more than any such
change (the bare relay alone moved 2x between two runs here), so this starts both trees' servers
at once, each on its own database prepared by its own code, and measures them in turns: round
trips in alternating blocks, then throughput rounds alternating between the trees, so a noisy
moment falls on both alike. The bare relay of bench/signaling.py runs beside them as the yardstick.

    git worktree add /tmp/before <commit>      # the tree to compare with (needs the same .venv)
    .venv/bin/python bench/before_after.py --before /tmp/before    # bench/results/before-after.{json,md}
    .venv/bin/python bench/before_after.py --before /tmp/before --quick

Each tree runs as one daphne (in-memory layer) and as two daphne processes sharing a Redis of its
own (a private redis-server each, so nothing one publishes reaches the other).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import signaling

PREPARE = (
    "import json, sys; sys.path.insert(0, 'bench'); import signaling; "
    "print('DATA ' + json.dumps(signaling.prepare_database(json.loads(sys.argv[1]), int(sys.argv[2]), 0)))"
)


def prepare(tree: Path, env: dict[str, str], pairs: int) -> dict:
    """`pairs` live calls in the tree's own database, created by the tree's own code."""
    done = subprocess.run(
        [sys.executable, "-c", PREPARE, json.dumps(env), str(pairs)], cwd=tree, capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(f"preparing {tree} failed:\n{done.stderr[-2000:]}")
    line = next(x for x in done.stdout.splitlines() if x.startswith("DATA "))
    return json.loads(line[5:])


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise SystemExit(f"{name} not found (apt-get install {'git' if name == 'git' else 'redis-server'})")
    return path


def private_redis() -> tuple[str, subprocess.Popen]:
    port = signaling.free_port()
    process = subprocess.Popen(
        [tool("redis-server"), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    for _ in range(50):
        if subprocess.run([tool("redis-cli"), "-p", str(port), "ping"], capture_output=True).returncode == 0:
            break
        time.sleep(0.1)
    return f"redis://127.0.0.1:{port}/1", process


async def run(servers: dict, data_of: dict, sizes: dict) -> dict:
    """`data_of`: each server's calls (the database of its tree)."""
    pairs = {}
    for kind, server in servers.items():
        # one and two of a tree share its database: each takes calls of its own.
        offset = sizes["pairs"] if kind.startswith("two") else 0
        pairs[kind] = await signaling.open_pairs(kind, server, data_of[kind], sizes["pairs"], offset)
    trips: dict[str, list[float]] = {kind: [] for kind in servers}
    for kind, p in pairs.items():  # warm-up
        await signaling.round_trips(p[0], kind != "bare", 50)
    for _ in range(sizes["blocks"]):
        for kind, p in pairs.items():
            trips[kind] += await signaling.round_trips(p[0], kind != "bare", sizes["round_trips"] // sizes["blocks"])
    rates: dict[str, list[dict]] = {kind: [] for kind in servers}
    for _ in range(sizes["rounds"]):
        for kind, p in pairs.items():
            rates[kind].append(await signaling.throughput(p, kind != "bare", sizes["seconds"], sizes["window"]))
    for p in pairs.values():
        await signaling.close_pairs(p)
    out = {}
    for kind in servers:
        rtts = sorted(trips[kind])
        fps = sorted(r["relayed_frames_per_s"] for r in rates[kind])
        out[kind] = {
            "server": servers[kind].name,
            "rtt_p50_ms": round(statistics.median(rtts), 3),
            "rtt_p99_ms": round(rtts[int(len(rtts) * 0.99)], 3),
            "frames_per_s_median": statistics.median(fps),
            "frames_per_s_tries": fps,
            "p95_ms_median": statistics.median(r["rtt_p95_ms"] for r in rates[kind]),
        }
    return out


def markdown(results: dict) -> str:
    r, bare = results["servers"], results["servers"]["bare"]
    lines = [
        f"Before/after, {results['when']}, {results['machine']}; {results['sizes']['pairs']} pairs, "
        f"{results['sizes']['window']} frames in flight each, {results['sizes']['rounds']} alternating rounds of "
        f"{results['sizes']['seconds']} s; before = {results['before']}, after = {results['after']}",
        "",
        "| server | round trip p50 / p99 (ms) | p50 / bare | frames/s (median; tries) | / bare | p95 at load (ms) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in r.values():
        tries = ", ".join(f"{x:,.0f}" for x in row["frames_per_s_tries"])
        lines.append(
            f"| {row['server']} | {row['rtt_p50_ms']} / {row['rtt_p99_ms']} | {row['rtt_p50_ms'] / bare['rtt_p50_ms']:.2f}x | "
            f"{row['frames_per_s_median']:,.0f} ({tries}) | {row['frames_per_s_median'] / bare['frames_per_s_median']:.1%} | "
            f"{row['p95_ms_median']} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", type=Path, required=True, help="checkout of the tree to compare with")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run")
    parser.add_argument("--out", default=str(signaling.ROOT / "bench" / "results"))
    args = parser.parse_args()
    signaling.raise_fd_limit()
    sizes = {"pairs": 20, "window": 4, "rounds": 5, "seconds": 3.0, "round_trips": 2000, "blocks": 10}
    if args.quick:
        sizes.update(pairs=2, rounds=1, seconds=0.5, round_trips=40, blocks=2)
    trees = {"before": args.before.resolve(), "after": signaling.ROOT}
    commits = {
        name: subprocess.run(
            [tool("git"), "rev-parse", "--short", "HEAD"], cwd=tree, capture_output=True, text=True
        ).stdout.strip()
        for name, tree in trees.items()
    }
    servers: dict = {}
    helpers: list[subprocess.Popen] = []
    data_of: dict[str, dict] = {"bare": {}}
    try:
        servers["bare"] = signaling.start_bare()
        for name, tree in trees.items():
            env = signaling.server_env(rate_burst=1_000_000, rate_per_s=1_000_000)
            data_of[f"one {name}"] = data_of[f"two {name}"] = prepare(tree, env, 2 * sizes["pairs"])
            servers[f"one {name}"] = signaling.start_daphne(env, 1, f"1 daphne, {name} ({commits[name]})", root=tree)
            redis_url, redis_process = private_redis()
            helpers.append(redis_process)
            servers[f"two {name}"] = signaling.start_daphne(
                {**env, "REDIS_URL": redis_url}, 2, f"2 daphne + Redis, {name} ({commits[name]})", root=tree
            )
        measured = asyncio.run(run(servers, data_of, sizes))
    finally:
        for server in servers.values():
            server.stop()
        for process in helpers:
            process.terminate()
    results = {**signaling.run_header(), "sizes": sizes, "servers": measured, **commits}
    signaling.write_results(args, "before-after", results, markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
