#!/usr/bin/env python
"""Flood benchmark: does one flooding socket hurt another call? Measured, not asserted.

It starts the servers (one daphne on the embedded default; two daphne processes sharing Redis), with
the production rate limits (WS_RATE_BURST 120, WS_RATE_PER_S 60), opens two active calls, and
measures the round trip of `call.signal` frames on call 1 (agent -> consumer -> agent, 300-byte ICE
candidates, the same measurement as bench/signaling.py) twice: idle, and while the consumer socket
of call 2 floods from another process, sending candidates as fast as it can and never reading what
the server answers (an attacker does not). It reports both p50/p99 and their ratio (target: the p99
under flood within 2x the idle p99), how many flood frames the server let through to call 2's agent,
how many error frames it answered, how the flooding socket ended, and the server's RSS.

    .venv/bin/python bench/flood.py                         # full run, about five minutes
    .venv/bin/python bench/flood.py --quick                 # the test suite's smoke run
    .venv/bin/python bench/flood.py --redis '' --out DIR    # one daphne only
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import websockets

sys.path.insert(0, str(Path(__file__).resolve().parent))
import signaling  # noqa: E402 - the bench's own helpers (servers, pairs, frames)

ROOT = signaling.ROOT


async def paced_round_trips(pair: signaling.Pair, count: int, interval_s: float) -> list[float]:
    """Round trips at a steady pace below the rate limit (one frame each way every `interval_s`),
    as a call's candidates and stats flow; the same frames as bench/signaling.py's round trips."""
    echo = asyncio.create_task(signaling.echo_forever(pair, True))
    samples, next_at = [], time.perf_counter()
    for seq in range(count):
        next_at += interval_s
        started = time.perf_counter()
        await pair.a.send(signaling.frame_of(pair.call_id, seq, True))
        try:
            await asyncio.wait_for(signaling.recv_signal(pair.a), LOST_AFTER_S)
        except TimeoutError:  # bounded: a lost round trip is counted, never waited for forever
            if echo.done():
                raise RuntimeError(f"the echoing side stopped: {echo.exception()!r}") from None
            LOST.append(seq)
            continue
        samples.append((time.perf_counter() - started) * 1000)
        await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
    echo.cancel()
    return samples


LOST_AFTER_S = 5.0
LOST: list[int] = []  # round trips of the victim that never came back (reported with the results)


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def flood(port: int, tls: bool, token: str, call_id: int, seconds: float, reconnect: bool, report) -> None:
    """In its own process: the consumer socket of call 2 sends as fast as it can for `seconds`;
    with `reconnect`, it connects again the moment it is cut off (and again when refused)."""

    # The lowest CPU priority: a real flooder's own work runs on its machine, not on the two cores the
    # servers and the measured call share here; what is measured is what its traffic costs them.
    os.nice(19)

    async def run() -> dict:
        sent, connections, refused, codes, answers = 0, 0, 0, {}, {}
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and (reconnect or connections == 0):
            try:
                ws = await signaling.Server("flooder", [], tls=tls).ws(
                    port,
                    f"/ws/consumer/?token={token}",
                    compression=None,
                    max_queue=None,  # what the server answers piles up unread, as with a real attacker
                )
            except (OSError, websockets.InvalidStatus, websockets.InvalidHandshake):
                refused += 1
                await asyncio.sleep(0.01)
                continue
            connections += 1
            try:
                while time.monotonic() < deadline:
                    await ws.send(signaling.frame_of(call_id, sent, True))
                    sent += 1
                    if sent % 64 == 0:
                        await asyncio.sleep(0)  # let the socket's reader and writer run
                await ws.close()
                code = "open until the end"
            except websockets.ConnectionClosed as closed:
                code = str(closed.rcvd.code if closed.rcvd else 1006)
            codes[code] = codes.get(code, 0) + 1
            for message in list(ws.messages.frames) if hasattr(ws, "messages") else []:
                key = json.loads(message).get("code", "other") if isinstance(message, str) else "other"
                answers[key] = answers.get(key, 0) + 1
        return {
            "sent": sent,
            "seconds": seconds,
            "connections": connections,
            "handshakes_refused": refused,
            "ended": codes,
            "answers": answers,
        }

    report.put(asyncio.run(run()))


async def count_signals(ws, stop: asyncio.Event) -> int:
    received = 0
    while not stop.is_set():
        try:
            message = await asyncio.wait_for(ws.recv(), 0.5)
        except TimeoutError:
            continue
        except websockets.ConnectionClosed:
            break
        if '"call.signal"' in message:
            received += 1
    return received


async def measure(kind: str, server: signaling.Server, data: dict, sizes: dict, reconnect: bool) -> dict:
    LOST.clear()
    pairs = await signaling.open_pairs(kind, server, data, 1)  # call 1: agent and consumer
    victim = pairs[0]
    flooder = data["pairs"][1]
    # Call 2's agent, to count what the server let through; its consumer floods from another process.
    port_agent, port_consumer = server.ports[0], server.ports[-1]
    agent_2 = await server.ws(
        port_agent,
        "/ws/agent/",
        additional_headers={"Cookie": flooder["cookie"]},
        compression=None,
    )
    interval = sizes["interval_s"]
    await paced_round_trips(victim, 50, interval)  # warm up
    rss_before = server.rss_kib()
    idle = await paced_round_trips(victim, sizes["round_trips"], interval)

    report = multiprocessing.Queue()
    process = multiprocessing.Process(
        target=flood,
        args=(port_consumer, server.tls, flooder["token"], flooder["call_id"], sizes["flood_s"], reconnect, report),
    )
    stop = asyncio.Event()
    counting = asyncio.create_task(count_signals(agent_2, stop))
    process.start()
    await asyncio.sleep(0.5)  # the flood is under way
    under = await paced_round_trips(victim, sizes["round_trips"], interval)
    rss_flood = server.rss_kib()
    flood_result = await asyncio.to_thread(report.get, True, sizes["flood_s"] + 30)
    await asyncio.to_thread(process.join, 10)
    stop.set()
    let_through = await counting
    after = await paced_round_trips(victim, 50, interval)  # the victim still works afterwards
    await agent_2.close()
    await signaling.close_pairs(pairs)
    return {
        "server": server.name,
        "flooder": "reconnects at once" if reconnect else "one connection",
        "idle_p50_ms": statistics.median(idle),
        "idle_p99_ms": percentile(idle, 0.99),
        "flood_p50_ms": statistics.median(under),
        "flood_p99_ms": percentile(under, 0.99),
        "p99_ratio": percentile(under, 0.99) / percentile(idle, 0.99),
        "after_p50_ms": statistics.median(after),
        "flood": flood_result,
        "flood_frames_per_s": flood_result["sent"] / flood_result["seconds"],
        "let_through_to_peer": let_through,
        "rss_kib_before": rss_before,
        "rss_kib_during": rss_flood,
        "victim_round_trips_lost": len(LOST),
    }


def behind_nginx(server: signaling.Server, port: int) -> signaling.Server:
    """nginx from deploy/nginx (TLS, the per-address handshake and connection limits) on `port` in
    front of the server's daphne processes: the clients connect to it only."""
    sys.path.insert(0, str(ROOT))
    from deploy import stack

    run_dir = Path(tempfile.mkdtemp(prefix="vvc-bench-nginx-"))
    cert, key = stack.self_signed(run_dir / "tls")
    conf = stack.write_nginx(
        run_dir / "nginx",
        port=port,
        upstreams=[f"127.0.0.1:{p}" for p in server.ports],
        cert=cert,
        key=key,
        static_root=ROOT / "staticfiles",
    )
    process = subprocess.Popen([stack.NGINX, "-p", str(run_dir / "nginx"), "-c", str(conf), "-g", "daemon off;"])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.05)
    return signaling.Server(f"{server.name}, behind nginx", [port], [*server.processes, process], tls=True)


def markdown(results: dict) -> str:
    lines = [
        f"Flood benchmark, {results['when']}, {results['machine']}; {results['sizes']['round_trips']} round "
        f"trips each; flood {results['sizes']['flood_s']} s; rate limit burst {results['limits']['burst']}, "
        f"{results['limits']['per_s']}/s",
        "",
        "| server | flooder | idle p50 / p99 (ms) | under flood p50 / p99 (ms) | p99 ratio (target <= 2x) "
        "| flood frames sent (/s) | let through to the peer | flooding connections: how they ended "
        "| RSS before / during (MiB) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for kind in ("one", "one-reconnect", "two", "two-reconnect"):
        r = results.get(kind)
        if not r:
            continue
        ended = ", ".join(f"{count} x {code}" for code, count in sorted(r["flood"]["ended"].items()))
        lines.append(
            f"| {r['server']} | {r['flooder']} | {r['idle_p50_ms']:.2f} / {r['idle_p99_ms']:.2f} "
            f"| {r['flood_p50_ms']:.2f} / {r['flood_p99_ms']:.2f} | {r['p99_ratio']:.2f}x "
            f"| {r['flood']['sent']:,} ({r['flood_frames_per_s']:,.0f}) | {r['let_through_to_peer']:,} "
            f"| {r['flood']['connections']:,} ({r['flood']['handshakes_refused']:,} refused): {ended} | {r['rss_kib_before'] / 1024:.0f} / {r['rss_kib_during'] / 1024:.0f} |"
        )
    return "\n".join(lines)


def main() -> int:
    args = signaling.parse_args(__doc__)
    signaling.raise_fd_limit()
    # One frame each way every 25 ms: 40 a second per socket, under the 60/s limit.
    sizes = {"round_trips": 60 if args.quick else 1000, "interval_s": 0.025}
    # The flood covers the measurement under it, which starts half a second in.
    sizes["flood_s"] = round(sizes["round_trips"] * sizes["interval_s"] * 1.2 + 1.0, 1)
    # The production limits: what is measured is how they protect the other calls.
    limits = {"burst": 120, "per_s": 60.0}
    env = signaling.server_env(rate_burst=limits["burst"], rate_per_s=limits["per_s"])
    nginx_port = signaling.free_port()
    if args.nginx:
        # Production settings as `make stack` runs them (https origins only, TLS ended at nginx, which
        # is the proxy whose X-Forwarded-For counts); no HSTS pinning of 127.0.0.1.
        env.update(DJANGO_ENV="production", TRUSTED_PROXIES="127.0.0.1", SECURE_HSTS_SECONDS="0")
    data = signaling.prepare_database(env, 2, 0)
    results: dict = {
        **signaling.run_header(),
        "sizes": sizes,
        "limits": limits,
    }
    runs = [("one", lambda: signaling.start_daphne(env, 1, "1 daphne, in-memory layer"))]
    if args.redis:
        import redis

        redis.Redis.from_url(args.redis).flushdb()
        runs.append(("two", lambda: signaling.start_daphne({**env, "REDIS_URL": args.redis}, 2, "2 daphne + Redis")))
    if args.nginx:
        runs = [(kind, lambda start=start: behind_nginx(start(), nginx_port)) for kind, start in runs]
    for kind, start in runs:
        server = start()
        try:
            results[kind] = asyncio.run(measure(kind, server, data, sizes, reconnect=False))
            # A fresh server for the second flooder: bans and buckets of the first must not carry over.
        finally:
            server.stop()
        server = start()
        try:
            results[f"{kind}-reconnect"] = asyncio.run(measure(kind, server, data, sizes, reconnect=True))
        finally:
            server.stop()
        print(f"{kind}: done", file=sys.stderr)
    results["nginx"] = args.nginx
    signaling.write_results(args, "flood-nginx" if args.nginx else "flood", results, markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
