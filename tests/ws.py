"""Helpers to drive the real ASGI application's sockets in tests."""

from __future__ import annotations

import asyncio
import json

from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from accounts.models import User
from calls.push import as_json
from consoleproj.asgi import application

from .factories import PASSWORD

ORIGIN = (b"origin", b"http://127.0.0.1:8000")
HOST = (b"host", b"127.0.0.1:8000")


def session_cookie(user: User) -> bytes:
    client = Client()
    assert client.login(email=user.email, password=PASSWORD)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()


class Socket:
    """A connected test socket that remembers every frame it received."""

    def __init__(self, communicator: WebsocketCommunicator):
        self.communicator = communicator
        self.seen: list[dict] = []

    async def send(self, frame: dict) -> None:
        await self.communicator.send_to(text_data=json.dumps(frame))

    async def recv(self, timeout: float = 3) -> dict:
        frame = await self.communicator.receive_json_from(timeout=timeout)
        # Every frame must survive a JSON round trip unchanged (no non-JSON types leak out).
        assert as_json(frame) == frame
        self.seen.append(frame)
        return frame

    async def until(self, frame_type: str, *, timeout: float = 3, **match) -> dict:
        """The next frame of `frame_type` (whose call/state fields match), skipping others."""
        while True:
            frame = await self.recv(timeout)
            if frame["type"] != frame_type:
                continue
            if "state" in match and frame.get("call", {}).get("state") != match["state"]:
                continue
            return frame

    async def request(self, frame: dict, frame_id: str = "r1") -> dict:
        """Send a frame with an id and return the answer (`ok` or `error`) carrying `re`."""
        await self.send({**frame, "id": frame_id})
        while True:
            answer = await self.recv()
            if answer.get("re") == frame_id and answer["type"] in {"ok", "error", "call.ice"}:
                return answer

    async def nothing(self, timeout: float = 0.3) -> bool:
        return await self.communicator.receive_nothing(timeout=timeout)

    async def close(self) -> None:
        await self.communicator.disconnect()


async def app_finished(communicator: WebsocketCommunicator, timeout: float = 3) -> None:
    """After the application closed its socket, the server answers with `websocket.disconnect` (as
    daphne does); fail unless the application then returns, cleanly, within `timeout`.

    `communicator.wait()` is not enough: on a timeout it cancels the application and returns
    without raising (asgiref swallows the cancellation, and with it its own timeout).
    """
    if not communicator.future.done():
        await communicator.send_input({"type": "websocket.disconnect", "code": 1000})
    done, _ = await asyncio.wait({communicator.future}, timeout=timeout)
    assert done, f"the socket's application was still running after {timeout}s"
    communicator.future.result()  # re-raises what the application raised, if anything


async def agent_socket(user: User, *, origin: tuple[bytes, bytes] = ORIGIN) -> tuple[Socket, dict]:
    cookie = await sync_to_async(session_cookie)(user)
    communicator = WebsocketCommunicator(application, "/ws/agent/", headers=[origin, HOST, (b"cookie", cookie)])
    connected, _ = await communicator.connect()
    assert connected
    socket = Socket(communicator)
    hello = await socket.recv()
    assert hello["type"] == "hello", hello
    return socket, hello


async def consumer_socket(token: str) -> tuple[Socket, dict]:
    communicator = WebsocketCommunicator(application, f"/ws/consumer/?token={token}", headers=[ORIGIN, HOST])
    connected, _ = await communicator.connect()
    assert connected
    socket = Socket(communicator)
    hello = await socket.recv()
    assert hello["type"] == "hello", hello
    return socket, hello


async def refused_code(path: str, headers: list[tuple[bytes, bytes]]) -> int | None:
    """The close code a refused socket gets (None when the handshake itself was rejected)."""
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await communicator.connect()
    if not connected:
        return None
    message = await communicator.receive_output(timeout=2)
    await communicator.disconnect()
    assert message["type"] == "websocket.close"
    return message.get("code")
