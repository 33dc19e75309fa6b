"""`/ws/agent/`: a logged-in agent (Django session; the Origin was checked by the ASGI stack)."""

from __future__ import annotations

import logging

from channels.db import database_sync_to_async
from django.conf import settings

from calls import services
from calls.push import account_agents_group, agent_group, consumer_group, user_access_group
from calls.schemas import (
    AgentMessage,
    CallInvite,
    CallRef,
    ConversationRef,
    ConversationTransfer,
)
from calls.selectors import agent_hello, agent_settings

from .base import CLOSE_FORBIDDEN, CLOSE_NOT_AUTHENTICATED
from .party import PartySocket

logger = logging.getLogger(__name__)


class AgentSocket(PartySocket):
    """An agent's socket: its conversations, the account's queue, and its side of calls."""

    party = "agent"

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.refuse(CLOSE_NOT_AUTHENTICATED)
            return
        account_active = user.account_id is not None and await database_sync_to_async(lambda: user.account.active)()
        if not user.is_active or not account_active:
            # No account (support staff), or a paused account: its conversations and calls are paused.
            await self.refuse(CLOSE_FORBIDDEN)
            return
        self.user = user
        self.principal = agent_group(user.pk)
        refusal = self.reserve(agent_group(user.pk), settings.WS_MAX_SOCKETS_PER_AGENT)
        if refusal is not None:
            await self.refuse(refusal)
            return
        try:
            await self.begin([agent_group(user.pk), account_agents_group(user.account_id), user_access_group(user.pk)])
            await database_sync_to_async(services.agent_connection_open)(agent=user, channel_name=self.channel_name)
            hello = await database_sync_to_async(agent_hello)(agent=user)
        except Exception:
            await self.fail_handshake()
            return
        self.remember_call(hello["call"])
        await self.send_frame(hello)

    async def clean_up(self) -> None:
        registered = not getattr(self, "cleaned_up", False) and hasattr(self, "groups_joined")
        await super().clean_up()
        if registered:
            try:
                await database_sync_to_async(services.agent_connection_close)(channel_name=self.channel_name)
            except Exception:  # the lease expires by itself
                logger.warning("closing an agent connection failed", exc_info=True)

    def party_kwargs(self) -> dict:
        return {"agent": self.user}

    def sender_extras(self) -> dict:
        return {"agent_name": self.user.display_name}

    async def settings_changed(self, event: dict) -> None:
        """Support changed the account's settings or profiles: the new permissions and texts."""
        if getattr(self, "refused", True):
            return
        await self.send_frame(await database_sync_to_async(agent_settings)(agent=self.user))

    def peer_groups(self, call: dict) -> list[str]:
        return [consumer_group(call["conversation_id"])]

    async def on_take(self, frame, raw) -> dict:
        return await self.once(
            frame,
            lambda: {
                "conversation_id": services.conversation_take(agent=self.user, conversation_id=frame.conversation_id).pk
            },
        )

    async def on_close(self, frame, raw) -> dict:
        return await self.once(
            frame,
            lambda: {
                "conversation_id": services.conversation_close(
                    agent=self.user, conversation_id=frame.conversation_id
                ).pk
            },
        )

    async def on_transfer(self, frame, raw) -> dict:
        def transfer() -> dict:
            conversation = services.conversation_transfer(
                agent=self.user, conversation_id=frame.conversation_id, to_agent_id=frame.to_agent_id
            )
            return {"conversation_id": conversation.pk, "state": conversation.state, "agent_id": conversation.agent_id}

        return await self.once(frame, transfer)

    async def on_message(self, frame, raw) -> dict:
        return await self.once(
            frame,
            lambda: {
                "message_id": services.message_send(
                    conversation_id=frame.conversation_id, party="agent", text=frame.text, agent=self.user
                ).pk
            },
        )

    async def on_invite(self, frame, raw) -> dict:
        return await self.once(
            frame,
            lambda: {
                "call_id": services.call_invite(
                    agent=self.user, conversation_id=frame.conversation_id, media=frame.media
                ).pk
            },
        )

    async def on_share_request(self, frame, raw) -> dict:
        """Ask the consumer to share their screen: the window shows the consent prompt."""
        call = self.media_call(frame.call_id)

        def run() -> dict:
            services.call_share_request(call_id=frame.call_id, agent=self.user)
            return {}

        answer = await self.once(frame, run)
        relayed = {"type": "call.share.request", "call_id": frame.call_id, "from": "agent", **self.sender_extras()}
        await self.relay_written(call, relayed)
        return answer

    frames = {
        "conversation.take": (ConversationRef, on_take),
        "conversation.close": (ConversationRef, on_close),
        "conversation.transfer": (ConversationTransfer, on_transfer),
        "message.send": (AgentMessage, on_message),
        "call.invite": (CallInvite, on_invite),
        "call.share.request": (CallRef, on_share_request),
        **PartySocket.call_frames,
    }


# The schema of each frame type an agent may send (what the protocol documents and the fuzz tests use).
AGENT_FRAMES = {frame_type: schema for frame_type, (schema, _) in AgentSocket.frames.items()}
