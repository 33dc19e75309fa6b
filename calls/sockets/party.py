"""A party to calls (the agent's or the consumer's socket): the call frames both sides send.

`call.signal` frames are relayed to the other side without touching the database: each socket keeps
the live calls it belongs to, learnt from `hello` and the `call.state` frames pushed to it, and
authorises relays from that. Nothing of a relayed frame (SDP, candidates) is logged or stored.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time

from channels.db import database_sync_to_async
from redis.exceptions import RedisError

from calls import commands, services
from calls.models import Call
from calls.schemas import CallHangup, CallMedia, CallRef, CallShare, CallSignal, CallStats
from calls.services.common import Party

from . import presence, relay
from .base import ANSWERED, Frame, Handler, Socket

logger = logging.getLogger(__name__)

MEDIA_STATES = {Call.State.CONNECTING, Call.State.ACTIVE}
# What an offer sent while the call rings must not hold: a candidate line, or a connection address
# other than the unspecified one that Chromium and Firefox write before any candidate is gathered.
ADDRESS_IN_SDP = re.compile(r"^(a=candidate:|c=IN IP[46] (?!0\.0\.0\.0\s*$|::\s*$))", re.MULTILINE)


class PartySocket(Socket):
    """The base, plus the live calls this side takes part in, its presence leases and relays."""

    party: Party  # "agent" or "consumer": the side of the call this socket speaks for
    call_frames: dict[str, tuple[type[Frame], Handler]] = {}  # the frames both sides send: below the class

    def prepare(self) -> None:
        self.calls: dict[int, dict] = {}  # live calls of this side: {call_id: {state, conversation_id, agent_id}}
        self.layer_is_local = relay.layer_is_local(self.channel_layer)
        self.relay_via_bus = relay.relays_via_bus(self.channel_layer)

    def accepted(self) -> None:
        relay.join_local(self, self.groups_joined)
        self.lease_renewed = time.monotonic()  # an agent socket's online lease was just opened
        presence.join(self)
        presence.ensure_process_sweeper()

    def forget(self, groups: list[str]) -> None:
        presence.leave(self)
        relay.leave_local(self, groups)

    def pushed(self, frame: dict) -> None:
        if frame.get("type") == "call.state":
            self.remember_call(frame["call"])

    def remember_call(self, call: dict | None) -> None:
        if call is None:
            return
        if call["state"] in Call.LIVE_STATES:
            known = self.calls.get(call["id"])
            self.calls[call["id"]] = {k: call[k] for k in ("state", "conversation_id", "agent_id")}
            if call["state"] in MEDIA_STATES and (known is None or known["state"] not in MEDIA_STATES):
                presence.soon()  # this side's lease from now on, not from the next period
        else:
            self.calls.pop(call["id"], None)

    def party_kwargs(self) -> dict:
        raise NotImplementedError

    def sender_extras(self) -> dict:
        """What a relayed share frame says about its sender (the agent's name, for the consumer's words)."""
        return {}

    def peer_groups(self, call: dict) -> list[str]:
        raise NotImplementedError

    def media_call(self, call_id: int) -> dict:
        call = self.calls.get(call_id)
        if call is None:
            raise services.CallError("not_found", "No such call.")
        if call["state"] not in MEDIA_STATES:
            raise services.CallError("invalid_state", f"The call is {call['state']}.")
        return call

    def relay_failed(self, sent: asyncio.Future) -> None:
        """A fire-and-forget relay Redis did not take: the sender hears `unavailable`, as it would
        have for an acknowledged one."""
        if sent.cancelled() or sent.exception() is None:
            return
        # During an outage every trickled candidate fails: one report a second per socket is enough
        # for the client to know (and the layer watch closes the sockets if Redis stays gone).
        now = time.monotonic()
        if getattr(self, "cleaned_up", False) or now - getattr(self, "relay_failure_reported", -1e9) < 1:
            return
        self.relay_failure_reported = now
        logger.warning("channel layer unavailable for a relayed frame: %s", type(sent.exception()).__name__)
        relay.keep_until_done(asyncio.get_running_loop().create_task(self.report_unavailable()))

    async def report_unavailable(self) -> None:
        try:
            await self.send_error("unavailable", "The service is briefly unavailable; try again.")
        except Exception:  # the socket is closing: nothing to tell
            logger.debug("reporting a failed relay to a closing socket failed", exc_info=True)

    # --- call frames shared by both sides ---------------------------------------------------------

    principal: str  # who sends this socket's commands, for their idempotency keys

    async def once(self, frame, run) -> dict:
        """Apply a command that writes at most once per its `key` (calls/commands.py): `run`, in the
        database thread, makes the service calls and returns the `ok` fields (or a refusal)."""
        return await database_sync_to_async(commands.command_once)(
            principal=self.principal, key=getattr(frame, "key", None), command=frame.type, run=run
        )

    def signal_call(self, frame) -> dict:
        """The call a `call.signal` may be relayed for: one in `connecting` or `active`, or, while it
        rings, the agent's offer without any address (docs/protocol.md, "Setup while ringing")."""
        call = self.calls.get(frame.call_id)
        if call is None or call["state"] != Call.State.RINGING or self.party != "agent":
            return self.media_call(frame.call_id)
        sdp = frame.signal.sdp
        if sdp is None or sdp.type != "offer":
            raise services.CallError(
                "invalid_state", "While the call rings only the agent's offer may go; candidates wait for the accept."
            )
        if ADDRESS_IN_SDP.search(sdp.sdp):
            raise services.CallError(
                "invalid_state", "An offer sent while the call rings may not carry candidates or addresses."
            )
        return call

    async def on_signal(self, frame, raw) -> None:
        call = self.signal_call(frame)
        # Relayed verbatim (the validated client dict), never stored or logged. The browsers send
        # signals without `id` (fire and forget), so they do not wait for Redis.
        await relay.relay(
            self,
            self.peer_groups(call),
            {"type": "call.signal", "call_id": frame.call_id, "from": self.party, "signal": raw["signal"]},
            acknowledged=frame.id is not None,
        )

    async def on_media(self, frame, raw) -> dict:
        call = self.media_call(frame.call_id)

        def run() -> dict:
            services.call_media_change(
                call_id=frame.call_id,
                party=self.party,
                audio=frame.audio,
                video=frame.video,
                camera=frame.camera,
                **self.party_kwargs(),
            )
            return {}

        answer = await self.once(frame, run)
        relayed = {
            "type": "call.media",
            "call_id": frame.call_id,
            "from": self.party,
            "audio": frame.audio,
            "video": frame.video,
            "camera": frame.camera,
        }
        await self.relay_written(call, relayed)
        return answer

    async def relay_written(self, call: dict, relayed: dict) -> None:
        """Relay a frame whose change is written (`call.media`, the share frames) to the other side."""
        try:
            await relay.relay(self, self.peer_groups(call), relayed)
        except RedisError as exc:
            # The change is written: not `unavailable` (a resend would be a second change). The peer
            # misses this relay as it would any frame of an outage; its next `hello` carries the state.
            logger.warning("relaying a written %s failed: %s", relayed["type"], type(exc).__name__)

    async def on_share(self, frame, raw) -> dict:
        """Start or stop sharing a screen (services/share.py), then tell the other side."""
        call = self.media_call(frame.call_id)

        def run() -> dict:
            services.call_share_set(
                call_id=frame.call_id,
                party=self.party,
                sharing=frame.sharing,
                surface=frame.surface,
                **self.party_kwargs(),
            )
            return {}

        answer = await self.once(frame, run)
        relayed = {"type": "call.share", "call_id": frame.call_id, "from": self.party, "sharing": frame.sharing}
        await self.relay_written(call, {**relayed, "surface": frame.surface, **self.sender_extras()})
        return answer

    async def on_stats(self, frame, raw) -> dict:
        self.media_call(frame.call_id)
        stats = frame.stats.model_dump(exclude_none=True)

        def run() -> dict:
            services.call_stats_sample(call_id=frame.call_id, party=self.party, stats=stats, **self.party_kwargs())
            return {}

        return await self.once(frame, run)

    async def on_connected(self, frame, raw) -> dict:
        def run() -> dict:
            services.call_connected(call_id=frame.call_id, party=self.party, **self.party_kwargs())
            return {}

        return await self.once(frame, run)

    async def on_ice(self, frame, raw) -> object:
        ice = await database_sync_to_async(services.call_ice_refresh)(
            call_id=frame.call_id, party=self.party, **self.party_kwargs()
        )
        await self.send_frame(
            {
                "type": "call.ice",
                "call_id": frame.call_id,
                "ice": ice,
                **({"re": frame.id} if frame.id is not None else {}),
            }
        )
        return ANSWERED

    async def on_hangup(self, frame, raw) -> dict:
        def run() -> dict:
            services.call_hangup(
                call_id=frame.call_id, party=self.party, reason=frame.reason or "", **self.party_kwargs()
            )
            return {}

        return await self.once(frame, run)


# The call frames both sides send, each with its schema and handler; each role's `frames` table adds them.
PartySocket.call_frames = {
    "call.signal": (CallSignal, PartySocket.on_signal),
    "call.connected": (CallRef, PartySocket.on_connected),
    "call.media": (CallMedia, PartySocket.on_media),
    "call.stats": (CallStats, PartySocket.on_stats),
    "call.ice": (CallRef, PartySocket.on_ice),
    "call.hangup": (CallHangup, PartySocket.on_hangup),
    "call.share": (CallShare, PartySocket.on_share),
}
