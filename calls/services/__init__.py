"""The call domain's writes: the ONE place a Conversation, Message or Call row changes.

The sockets, API views and Celery tasks only call these functions (keyword-only, `<entity>_<action>`,
each in one transaction, its frames pushed after commit). By concern:

- `transitions`: the call state machine (the only writer of Call.state) and the call timers.
- `call_commands`: what each side of a call asks for (invite, accept, reject, hang up, ...).
- `conversations`: routing, the conversation commands, messages, and the presence leases.
- `texts`: the transcript's system lines, failure texts, the invitation, per-side frame extras.
- `settings_sync`: support changed settings: withdrawn invitations cancelled, open sockets told.
- `handoffs`: Continue on my phone: one-time codes that move the consumer's side of a call.
- `common`: the refusal (`CallError`) and helpers the others share.
"""

from .call_commands import (
    STATS_KEYS,
    ClientInfo,
    call_accept,
    call_connected,
    call_hangup,
    call_ice_refresh,
    call_invite,
    call_media_change,
    call_reject,
    call_stats_sample,
)
from .common import MAX_MESSAGE_LENGTH, CallError, Party, State
from .conversations import (
    agent_connection_close,
    agent_connection_open,
    conversation_close,
    conversation_create,
    conversation_start,
    conversation_take,
    conversation_transfer,
    message_send,
    presence_renew,
)
from .handoffs import (
    HandoffRefused,
    PhoneClient,
    call_handoff_claim,
    call_handoff_create,
    display_code,
    handoff_of_code,
    handoff_problem,
)
from .settings_sync import MEDIA_DISABLED, account_settings_changed, call_cancel_withdrawn
from .texts import FAILURE_REASONS, SYSTEM_TEXT, error_text, invitation_for, participant_name, side_extras
from .transitions import ALLOWED, TERMINAL, call_fire_timers, call_sweep

__all__ = [
    "MEDIA_DISABLED",
    "account_settings_changed",
    "call_cancel_withdrawn",
    "ALLOWED",
    "FAILURE_REASONS",
    "MAX_MESSAGE_LENGTH",
    "STATS_KEYS",
    "SYSTEM_TEXT",
    "TERMINAL",
    "CallError",
    "HandoffRefused",
    "PhoneClient",
    "call_handoff_claim",
    "call_handoff_create",
    "display_code",
    "handoff_of_code",
    "handoff_problem",
    "ClientInfo",
    "Party",
    "State",
    "agent_connection_close",
    "agent_connection_open",
    "call_accept",
    "call_connected",
    "call_fire_timers",
    "call_hangup",
    "call_ice_refresh",
    "call_invite",
    "call_media_change",
    "call_reject",
    "call_stats_sample",
    "call_sweep",
    "conversation_close",
    "conversation_create",
    "conversation_start",
    "conversation_take",
    "conversation_transfer",
    "error_text",
    "invitation_for",
    "message_send",
    "participant_name",
    "presence_renew",
    "side_extras",
]
