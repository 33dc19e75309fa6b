"""Signaling benchmark: the project's relay next to a bare `websockets` relay, in one run.

It starts every server it measures (bare relay; one daphne on the embedded default; two daphne
processes sharing Redis), drives real WebSocket clients over loopback, and writes JSON results and a
markdown table. Every figure is also given as a ratio to the bare relay of the same run.

    .venv/bin/python bench/signaling.py                 # full run (a few minutes)
    .venv/bin/python bench/signaling.py --quick         # tiny sizes (the test suite's smoke run)
    .venv/bin/python bench/signaling.py --redis redis://127.0.0.1:6379/3 --out bench/results

The relay path is what is measured, so the per-socket rate limiter is opened wide for the run
(WS_RATE_BURST / WS_RATE_PER_S); everything else is the production code path: session or token
authentication, strict frame validation, per-socket authorisation of call.signal, the channel layer.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import platform
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import websockets

ROOT = Path(__file__).resolve().parent.parent
CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"
ORIGIN = "http://127.0.0.1"
P95_LIMIT_MS = 100  # throughput is measured while the p95 round trip stays under this
REPEATS = 3  # throughput measurements per row; the row is their median


def raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# --- data: accounts, agents, calls ---------------------------------------------------------------


def prepare_database(env: dict[str, str], pairs: int, idle: int) -> dict:
    """Create `pairs` active calls (agent session + consumer token each) and `idle` conversations.

    Runs Django in this process against the bench database; the servers read the same file."""
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "consoleproj.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    from accounts.services import account_create, user_create
    from calls import services
    from calls.models import Conversation
    from calls.tokens import consumer_token_for

    call_command("migrate", verbosity=0)
    account, _ = account_create(slug="bench", name="Bench")
    out = {"pairs": [], "idle_tokens": []}
    for n in range(pairs):
        agent = user_create(account=account, email=f"agent{n}@bench.example", password=None)
        client = Client()
        client.force_login(agent)
        cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        conversation = services.conversation_create(account=account, channel="web_messaging")
        services.conversation_take(agent=agent, conversation_id=conversation.pk)
        call = services.call_invite(agent=agent, conversation_id=conversation.pk, media="video")
        services.call_accept(
            conversation_id=conversation.pk,
            call_id=call.pk,
            client=services.ClientInfo(user_agent=CHROME, webrtc=True, camera=True, microphone=True),
        )
        services.call_connected(call_id=call.pk, party="agent", agent=agent)
        token = consumer_token_for(conversation_id=conversation.pk, account_id=account.pk)
        out["pairs"].append({"cookie": cookie, "token": token, "call_id": call.pk})
    idle_conversations = Conversation.objects.bulk_create(
        [Conversation(account=account, channel="web_messaging") for _ in range(idle)]
    )
    out["idle_tokens"] = [consumer_token_for(conversation_id=c.pk, account_id=account.pk) for c in idle_conversations]
    return out


# --- servers --------------------------------------------------------------------------------------


@functools.cache
def _client_tls():
    """One TLS context for every client socket of a run (the self-signed certificate is not verified).
    Built once: `ssl.create_default_context()` loads the system's CA store, about 30 ms of CPU here, and a
    flooder reconnecting at once made a new one per attempt, on the cores the servers share."""
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


@dataclass
class Server:
    name: str
    ports: list[int]
    processes: list[subprocess.Popen] = field(default_factory=list)
    tls: bool = False  # behind nginx (deploy/nginx): wss:// and https:// origins, self-signed

    def ws(self, port: int, path: str, **kwargs):
        """websockets.connect to this server (through nginx when it is in front)."""
        if self.tls:
            context = _client_tls()
            kwargs.setdefault("origin", f"https://127.0.0.1:{port}")
            return websockets.connect(f"wss://127.0.0.1:{port}{path}", ssl=context, **kwargs)
        kwargs.setdefault("origin", f"{ORIGIN}:{port}")
        return websockets.connect(f"ws://127.0.0.1:{port}{path}", **kwargs)

    def rss_kib(self) -> int:
        total = 0
        for process in self.processes:
            for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        return total

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(port: int, path: str = "/healthz", timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2):  # noqa: S310 - loopback
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server on {port} did not come up")


def start_bare() -> Server:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "bare_relay.py"), str(port)], cwd=ROOT, preexec_fn=raise_fd_limit
    )  # noqa: PLW1509
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            asyncio.run(_probe(port))
            break
        except OSError:
            time.sleep(0.1)
    return Server("bare websockets relay", [port], [process])


async def _probe(port: int) -> None:
    async with websockets.connect(f"ws://127.0.0.1:{port}/pair/probe/a"):
        pass


def start_daphne(env: dict[str, str], count: int, name: str, root: Path = ROOT) -> Server:
    """`count` daphne processes of the project checked out at `root` (bench/before_after.py
    starts an older checkout beside this one)."""
    server = Server(name, [])
    for _ in range(count):
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "consoleproj.asgi:application"],
            cwd=root,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=raise_fd_limit,  # noqa: PLW1509
        )
        server.ports.append(port)
        server.processes.append(process)
        wait_http(port)
    return server


# --- clients ----------------------------------------------------------------------------------------


def frame_of(call_id: int, seq: int, project: bool) -> str:
    """A ~300-byte ICE candidate frame carrying a sequence number."""
    candidate = f"candidate:{seq} 1 udp 2122260223 192.0.2.10 {50000 + seq % 10000} typ host generation 0 ufrag Zx9q network-id 1 network-cost 10"
    signal = {"candidate": {"candidate": candidate, "sdpMid": "0", "sdpMLineIndex": 0, "usernameFragment": "Zx9q"}}
    if not project:
        return json.dumps({"type": "call.signal", "call_id": call_id, "from": "agent", "signal": signal})
    return json.dumps({"type": "call.signal", "call_id": call_id, "signal": signal})


def seq_of(message: str) -> int:
    return int(json.loads(message)["signal"]["candidate"]["candidate"].split(" ", 1)[0].split(":")[1])


@dataclass
class Pair:
    a: websockets.ClientConnection
    b: websockets.ClientConnection
    call_id: int


async def open_pairs(kind: str, server: Server, data: dict, count: int, offset: int = 0) -> list[Pair]:
    pairs = []
    for n in range(offset, offset + count):
        if kind == "bare":
            port = server.ports[0]
            a = await websockets.connect(f"ws://127.0.0.1:{port}/pair/{n}/a", compression=None)
            b = await websockets.connect(f"ws://127.0.0.1:{port}/pair/{n}/b", compression=None)
            pairs.append(Pair(a, b, n))
            continue
        info = data["pairs"][n]
        # With two processes the agent is on one and the consumer on the other.
        port_a, port_b = server.ports[0], server.ports[-1]
        a = await server.ws(
            port_a,
            "/ws/agent/",
            additional_headers={"Cookie": info["cookie"]},
            compression=None,
            max_size=2**22,
        )
        b = await server.ws(
            port_b,
            f"/ws/consumer/?token={info['token']}",
            compression=None,
            max_size=2**22,
        )
        for ws in (a, b):  # wait for hello
            while json.loads(await ws.recv())["type"] != "hello":
                pass
        pairs.append(Pair(a, b, info["call_id"]))
    return pairs


async def close_pairs(pairs: list[Pair]) -> None:
    await asyncio.gather(*(ws.close() for p in pairs for ws in (p.a, p.b)))


async def recv_signal(ws) -> str:
    while True:
        message = await ws.recv()
        if '"call.signal"' in message:
            return message


async def echo_forever(pair: Pair, project: bool) -> None:
    """The consumer side: every signal it gets goes straight back."""
    try:
        while True:
            message = await recv_signal(pair.b)
            await pair.b.send(frame_of(pair.call_id, seq_of(message), project))
    except (websockets.ConnectionClosed, asyncio.CancelledError):
        return


async def round_trips(pair: Pair, project: bool, count: int) -> list[float]:
    echo = asyncio.create_task(echo_forever(pair, project))
    samples = []
    for seq in range(count):
        started = time.perf_counter()
        await pair.a.send(frame_of(pair.call_id, seq, project))
        await recv_signal(pair.a)
        samples.append((time.perf_counter() - started) * 1000)
    echo.cancel()
    return samples


async def throughput(pairs: list[Pair], project: bool, seconds: float, window: int) -> dict:
    """Closed loop: each pair keeps `window` frames in flight; every round trip relays two frames."""
    echoes = [asyncio.create_task(echo_forever(p, project)) for p in pairs]
    latencies: list[float] = []
    stop_at = time.perf_counter() + seconds
    done = 0

    async def drive(pair: Pair) -> None:
        nonlocal done
        sent_at: dict[int, float] = {}
        seq = 0
        for _ in range(window):
            sent_at[seq] = time.perf_counter()
            await pair.a.send(frame_of(pair.call_id, seq, project))
            seq += 1
        while sent_at:
            message = await recv_signal(pair.a)
            now = time.perf_counter()
            latencies.append((now - sent_at.pop(seq_of(message))) * 1000)
            done += 1
            if now < stop_at:
                sent_at[seq] = time.perf_counter()
                await pair.a.send(frame_of(pair.call_id, seq, project))
                seq += 1

    started = time.perf_counter()
    await asyncio.gather(*(drive(p) for p in pairs))
    elapsed = time.perf_counter() - started
    for task in echoes:
        task.cancel()
    latencies.sort()
    return {
        "pairs": len(pairs),
        "relayed_frames_per_s": round(2 * done / elapsed),
        "rtt_p50_ms": round(statistics.median(latencies), 3),
        "rtt_p95_ms": round(latencies[int(len(latencies) * 0.95)], 3),
    }


async def loss_and_order(pairs: list[Pair], project: bool, rate_per_s: float, seconds: float) -> dict:
    """Open loop at a fixed rate, one way (agent -> consumer), sequence numbers checked at arrival."""
    per_pair = rate_per_s / len(pairs)
    counts = {"sent": 0, "received": 0, "reordered": 0}

    async def send(pair: Pair) -> int:
        interval, seq = 1 / per_pair, 0
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            await pair.a.send(frame_of(pair.call_id, seq, project))
            seq += 1
            await asyncio.sleep(max(0.0, start + seq * interval - time.perf_counter()))
        return seq

    async def receive(pair: Pair, expected: asyncio.Future) -> None:
        last = -1
        got = 0
        while True:
            try:
                message = await asyncio.wait_for(recv_signal(pair.b), timeout=3)
            except TimeoutError:
                break
            seq = seq_of(message)
            if seq < last:
                counts["reordered"] += 1
            last = max(last, seq)
            got += 1
            if expected.done() and got >= expected.result():
                break
        counts["received"] += got

    loop = asyncio.get_running_loop()
    futures = [loop.create_future() for _ in pairs]
    receivers = [asyncio.create_task(receive(p, f)) for p, f in zip(pairs, futures, strict=True)]
    sent = await asyncio.gather(*(send(p) for p in pairs))
    for future, count in zip(futures, sent, strict=True):
        future.set_result(count)
    await asyncio.gather(*receivers)
    counts["sent"] = sum(sent)
    counts["lost"] = counts["sent"] - counts["received"]
    counts["rate_per_s"] = round(rate_per_s)
    return counts


async def idle_memory(kind: str, server: Server, data: dict, sockets: int) -> dict:
    """RSS of the server with `sockets` idle authenticated sockets, after they all left, and after a
    second round of the same: memory kept by a leak grows with every round, memory an allocator keeps
    for reuse does not."""
    port = server.ports[0]
    await asyncio.sleep(1)
    before = server.rss_kib()

    async def one_round() -> tuple[int, int]:
        conns = []
        for n in range(sockets):
            if kind == "bare":
                conns.append(await websockets.connect(f"ws://127.0.0.1:{port}/pair/idle{n}/a", compression=None))
            else:
                ws = await websockets.connect(
                    f"ws://127.0.0.1:{port}/ws/consumer/?token={data['idle_tokens'][n]}",
                    origin=ORIGIN + f":{port}",
                    compression=None,
                    max_size=2**22,
                )
                await ws.recv()  # hello
                conns.append(ws)
        await asyncio.sleep(1)
        during = server.rss_kib()
        await asyncio.gather(*(c.close() for c in conns))
        await asyncio.sleep(3)
        return during, server.rss_kib()

    during, after = await one_round()
    _, after_second = await one_round()
    return {
        "sockets": sockets,
        "rss_before_kib": before,
        "rss_with_sockets_kib": during,
        "rss_after_kib": after,
        "kib_per_socket": round((during - before) / sockets, 2),
        "retained_after_close_kib": after - before,
        "retained_after_second_round_kib": after_second - before,
    }


def redis_calls(url: str) -> int:
    import redis

    stats = redis.Redis.from_url(url).info("commandstats")
    return sum(v["calls"] for v in stats.values())


# --- the run ---------------------------------------------------------------------------------------


async def measure(kind: str, server: Server, data: dict, sizes: dict, redis_url: str | None) -> dict:
    project = kind != "bare"
    result: dict = {"server": server.name}
    pairs = await open_pairs(kind, server, data, max(sizes["pairs"]))
    result["throughput"] = []
    for count in sizes["pairs"]:
        # Throughput "while p95 < 100 ms": with the p95 over it, the same pairs again with half as
        # many frames in flight each, down to one; the row says which window it was.
        window = sizes["window"]
        while True:
            # The median of REPEATS measurements: one noisy moment of a shared machine moves one of
            # them, not the figure.
            before = redis_calls(redis_url) if redis_url else None
            tries = [await throughput(pairs[:count], project, sizes["seconds"], window) for _ in range(REPEATS)]
            tries.sort(key=lambda t: t["relayed_frames_per_s"])
            row = {**tries[len(tries) // 2], "window": window, "tries": [t["relayed_frames_per_s"] for t in tries]}
            if redis_url:
                relayed = sum(t["relayed_frames_per_s"] for t in tries) * sizes["seconds"]
                row["redis_commands_per_frame"] = round((redis_calls(redis_url) - before) / max(1, relayed), 2)
            if row["rtt_p95_ms"] < P95_LIMIT_MS or window == 1:
                break
            window //= 2
        result["throughput"].append(row)
    saturation = next(r for r in result["throughput"] if r["pairs"] == sizes["loss_pairs"])["relayed_frames_per_s"]
    result["loss_at_80pct"] = await loss_and_order(
        pairs[: sizes["loss_pairs"]], project, 0.8 * saturation / 2, sizes["seconds"]
    )
    await close_pairs(pairs)
    if kind != "two":
        result["idle_memory"] = [await idle_memory(kind, server, data, n) for n in sizes["idle"]]
    result["rss_kib"] = server.rss_kib()
    return result


BLOCKS = 10


async def side_by_side_round_trips(servers: dict[str, Server], data: dict, count: int) -> dict:
    """Round trips of one pair on every server, measured in turns (BLOCKS blocks each, after a
    warm-up), so a moment of noise on a shared machine falls on all of them alike rather than on
    whichever server happened to run then: the ratios compare like with like."""
    pairs = {}
    for kind, server in servers.items():  # each project server on a call of its own
        pairs[kind] = (await open_pairs(kind, server, data, 1, offset=len(pairs) - 1 if kind != "bare" else 0))[0]
    for kind, pair in pairs.items():
        await round_trips(pair, kind != "bare", max(10, count // BLOCKS))
    samples: dict[str, list[float]] = {kind: [] for kind in servers}
    for _ in range(BLOCKS):
        for kind, pair in pairs.items():
            samples[kind] += await round_trips(pair, kind != "bare", max(1, count // BLOCKS))
    await close_pairs(list(pairs.values()))
    out = {}
    for kind, rtts in samples.items():
        rtts.sort()
        out[kind] = {
            "p50_ms": round(statistics.median(rtts), 3),
            "p99_ms": round(rtts[int(len(rtts) * 0.99)], 3),
            "samples": len(rtts),
        }
    return out


def markdown(results: dict) -> str:
    bare = results["bare"]
    lines = [
        f"Run {results['when']} on {results['machine']}.",
        "",
        "| measure | bare relay | project, 1 daphne (in-memory) | ratio | project, 2 daphne + Redis | ratio |",
        "| --- | --- | --- | --- | --- | --- |",
    ]

    def row(label, getter, fmt="{:.3f}", with_ratio=True):
        b, one, two = getter(bare), getter(results["one"]), getter(results["two"]) if results.get("two") else None

        def ratio(x):
            if x is None or not b or not with_ratio:
                return "—"
            return f"{(x / b):.2f}x"

        cells = [fmt.format(b), fmt.format(one), ratio(one), fmt.format(two) if two is not None else "—", ratio(two)]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")

    row("round trip p50 (ms), 1 pair", lambda r: r["round_trip"]["p50_ms"])
    row("round trip p99 (ms), 1 pair", lambda r: r["round_trip"]["p99_ms"])
    for i, tp in enumerate(bare["throughput"]):
        row(
            f"relayed frames/s, {tp['pairs']} pairs",
            lambda r, i=i: r["throughput"][i]["relayed_frames_per_s"],
            "{:,.0f}",
        )
        row(
            f"  frames in flight per pair at {tp['pairs']} pairs",
            lambda r, i=i: r["throughput"][i]["window"],
            "{}",
            False,
        )
        row(f"  p95 round trip (ms) at {tp['pairs']} pairs", lambda r, i=i: r["throughput"][i]["rtt_p95_ms"])
    for i, mem in enumerate(bare.get("idle_memory", [])):
        lines.append(
            f"| RSS per idle socket (KiB), {mem['sockets']} sockets | {mem['kib_per_socket']} | "
            f"{results['one']['idle_memory'][i]['kib_per_socket']} | "
            f"{results['one']['idle_memory'][i]['kib_per_socket'] / max(0.01, mem['kib_per_socket']):.2f}x | — | — |"
        )
        lines.append(
            f"| RSS retained after they left (KiB), {mem['sockets']} | {mem['retained_after_close_kib']} | "
            f"{results['one']['idle_memory'][i]['retained_after_close_kib']} | | | |"
        )
        lines.append(
            f"| RSS retained after a second round (KiB), {mem['sockets']} | "
            f"{mem['retained_after_second_round_kib']} | "
            f"{results['one']['idle_memory'][i]['retained_after_second_round_kib']} | | | |"
        )
    for name in ("bare", "one", "two"):
        if results.get(name):
            loss = results[name]["loss_at_80pct"]
            lines.append(
                f"| lost / reordered at 80% load ({name}) | {loss['lost']} / {loss['reordered']} of {loss['sent']} | | | | |"
            )
    if results.get("two"):
        per_frame = [r.get("redis_commands_per_frame") for r in results["two"]["throughput"]]
        lines.append(f"| Redis commands per relayed frame (2 daphne) | | | | {per_frame} | |")
    return "\n".join(lines)


def parse_args(doc: str) -> argparse.Namespace:
    """The options every server benchmark here takes."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run in seconds")
    parser.add_argument(
        "--redis",
        default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3"),
        help="Redis for the two-process run ('' to skip it)",
    )
    parser.add_argument("--out", default=str(ROOT / "bench" / "results"), help="folder for JSON and markdown")
    parser.add_argument(
        "--nginx",
        action="store_true",
        help="flood.py: clients connect through nginx (deploy/nginx, TLS, its per-address limits) in front of daphne",
    )
    return parser.parse_args()


def server_env(*, rate_burst: int, rate_per_s: float) -> dict[str, str]:
    """The environment of the bench's daphne processes: a fresh SQLite database, production
    settings but for the socket rate limit given."""
    workdir = Path(tempfile.mkdtemp(prefix="vvc-bench-"))
    return {
        "PATH": os.environ["PATH"],
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "WS_RATE_BURST": str(rate_burst),
        "WS_RATE_PER_S": str(rate_per_s),
        # Timers are not what is measured; the calls made for the run must not expire under it.
        "CALL_TIMERS_IN_PROCESS": "false",
    }


def run_header() -> dict[str, str]:
    """When and on what a run was measured."""
    return {
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
    }


def write_results(args: argparse.Namespace, name: str, results: dict, table: str) -> None:
    """NAME.json and NAME.md (NAME-quick.* for --quick runs) in --out; the table is printed too."""
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{name}-quick" if args.quick else name
    (out / f"{stem}.json").write_text(json.dumps(results, indent=2))
    (out / f"{stem}.md").write_text(table + "\n")
    print(table)


def main() -> int:
    args = parse_args(__doc__)
    raise_fd_limit()
    if args.quick:
        sizes = {"pairs": [1, 2], "round_trips": 50, "seconds": 1.0, "window": 2, "loss_pairs": 2, "idle": [20]}
    else:
        sizes = {
            "pairs": [1, 20, 200],
            "round_trips": 2000,
            "seconds": 3.0,
            "window": 4,
            "loss_pairs": 20,
            "idle": [1000, 5000],
        }

    # The relay path is what is measured: the rate limit is opened wide.
    env = server_env(rate_burst=1_000_000, rate_per_s=1_000_000)
    data = prepare_database(env, max(sizes["pairs"]), max(sizes["idle"]))
    results: dict = {
        **run_header(),
        "sizes": sizes,
    }
    # Every server runs for the whole run (the ones not being measured sit idle), so the round
    # trips can be measured side by side.
    servers: dict[str, Server] = {}
    try:
        servers["bare"] = start_bare()
        servers["one"] = start_daphne(env, 1, "project, 1 daphne, in-memory")
        if args.redis:
            import redis

            redis.Redis.from_url(args.redis).flushdb()
            servers["two"] = start_daphne({**env, "REDIS_URL": args.redis}, 2, "project, 2 daphne + Redis")
        round_trip = asyncio.run(side_by_side_round_trips(servers, data, sizes["round_trips"]))
        print("round trips: done", file=sys.stderr)
        for kind, server in servers.items():
            redis_url = args.redis if kind == "two" else None
            results[kind] = {
                **asyncio.run(measure(kind, server, data, sizes, redis_url)),
                "round_trip": round_trip[kind],
            }
            print(f"{kind}: done", file=sys.stderr)
    finally:
        for server in servers.values():
            server.stop()
    write_results(args, "signaling", results, markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
