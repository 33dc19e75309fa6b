"""Tenant isolation, as one table: every console page, workspace page, admin page and API endpoint x
every role (anonymous, consumer, agent, account admin, support) x the requester's own account vs another
one. The consumer is a client holding its conversation's consumer token (the only credential a consumer
has): it must open nothing but the public engagement endpoints, whichever way it presents the token
(query string, bearer header, header, cookie).

Each row names who may see it; the test asserts exactly that set gets 200 and everyone else a refusal
(redirect to login, 401, 403 or 404), and that no refusal, and no answer about the own account, ever
carries a byte of the other account (its name, its people, its consumers: all marked SENTINEL).
The sockets' side of the matrix (frames naming another party's ids) is in test_calls_fuzz.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from accounts.models import Account, User
from calls import services
from calls.models import Call, Conversation
from calls.tokens import consumer_token_for
from settings_profiles.models import Profile

from .factories import PASSWORD, AccountFactory, AdminFactory, ProfileFactory, UserFactory, support_user

pytestmark = pytest.mark.django_db

SENTINEL = "SENTINEL"
ROLES = ("anonymous", "consumer", "agent", "admin", "support")
REFUSED = {302, 401, 403, 404}


@dataclass
class Tenant:
    account: Account
    admin: User
    agent: User
    profile: Profile
    conversation: Conversation
    call: Call


def _tenant(slug: str, mark: str) -> Tenant:
    account = AccountFactory(slug=slug, name=f"{slug.title()} {mark}")
    admin = AdminFactory(account=account, email=f"admin@{slug}.example", name=f"Admin {mark}")
    agent = UserFactory(account=account, email=f"agent@{slug}.example", name=f"Agent {mark}")
    profile = ProfileFactory(account=account, name=f"Profile {mark}")
    conversation = services.conversation_create(account=account, channel="web_messaging", consumer_name=f"Cons {mark}")
    if conversation.state == Conversation.State.QUEUED:
        services.conversation_take(agent=agent, conversation_id=conversation.pk)
    services.message_send(conversation_id=conversation.pk, party="consumer", text=f"my number is {mark}")
    call = services.call_invite(agent=agent, conversation_id=conversation.pk, media="voice")
    services.call_hangup(call_id=call.pk, party="agent", agent=agent)
    return Tenant(account, admin, agent, profile, conversation, call)


@pytest.fixture
def world():
    own = _tenant("acme", "Own")
    foreign = _tenant("globex", SENTINEL)
    return {"own": own, "foreign": foreign, "support": support_user()}


@dataclass(frozen=True)
class Row:
    name: str
    url: str  # formatted with the target tenant: {slug} {agent} {profile} {conversation} {call}
    roles: frozenset[str]  # who may read it for their own account
    support_any: bool = False  # support reads it for any account
    has_target: bool = True  # False: the URL names no object, so there is no "foreign" variant


def row(name, url, *roles, support_any=False, has_target=True) -> Row:
    return Row(name, url, frozenset(roles), support_any, has_target)


MATRIX = [
    # The account admin's console.
    row("console overview", "/console/", "admin", has_target=False),
    row("console agents", "/console/agents/", "admin", has_target=False),
    row("console agent detail", "/console/agents/{agent}/", "admin"),
    row("console profiles", "/console/profiles/", "admin", has_target=False),
    row("console profile edit", "/console/profiles/{profile}/", "admin"),
    row("console call settings", "/console/call-settings/", "admin", has_target=False),
    row("console ICE check", "/console/call-settings/ice-check/?account={slug}", "admin", support_any=True),
    row("console reports", "/console/reports/", "admin", has_target=False),
    row("console live figures", "/console/reports/live/", "admin", has_target=False),
    row("console call detail", "/console/reports/calls/{call}/", "admin"),
    # The agent workspace (any active user of an account).
    row("workspace", "/workspace/", "agent", "admin", has_target=False),
    # A transcript is for the conversation's agent (queued ones: any agent), not for colleagues.
    row("workspace transcript", "/workspace/conversations/{conversation}/messages/", "agent"),
    # The support admin.
    row("admin index", "/admin/", "support", has_target=False),
    row("admin account", "/admin/accounts/account/{account_pk}/change/", "support", support_any=True),
    row("admin call", "/admin/calls/call/{call}/change/", "support", support_any=True),
    row("admin conversation", "/admin/calls/conversation/{conversation}/change/", "support", support_any=True),
    # The REST API.
    row("API agents", "/api/v1/agents/", "admin", has_target=False),
    row("API agent", "/api/v1/agents/{agent}/", "admin"),
    row("API profiles", "/api/v1/profiles/", "admin", has_target=False),
    row("API profile", "/api/v1/profiles/{profile}/", "admin"),
    row("API call settings", "/api/v1/accounts/{slug}/call-settings/", "admin", support_any=True),
    row(
        "API report",
        "/api/v1/reports/collaboration-sessions/?account={slug}&start=2026-01-01&end=2026-01-02",
        "admin",
        support_any=True,
    ),
    row("API call detail", "/api/v1/reports/calls/{call}/", "admin", support_any=True),
]


def _consumer_token(world) -> str:
    own = world["own"].conversation
    return consumer_token_for(conversation_id=own.pk, account_id=own.account_id)


def _client(world, role: str) -> Client:
    if role == "consumer":
        token = _consumer_token(world)
        client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_X_CONSUMER_TOKEN=token)
        client.cookies["consumer_token"] = token
        return client
    client = Client()
    user = {"agent": world["own"].agent, "admin": world["own"].admin, "support": world["support"]}.get(role)
    if user is not None:
        assert client.login(email=user.email, password=PASSWORD)
    return client


def _url(template: str, tenant: Tenant) -> str:
    return template.format(
        slug=tenant.account.slug,
        account_pk=tenant.account.pk,
        agent=tenant.agent.pk,
        profile=tenant.profile.pk,
        conversation=tenant.conversation.pk,
        call=tenant.call.pk,
    )


def test_every_endpoint_answers_exactly_the_roles_allowed_and_leaks_nothing(world):
    checked, failures = 0, []
    for entry in MATRIX:
        for role in ROLES:
            for target in ("own", "foreign") if entry.has_target else ("own",):
                url = _url(entry.url, world[target])
                if role == "support":
                    allowed = entry.support_any or ("support" in entry.roles and target == "own")
                else:
                    allowed = role in entry.roles and target == "own"
                if role == "consumer":  # also where the engagement pages read it
                    url += ("&" if "?" in url else "?") + f"token={_consumer_token(world)}"
                response = _client(world, role).get(url)
                body = response.content.decode(errors="replace")
                checked += 1
                if allowed and response.status_code != 200:
                    failures.append(f"{entry.name} [{role}, {target}] {url}: {response.status_code}, expected 200")
                if not allowed and response.status_code not in REFUSED:
                    failures.append(
                        f"{entry.name} [{role}, {target}] {url}: {response.status_code}, expected a refusal"
                    )
                may_see_foreign = allowed and target == "foreign"
                if not may_see_foreign and SENTINEL in body:
                    failures.append(f"{entry.name} [{role}, {target}] {url}: the other account's data leaked")
    assert not failures, "\n".join(failures)
    assert checked == sum(len(ROLES) * (2 if e.has_target else 1) for e in MATRIX)


def test_foreign_objects_cannot_be_changed_either(world):
    """Writes to another account's objects are refused and change nothing."""
    admin = _client(world, "admin")
    foreign = world["foreign"]
    patch = admin.patch(
        f"/api/v1/profiles/{foreign.profile.pk}/", {"name": "taken over"}, content_type="application/json"
    )
    assert patch.status_code == 404
    delete = admin.delete(f"/api/v1/profiles/{foreign.profile.pk}/")
    assert delete.status_code == 404
    settings_patch = admin.patch(
        f"/api/v1/accounts/{foreign.account.slug}/call-settings/",
        {"force_relay": True},
        content_type="application/json",
    )
    assert settings_patch.status_code in {403, 404}
    posted = admin.post(f"/console/agents/{foreign.agent.pk}/active/", {"active": "0"})
    assert posted.status_code == 404
    foreign.profile.refresh_from_db()
    foreign.agent.refresh_from_db()
    assert foreign.profile.name == f"Profile {SENTINEL}" and foreign.agent.is_active
    assert not foreign.account.call_settings.__class__.objects.get(account=foreign.account).force_relay
