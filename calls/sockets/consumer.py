"""`/ws/consumer/?token=T`: the consumer of one conversation (T from POST /api/v1/conversations/)."""

from __future__ import annotations

import logging
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from django.conf import settings

from calls import commands, services
from calls.handoff_links import handoff_url, public_base, qr_data_uri
from calls.models import Call, Conversation
from calls.push import account_consumers_group, agent_group, consumer_group
from calls.schemas import CallAccept, CallHandoffAsk, CallReadiness, CallRef, CallShareDecline, ConsumerMessage
from calls.selectors import consumer_hello, consumer_settings
from calls.tokens import read_consumer_token

from . import relay
from .base import CLOSE_FLOODING, CLOSE_FORBIDDEN, CLOSE_NOT_AUTHENTICATED
from .limits import flood_banned
from .party import MEDIA_STATES, PartySocket

logger = logging.getLogger(__name__)


def answer_unless_expired(call: Call) -> dict:
    """`ok` {call_id}, or `expired` for an invitation the command found past its deadline (and ended
    as missed in the same transaction: no timer needed)."""
    if call.state == Call.State.EXPIRED:
        return commands.refusal("expired", "The invitation expired before it was answered.")
    return {"call_id": call.pk}


class ConsumerSocket(PartySocket):
    """The consumer's socket: the conversation's messages and the consumer's side of its calls."""

    party = "consumer"

    async def connect(self) -> None:
        query = parse_qs(self.scope.get("query_string", b"").decode("latin1"))
        token = (query.get("token") or [""])[0]
        found = read_consumer_token(token) if token else None
        if found is None:
            await self.refuse(CLOSE_NOT_AUTHENTICATED)
            return
        if flood_banned(consumer_group(found[0])):
            await self.refuse(CLOSE_FLOODING)  # before any database work: a flooder reconnects at once
            return
        conversation = await database_sync_to_async(
            Conversation.objects.select_related("account").filter(pk=found[0], account_id=found[1]).first
        )()
        if conversation is None or not conversation.account.active:
            await self.refuse(CLOSE_FORBIDDEN)
            return
        self.conversation = conversation
        self.device = found[2]  # 0, or the handoff whose phone this is (Continue on my phone)
        self.principal = consumer_group(conversation.pk)
        refusal = self.reserve(consumer_group(conversation.pk), settings.WS_MAX_SOCKETS_PER_CONVERSATION)
        if refusal is not None:
            await self.refuse(refusal)
            return
        try:
            # The account's group too: a pause closes the account's consumer sockets (access_recheck).
            await self.begin([consumer_group(conversation.pk), account_consumers_group(conversation.account_id)])
            hello = await database_sync_to_async(consumer_hello)(conversation=conversation, device=self.device)
        except Exception:
            await self.fail_handshake()
            return
        self.remember_call(hello["call"])
        await self.send_frame(hello)
        if hello["call"] is not None and hello["call"]["id"] in self.calls:
            await self.tell_agent_connection(hello["call"], "back")

    def held_elsewhere(self, call: dict) -> bool:
        """An answered call held by another device of this consumer (it moved to the phone, or the
        phone answered it). An invitation belongs to no device yet: every device may answer it."""
        return call.get("answered_at") is not None and call.get("consumer_device", 0) != self.device

    def remember_call(self, call: dict | None) -> None:
        """Only the calls this device holds: a call that moved to the consumer's phone is not this
        computer's any more (no lease renewed, no relay, no command on it)."""
        if call is not None and self.held_elsewhere(call):
            self.calls.pop(call["id"], None)
            return
        super().remember_call(call)

    def pushed(self, frame: dict) -> None:
        if frame.get("type") in ("call.state", "call.moved"):
            self.remember_call(frame["call"])

    async def send_frame(self, frame: dict) -> None:
        """A `call.state` of a call held by another device of this consumer goes out without its
        per-side extras (ICE credentials are for the device in the call), marked `moved`. (Relays
        never pass here: their path is untouched.)"""
        if frame.get("type") == "call.state" and self.held_elsewhere(frame["call"]):
            frame = {"type": "call.state", "call": frame["call"], "moved": True}
        await super().send_frame(frame)

    async def clean_up(self) -> None:
        registered = not getattr(self, "cleaned_up", False) and hasattr(self, "groups_joined")
        await super().clean_up()
        if not registered or any(
            s.device == self.device for s in relay.local_members(consumer_group(self.conversation.pk))
        ):
            return  # another socket of this consumer's device (a tab) is still here
        for call_id, call in list(self.calls.items()):
            if call["state"] in MEDIA_STATES:
                await self.tell_agent_connection({"id": call_id, **call}, "reconnecting")

    async def tell_agent_connection(self, call: dict | None, connection: str) -> None:
        """`call.peer` to the agent: the consumer's socket went during the call (`reconnecting`: a
        reload, a network change; the call lives on for the reconnect grace) or came back (`back`).
        Best effort: a lost frame only leaves the workspace's note as it was."""
        if call is None or call.get("state") not in MEDIA_STATES or not call.get("agent_id"):
            return
        frame = {"type": "call.peer", "call_id": call["id"], "party": "consumer", "connection": connection}
        try:
            await relay.relay(self, self.peer_groups(call), frame)
        except Exception:
            logger.info("telling the agent that the consumer is %s failed", connection, exc_info=True)

    async def access_recheck(self, event: dict) -> None:
        """The account changed: close with 4403 if it was paused (its conversations are paused), as
        the account's agent sockets are."""
        if getattr(self, "refused", True):
            return
        active = await database_sync_to_async(
            Conversation.objects.filter(pk=self.conversation.pk, account__active=True).exists
        )()
        if not active:
            self.refused = True
            await self.close(code=CLOSE_FORBIDDEN)

    def party_kwargs(self) -> dict:
        return {"conversation_id": self.conversation.pk, "device": self.device}

    async def settings_changed(self, event: dict) -> None:
        """Support changed the account's settings: the kill switches, texts and style, in this locale."""
        if getattr(self, "refused", True):
            return
        await self.send_frame(await database_sync_to_async(consumer_settings)(conversation_id=self.conversation.pk))

    def peer_groups(self, call: dict) -> list[str]:
        return [agent_group(call["agent_id"])] if call.get("agent_id") else []

    async def on_message(self, frame, raw) -> dict:
        return await self.once(
            frame,
            lambda: {
                "message_id": services.message_send(
                    conversation_id=self.conversation.pk, party="consumer", text=frame.text
                ).pk
            },
        )

    async def on_accept(self, frame, raw) -> dict:
        client = services.ClientInfo(**frame.client.model_dump())
        accepted: list[Call] = []

        def run() -> dict:
            call = services.call_accept(
                conversation_id=self.conversation.pk,
                call_id=frame.call_id,
                client=client,
                audio_only=frame.audio_only,
                device=self.device,
            )
            accepted.append(call)
            return answer_unless_expired(call)

        answer = await self.once(frame, run)
        known = self.calls.get(frame.call_id)
        if accepted and accepted[0].state == Call.State.CONNECTING and known is not None:
            # The window answers the agent's early offer right after this `ok`: its signals may go
            # before the pushed `connecting` frame reaches this socket.
            known["state"] = Call.State.CONNECTING
        return answer

    async def on_readiness(self, frame, raw) -> dict:
        """Readiness before accept: the window's facts; the answer carries the causes the server found."""
        client = services.ClientInfo(**frame.client.model_dump())

        def run() -> dict:
            call, causes = services.call_readiness_report(
                conversation_id=self.conversation.pk,
                call_id=frame.call_id,
                client=client,
                stun=frame.network.stun,
                turn=frame.network.turn,
            )
            answer = answer_unless_expired(call)
            return answer if "error" in answer else {**answer, "causes": causes}

        return await self.once(frame, run)

    async def on_reject(self, frame, raw) -> dict:
        return await self.once(
            frame,
            lambda: answer_unless_expired(
                services.call_reject(conversation_id=self.conversation.pk, call_id=frame.call_id)
            ),
        )

    async def on_handoff(self, frame, raw) -> dict:
        """Continue on my phone: a new one-time code for this call, as a link and a QR code. Not kept
        under an idempotency key (the answer holds the code, which is never stored): a resend makes a
        new code, and the earlier one stops working."""
        headers = dict(self.scope.get("headers") or [])
        base = public_base(headers.get(b"host", b"").decode("latin1"), secure=self.scope.get("scheme") == "wss")
        if base is None:
            raise services.CallError("bad_request", "This socket's host is not one of the platform's.")
        created = await database_sync_to_async(services.call_handoff_create)(
            call_id=frame.call_id, conversation_id=self.conversation.pk, device=self.device
        )
        url = handoff_url(base, created.code)
        return {
            "call_id": frame.call_id,
            "code": services.display_code(created.code),
            "url": url,
            "qr": qr_data_uri(url),
            "expires_at": created.handoff.expires_at,
            "ttl_s": settings.CALL_HANDOFF_TTL_S,
        }

    async def on_share_decline(self, frame, raw) -> dict:
        """No to the agent's request to see the screen (or this device or browser could not share)."""
        call = self.media_call(frame.call_id)

        def run() -> dict:
            services.call_share_decline(
                call_id=frame.call_id, conversation_id=self.conversation.pk, reason=frame.reason, device=self.device
            )
            return {}

        answer = await self.once(frame, run)
        relayed = {"type": "call.share.decline", "call_id": frame.call_id, "from": "consumer", "reason": frame.reason}
        await self.relay_written(call, relayed)
        return answer

    frames = {
        "message.send": (ConsumerMessage, on_message),
        "call.accept": (CallAccept, on_accept),
        "call.reject": (CallRef, on_reject),
        "call.readiness": (CallReadiness, on_readiness),
        "call.handoff": (CallHandoffAsk, on_handoff),
        "call.share.decline": (CallShareDecline, on_share_decline),
        **PartySocket.call_frames,
    }


# The schema of each frame type a consumer may send (what the protocol documents and the fuzz tests use).
CONSUMER_FRAMES = {frame_type: schema for frame_type, (schema, _) in ConsumerSocket.frames.items()}
