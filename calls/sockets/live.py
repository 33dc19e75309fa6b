"""`/ws/live/`: an account admin's live panel (the reports page).

It only listens: every call transition of the account arrives as `call.live` {call} (the call
object, no session data), and the page refreshes its list. Agents and support get 4403; frames from
the page are refused (and rate limited like any socket's). One admin holds at most
WS_MAX_SOCKETS_PER_AGENT of them per process (4429 beyond). It registers no agent presence, so an
admin watching reports is not routed conversations.
"""

from __future__ import annotations

import json

from channels.db import database_sync_to_async
from django.conf import settings

from calls.push import account_live_group, user_access_group

from .base import CLOSE_FORBIDDEN, CLOSE_NOT_AUTHENTICATED, Socket

LISTENS_ONLY = json.dumps({"type": "error", "code": "unknown_type", "message": "The live panel socket only listens."})


class LivePanelSocket(Socket):
    party = "live panel"
    frames = {}  # it sends nothing: every frame is answered `unknown_type`
    admin_only = True

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.refuse(CLOSE_NOT_AUTHENTICATED)
            return
        active = await database_sync_to_async(
            lambda: user.is_account_admin and user.is_active and user.account.active
        )()
        if not active:
            await self.refuse(CLOSE_FORBIDDEN)
            return
        self.user = user
        refusal = self.reserve(f"live.{user.pk}", settings.WS_MAX_SOCKETS_PER_AGENT)
        if refusal is not None:
            await self.refuse(refusal)
            return
        try:
            await self.begin([account_live_group(user.account_id), user_access_group(user.pk)])
        except Exception:
            await self.fail_handshake()
            return
        await self.send(text_data=json.dumps({"type": "hello", "role": "live"}))

    async def handle(self, text_data: str | None, bytes_data: bytes | None) -> None:
        await self.send(text_data=LISTENS_ONLY)
