"""The baseline: a bare `websockets` relay with no framework, no auth, no validation.

Two clients of a pair connect to /pair/<n>/a and /pair/<n>/b; whatever one sends, the other gets.
Run: python bench/bare_relay.py PORT
"""

from __future__ import annotations

import asyncio
import sys

import websockets

peers: dict[tuple[str, str], websockets.ServerConnection] = {}


async def handler(ws: websockets.ServerConnection) -> None:
    _, _, pair, side = ws.request.path.split("/", 3)
    other = "b" if side == "a" else "a"
    peers[(pair, side)] = ws
    try:
        async for message in ws:
            target = peers.get((pair, other))
            if target is not None:
                await target.send(message)
    finally:
        peers.pop((pair, side), None)


async def main(port: int) -> None:
    async with websockets.serve(handler, "127.0.0.1", port, compression=None, max_size=2**16, max_queue=None):
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
