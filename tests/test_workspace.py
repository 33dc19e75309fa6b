"""The agent workspace page at /workspace/: who may open it, what it tells the browser, the browser
check, and the transcript endpoint it uses for conversations the socket named without messages."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import reverse

from accounts.models import User
from calls import services
from calls.models import Conversation
from settings_profiles.models import AccountCallSettings

from .factories import PASSWORD, AccountFactory, UserFactory

pytestmark = pytest.mark.django_db

CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"
HEADLESS = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36"
)
OLD_FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:100.0) Gecko/20100101 Firefox/100.0"
WORKSPACE_JS = Path(settings.BASE_DIR) / "static" / "workspace" / "workspace.js"


def page(client, user_agent: str = CHROME):
    return client.get(reverse("workspace:index"), headers={"user-agent": user_agent})


def page_config(response) -> dict:
    match = re.search(
        r'<script id="workspace-config" type="application/json">(.*?)</script>', response.content.decode()
    )
    assert match, "the page carries its config as json_script"
    return json.loads(match.group(1))


# --- Who may open it ------------------------------------------------------------------------------


def test_anonymous_visitors_go_to_the_login(client):
    response = page(client)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={reverse('workspace:index')}"


def test_support_staff_without_an_account_get_403(support_client):
    response = page(support_client)
    html = response.content.decode()
    assert response.status_code == 403
    assert "The workspace is for agents" in html
    assert "workspace-config" not in html


def test_agents_of_a_deactivated_account_get_403(agent_client, account):
    account.active = False
    account.save(update_fields=["active"])
    assert page(agent_client).status_code == 403


def test_agent_gets_the_page_with_its_socket_and_config(agent_client, agent, account):
    response = page(agent_client)

    html = response.content.decode()
    assert response.status_code == 200
    config = page_config(response)
    assert config["socket_path"] == "/ws/agent/"
    assert config["agent"] == {"id": agent.pk, "name": "Andy Agent", "role": "agent"}
    assert config["account"] == {"slug": "acme", "name": "Acme Telecom"}
    assert config["browser"] == {"supported": True, "name": "Chrome 156", "reason": ""}
    assert config["transcript_url"] == "/workspace/conversations/{id}/messages/"
    assert config["login_url"] == "/accounts/login/?next=/workspace/"
    assert '<script type="module" src="/static/workspace/workspace.js"></script>' in html
    assert '<link rel="stylesheet" href="/static/workspace/workspace.css">' in html
    assert 'id="ws-browser-banner"' not in html
    # Admins reach the console from the rail; agents have no console link.
    assert reverse("console:overview") not in html


def test_account_admins_may_take_conversations_too(admin_client, admin_user):
    response = page(admin_client)
    assert response.status_code == 200
    assert page_config(response)["agent"]["role"] == "admin"
    assert f'href="{reverse("console:overview")}"' in response.content.decode()


def test_the_page_escapes_what_people_typed(login, account):
    """A name is data: it reaches the page escaped in the HTML and as JSON in the config."""
    agent = UserFactory(account=account, email="xss@acme.example", name='<img src=x onerror="alert(1)">')

    response = page(login(agent))

    html = response.content.decode()
    assert '<img src=x onerror="alert(1)">' not in html
    assert page_config(response)["agent"]["name"] == '<img src=x onerror="alert(1)">'


# --- The agent's browser --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user_agent", "shown"),
    [
        (HEADLESS, "HeadlessChrome 156 is not supported"),
        (OLD_FIREFOX, "Firefox 100 is not supported"),
        ("", "Other is not supported"),
    ],
)
def test_an_unsupported_browser_gets_a_banner(agent_client, user_agent, shown):
    response = page(agent_client, user_agent)

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="ws-browser-banner" role="alert"' in html
    assert "This browser cannot make calls." in html and shown in html
    assert "use the latest Chrome, Firefox, Safari or Edge" in html
    assert page_config(response)["browser"]["supported"] is False
    assert page_config(response)["browser"]["reason"] == "unsupported_browser"


def test_a_german_account_reads_its_call_words_from_the_first_paint(agent_client, account):
    """
    GIVEN an account in German with its own share button label and "Your calls" title, on an old browser
    WHEN its agent opens the workspace (before any socket frame)
    THEN the call panel, the devices dialog, the checks and the browser banner are German, the custom
         words are there, no English call label is, and the page's config carries the same texts (escaped)
    """
    call_settings = AccountCallSettings.objects.get(account=account)
    call_settings.locale = "de"
    call_settings.texts = {"call_share_screen": "Zeigen & teilen", "agent_calls_card": "Meine Anrufe"}
    call_settings.full_clean()
    call_settings.save()

    response = page(agent_client, OLD_FIREFOX)

    html = response.content.decode()
    assert "Zeigen &amp; teilen" in html and "Meine Anrufe" in html  # the account's own, escaped
    for german in ("Bildschirm anfragen", "Freigabe beenden", "Mikrofon und Kamera", "Lautsprecher", "Fertig"):
        assert german in html, german
    assert "Dieser Browser kann keine Anrufe führen. Firefox 100 wird nicht unterstützt" in html
    assert "Firefox 100 wird für Anrufe nicht unterstützt" in html
    for english in (
        "Share screen",
        "Ask for screen",
        "Stop sharing",
        "Microphone and camera",
        "Your calls",
        "Checking…",
    ):
        assert english not in html, english
    texts = page_config(response)["texts"]
    assert texts["call_share_screen"] == "Zeigen & teilen"
    assert texts["agent_said_muted"] == "Ihr Mikrofon ist stumm."


# --- The page's script ----------------------------------------------------------------------------


def workspace_modules() -> dict[str, str]:
    """The workspace's ES modules (static/workspace/*.js) by file name."""
    return {path.name: path.read_text() for path in sorted(WORKSPACE_JS.parent.glob("*.js"))}


def test_every_element_the_script_uses_is_on_the_page(agent_client):
    """The workspace's modules find their elements by id; a renamed id in the template must fail here,
    not in a call."""
    html = page(agent_client).content.decode()
    script = "\n".join(workspace_modules().values())

    used = set(re.findall(r'\$\("([\w-]+)"\)', script)) | set(re.findall(r'getElementById\("([\w-]+)"\)', script))

    assert len(used) > 40
    missing = sorted(name for name in used if f'id="{name}"' not in html)
    assert not missing, f"ids used by the workspace's modules but missing from the page: {missing}"


def test_the_modules_import_the_shared_call_modules_and_never_write_html():
    modules = workspace_modules()
    assert "workspace.js" in modules and len(modules) >= 6  # split by concern
    imports: set[str] = set()
    for name, source in modules.items():
        found = re.findall(r'^import .* from "([./\w]+)";$', source, flags=re.M)
        for path in found:
            target = (WORKSPACE_JS.parent / path).resolve()
            assert target.is_file(), f"{name} imports {path}, which is not a file"
            rel = target.relative_to(WORKSPACE_JS.parent.parent).as_posix()
            assert finders.find(rel), f"{name} imports {path}, which is not a static file"
            imports.add(rel)
        assert source.count("\n") <= 500, f"{name} is over 500 lines"
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write"):
            assert sink not in source, f"{name} uses {sink}: data must go in with textContent"
    # The call itself and the states the window shows are the shared modules, not copies.
    assert {"calls/signaling.js", "calls/callclient.js", "calls/callstates.js"} <= imports
    for name, source in modules.items():
        assert 'new Set(["ringing", "connecting", "active"])' not in source, f"{name} re-declares LIVE"


# --- Home -----------------------------------------------------------------------------------------


def test_agents_land_in_the_workspace_after_login(client, agent):
    response = client.post(reverse("login"), {"username": agent.email, "password": PASSWORD}, follow=True)

    assert [url for url, _ in response.redirect_chain] == [reverse("home"), reverse("workspace:index")]
    assert response.status_code == 200


# --- The transcript endpoint ------------------------------------------------------------------------


@pytest.fixture
def conversations(account, agent):
    """A queued conversation with a message, the agent's own open one, another agent's, another account's."""
    colleague = UserFactory(account=account, email="colleague@acme.example")
    queued = services.conversation_create(account=account, channel="web_messaging", consumer_name="Quinn")
    services.message_send(conversation_id=queued.pk, party="consumer", text="Is anybody there?")
    mine = services.conversation_create(account=account, channel="web_messaging", consumer_name="Mia")
    services.conversation_take(agent=agent, conversation_id=mine.pk)
    services.message_send(conversation_id=mine.pk, party="consumer", text="Hello")
    services.message_send(conversation_id=mine.pk, party="agent", text="Hi Mia, how can I help?", agent=agent)
    theirs = services.conversation_create(account=account, channel="web_messaging")
    services.conversation_take(agent=colleague, conversation_id=theirs.pk)
    services.message_send(conversation_id=theirs.pk, party="consumer", text="private")
    foreign = services.conversation_create(
        account=AccountFactory(slug="globex", name="Globex"), channel="web_messaging"
    )
    return {"queued": queued, "mine": mine, "theirs": theirs, "foreign": foreign}


def transcript_url(conversation: Conversation) -> str:
    return reverse("workspace:transcript", args=[conversation.pk])


def test_transcript_of_a_queued_and_of_an_own_conversation(agent_client, conversations):
    queued = agent_client.get(transcript_url(conversations["queued"])).json()
    mine = agent_client.get(transcript_url(conversations["mine"])).json()

    assert [m["text"] for m in queued["messages"]] == ["Is anybody there?"]
    assert [(m["author"], m["text"]) for m in mine["messages"]] == [
        ("consumer", "Hello"),
        ("agent", "Hi Mia, how can I help?"),
    ]
    assert set(mine["messages"][0]) == {"id", "conversation_id", "author", "kind", "text", "call_id", "created_at"}


@pytest.mark.parametrize("which", ["theirs", "foreign"])
def test_transcript_of_someone_elses_conversation_is_404(agent_client, conversations, which):
    response = agent_client.get(transcript_url(conversations[which]))
    assert response.status_code == 404
    assert b"private" not in response.content


def test_transcript_needs_a_login_and_an_account(client, support_client, conversations):
    assert client.get(transcript_url(conversations["queued"])).status_code == 401
    assert support_client.get(transcript_url(conversations["queued"])).status_code == 403


def test_transcript_reads_a_constant_number_of_queries(agent_client, agent, conversations, django_assert_num_queries):
    mine = conversations["mine"]
    for n in range(30):
        services.message_send(conversation_id=mine.pk, party="consumer", text=f"more {n}")
    # session, user with its account (the access check), the conversation, the messages
    with django_assert_num_queries(4):
        response = agent_client.get(transcript_url(mine))
    assert len(response.json()["messages"]) == 32


def test_inactive_users_cannot_log_in_to_the_workspace(client, account):
    gone = UserFactory(account=account, email="gone@acme.example")
    User.objects.filter(pk=gone.pk).update(is_active=False)
    assert not client.login(email=gone.email, password=PASSWORD)
    assert page(client).status_code == 302
