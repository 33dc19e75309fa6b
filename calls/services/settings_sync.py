"""Support changed an account's call settings, profiles or an agent's profiles: open sockets follow at once.

After the change commits, ringing invitations of a media the inviting agent may no longer use (a kill
switch off, a grant withdrawn, a profile taken away) are cancelled with reason `media_disabled`, and
every open agent and consumer socket of the account gets a fresh `settings` frame (docs/protocol.md).
The next invitation reads texts and ICE policy from the database when it is sent, so it is new anyway.
"""

from __future__ import annotations

import logging
from typing import cast

from django.db import transaction

from calls.models import Call
from calls.push import settings_changed
from settings_profiles.services import Media, media_decision

from .common import State, _settings_of
from .transitions import _transition

logger = logging.getLogger(__name__)

MEDIA_DISABLED = "media_disabled"


@transaction.atomic
def call_cancel_withdrawn(*, account_id: int) -> list[int]:
    """Cancel the account's ringing calls whose agent may no longer use the call's media; their ids."""
    call_settings = _settings_of(account_id)
    ringing = (
        Call.objects.select_for_update(of=("self",))
        .select_related("conversation", "agent")
        .filter(account_id=account_id, state=State.RINGING)
        .order_by("pk")
    )
    cancelled = []
    for call in ringing:
        profiles = list(call.agent.profiles.all()) if call.agent else []
        allowed = (
            call.agent is not None
            and media_decision(
                user=call.agent, call_settings=call_settings, profiles=profiles, media=cast(Media, call.media)
            ).allowed
        )
        if not allowed:
            _transition(call, State.CANCELLED, actor="system", reason=MEDIA_DISABLED)
            cancelled.append(call.pk)
    return cancelled


def account_settings_changed(*, account_id: int) -> None:
    """Once the current transaction commits: cancel withdrawn invitations, then push `settings`."""

    def follow() -> None:
        try:
            call_cancel_withdrawn(account_id=account_id)
        finally:
            settings_changed(account_id)

    transaction.on_commit(follow, robust=True)
