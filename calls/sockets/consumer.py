"""`/ws/consumer/?token=T`: the consumer of one conversation (T from POST /api/v1/conversations/)."""

from __future__ import annotations

import logging
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from django.conf import settings

from calls import commands, services
from calls.models import Call, Conversation
from calls.push import account_consumers_group, agent_group, consumer_group
from calls.schemas import CallAccept, CallReadiness, CallRef, ConsumerMessage
from calls.selectors import consumer_hello, consumer_settings
from calls.tokens import conversation_id_from_token

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
        found = conversation_id_from_token(token) if token else None
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
        self.principal = consumer_group(conversation.pk)
        refusal = self.reserve(consumer_group(conversation.pk), settings.WS_MAX_SOCKETS_PER_CONVERSATION)
        if refusal is not None:
            await self.refuse(refusal)
            return
        try:
            # The account's group too: a pause closes the account's consumer sockets (access_recheck).
            await self.begin([consumer_group(conversation.pk), account_consumers_group(conversation.account_id)])
            hello = await database_sync_to_async(consumer_hello)(conversation=conversation)
        except Exception:
            await self.fail_handshake()
            return
        self.remember_call(hello["call"])
        await self.send_frame(hello)
        await self.tell_agent_connection(hello["call"], "back")

    async def clean_up(self) -> None:
        registered = not getattr(self, "cleaned_up", False) and hasattr(self, "groups_joined")
        await super().clean_up()
        if not registered or relay.local_members(consumer_group(self.conversation.pk)):
            return  # another socket of this consumer (a tab) is still here
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
        return {"conversation_id": self.conversation.pk}

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
        return await self.once(
            frame,
            lambda: answer_unless_expired(
                services.call_accept(
                    conversation_id=self.conversation.pk,
                    call_id=frame.call_id,
                    client=client,
                    audio_only=frame.audio_only,
                )
            ),
        )

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

    frames = {
        "message.send": (ConsumerMessage, on_message),
        "call.accept": (CallAccept, on_accept),
        "call.reject": (CallRef, on_reject),
        "call.readiness": (CallReadiness, on_readiness),
        **PartySocket.call_frames,
    }


# The schema of each frame type a consumer may send (what the protocol documents and the fuzz tests use).
CONSUMER_FRAMES = {frame_type: schema for frame_type, (schema, _) in ConsumerSocket.frames.items()}
