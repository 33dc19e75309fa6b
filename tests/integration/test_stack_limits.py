"""nginx's socket handshake limits (deploy/nginx/vvc-site.conf.in), through the real proxy.

GIVEN the stack (nginx with TLS in front of a daphne process, production settings)
WHEN one consumer token opens socket after socket as fast as it can, from one address
THEN nginx lets its first 11 handshakes through (a burst of 10 and one a second) and refuses the
     next ones with 429 before daphne sees them; another conversation's token from the SAME address is
     let through at once (many people behind one contact centre's NAT are not held to one person's
     share); an agent's session cookie is a credential of its own in the same way.
What the limits cost another call under a reconnecting flooder is measured by bench/flood.py --nginx.
"""

from __future__ import annotations

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from calls.models import Conversation
from calls.tokens import consumer_token_for
from tests.integration.servers import require_real_services
from tests.integration.stack import running_stack, self_signed_tls

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

CREDENTIAL_BURST = 10  # limit_req zone=vvc_ws_credential burst=10, rate 1r/s


def handshake(port: int, path: str, **headers: str) -> int:
    """One WebSocket handshake through nginx: its HTTP status (101 when let through)."""
    try:
        with connect(
            f"wss://127.0.0.1:{port}{path}",
            ssl=self_signed_tls(),
            origin=f"https://127.0.0.1:{port}",
            additional_headers=headers,
            open_timeout=10,
        ):
            return 101
    except InvalidStatus as refused:
        return refused.response.status_code


def test_handshakes_are_limited_per_credential_not_per_address(tmp_path, account):
    require_real_services()
    first = Conversation.objects.create(account=account, state="open")
    second = Conversation.objects.create(account=account, state="open")
    with running_stack(tmp_path, daphne=1) as stack:
        token = consumer_token_for(conversation_id=first.pk, account_id=account.pk)
        statuses = [handshake(stack.port, f"/ws/consumer/?token={token}") for _ in range(CREDENTIAL_BURST + 4)]
        # The burst and the first second's token (one more may refill while the loop runs).
        let_through = statuses.count(101)
        assert CREDENTIAL_BURST + 1 <= let_through <= CREDENTIAL_BURST + 2, statuses
        assert statuses[:let_through] == [101] * let_through, statuses
        assert set(statuses[let_through:]) == {429}, statuses

        # Same address, another conversation: its own credential, let through at once.
        other = consumer_token_for(conversation_id=second.pk, account_id=account.pk)
        assert handshake(stack.port, f"/ws/consumer/?token={other}") == 101
        # And an agent's session cookie is a credential of its own (the handshake passes nginx; the
        # made-up session is then refused by the application, after the 101).
        assert handshake(stack.port, "/ws/agent/", Cookie="sessionid=not-a-real-session") == 101
        # The refusals were nginx's: daphne logged no handshake for them.
        access = stack.nginx_logs()
        assert access.count('"status":429') == len(statuses) - let_through
        assert token not in access
