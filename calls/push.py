"""Frames pushed to sockets. Everything is sent after the surrounding transaction commits.

Groups: `agent.<user id>` (every socket of one agent), `account.<id>.agents` (every agent socket of
an account: queue changes), `conversation.<id>.consumer` (the consumer's sockets of one conversation),
`account.<id>.live` (the account admins' live panels: call states, never session data).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

logger = logging.getLogger(__name__)


def agent_group(user_id: int) -> str:
    return f"agent.{user_id}"


def account_agents_group(account_id: int) -> str:
    return f"account.{account_id}.agents"


def account_consumers_group(account_id: int) -> str:
    """Every consumer socket of an account: told to re-check when the account is paused."""
    return f"account.{account_id}.consumers"


def account_live_group(account_id: int) -> str:
    return f"account.{account_id}.live"


def user_access_group(user_id: int) -> str:
    """The sockets one user holds (agent sockets, live panels): told to re-check their access."""
    return f"user.{user_id}.access"


def recheck_access(groups: list[str]) -> None:
    """After the current transaction commits, the sockets in `groups` re-read whether their user may
    still hold them (deactivated, demoted, account paused) and close if not."""

    def _send() -> None:
        layer = get_channel_layer()
        for group in groups:
            async_to_sync(layer.group_send)(group, {"type": "access.recheck"})

    transaction.on_commit(_send, robust=True)


def consumer_group(conversation_id: int) -> str:
    return f"conversation.{conversation_id}.consumer"


def as_json(frame: dict) -> dict:
    """The frame as it will travel: only JSON types (datetimes as ISO strings)."""
    return json.loads(json.dumps(frame, cls=DjangoJSONEncoder))


def send_now(groups: list[str], frame: dict) -> None:
    layer = get_channel_layer()
    message = {"type": "deliver", "frame": as_json(frame)}
    for group in groups:
        async_to_sync(layer.group_send)(group, message)


def after_commit(send: Callable[[], None], what: str) -> None:
    """Run `send` (a publish, a task to queue) once the current transaction commits; a failure is
    logged and swallowed. The writes are committed by then, so a failed side effect must neither
    reach the client as `unavailable` (its resend would write twice) nor skip the callbacks after
    it (the other side's `call.state`, the timer): peers that missed a frame get the truth in their
    next `hello`, and the sweeps fire the deadlines whatever happened to a countdown."""

    def _guarded() -> None:
        try:
            send()
        except Exception as exc:  # Redis or the broker down: the writes stand, see above
            logger.warning("after commit, %s failed: %s", what, type(exc).__name__)

    transaction.on_commit(_guarded)


def publish(groups: list[str], frame: dict) -> None:
    """Send `frame` to `groups` once the current transaction commits (at once outside one)."""
    frame = as_json(frame)
    after_commit(lambda: send_now(groups, frame), f"publishing a {frame.get('type')} frame")


def publish_built(build: Callable[[], list[tuple[list[str], dict]]]) -> None:
    """Build frames at commit time (used for per-side frames that carry freshly minted credentials,
    which must exist only in flight) and send them."""

    def _send() -> None:
        for groups, frame in build():
            try:
                send_now(groups, frame)
            except Exception as exc:  # one side's frame lost must not lose the other side's
                logger.warning("after commit, publishing a %s frame failed: %s", frame.get("type"), type(exc).__name__)

    after_commit(_send, "building per-side frames")
