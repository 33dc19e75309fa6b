"""No English literal left in what a consumer or agent reads about a call (issue 14 item 4): every
announcement, notice, label, tooltip and error of the call UIs comes from the account's texts
(settings_profiles/texts*.py), so a German account reads German everywhere.

The sources are read as text: a call to announce()/toast()/onError() or a `title:` whose argument is
a string literal with words in it, an element's textContent, title or aria-label set to one, or a word
in the call templates outside `{{ ... }}`, is a text that a brand cannot customise or translate. The
workspace's non-call chrome (the inbox and conversation announcements) is listed by name below: a new
literal anywhere else fails this test.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from settings_profiles.texts import LOCALES, TEXT_KEYS

ROOT = Path(__file__).resolve().parent.parent
# The workspace's transfer dialog and composer, and the launcher on the brand's page, say nothing about calls.
NOT_CALL_SCRIPTS = {"transfer.js", "composer.js", "engagement.js"}
CALL_SCRIPTS = sorted(
    path
    for path in [
        *(ROOT / "static" / "workspace").glob("*.js"),
        *(ROOT / "static" / "engage").glob("*.js"),
        *(ROOT / "static" / "calls" / name for name in ("readiness.js", "remedies.js", "devicepanel.js", "quality.js")),
    ]
    if path.name not in NOT_CALL_SCRIPTS
)
CALL_TEMPLATES = [
    ROOT / "templates" / "workspace" / "_devices.html",
    ROOT / "templates" / "engage" / "_call_stage.html",
    ROOT / "templates" / "engage" / "_invitation.html",
    ROOT / "templates" / "engage" / "_devices.html",
    ROOT / "templates" / "engage" / "_handoff_panel.html",
    ROOT / "templates" / "engage" / "_handoff_claim.html",
]
# The workspace page: its call panel, the call buttons and the "Your calls" card.
WORKSPACE = ROOT / "templates" / "workspace" / "workspace.html"
WORKSPACE_CALL_PARTS = [
    ('<div class="ws-call-buttons"', '<button type="button" class="btn btn-ghost btn-sm" id="ws-transfer"'),
    ('<section class="ws-call"', '<div class="ws-transcript"'),
    ('<h2 class="ws-card-title" data-text="agent_calls_card"', "</aside>"),
    ('<div class="ws-banners"', '<div class="ws-grid">'),
]

# Said about conversations, not calls (the workspace's chrome; out of issue 14's scope).
NOT_ABOUT_CALLS = {
    ("workspace.js", "${consumerName(conversation, state.texts)} was taken by another agent."),
    ("workspace.js", "Conversation moved"),
    ("workspace.js", "${consumerName(conversation, state.texts)} started a conversation."),
    ("workspace.js", "New conversation"),
    ("workspace.js", "New conversation from ${consumerName(conversation, state.texts)}."),
    ("workspace.js", "${consumerName(conversation, state.texts)} is waiting in the queue."),
    (
        "actions.js",
        "The conversation with ${consumerName(state.conversations.get(conversationId), state.texts)} is closed.",
    ),
    # The close-conversation dialog (its title and buttons are the workspace's chrome too).
    ("actions.js", "${consumerName(conversation, state.texts)} can no longer write in this conversation."),
    ("inbox.js", "Waiting for an agent"),
    ("inbox.js", "Take the conversation with ${name}"),
    ("conversation.js", "This login cannot use the workspace. Ask an admin of your account for access."),
}

_LITERAL = re.compile(r"""("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`)""")
# Where a person's words go: the arguments of these calls, and the rest of the statement after these.
_CALLS = re.compile(r"(?<![\w.])(?:announce|toast|onError|showError|#showError)\(")
_LINES = re.compile(
    r"\btitle:|(?<!document)\.(?:textContent|title|placeholder)\s*=|setAttribute\(\s*[\"'](?:aria-label|title|placeholder|alt)[\"']"
)


def _has_words(literal: str) -> bool:
    """A literal a person reads: a capital or two words once its `${...}` are out (keys and tones are snake_case)."""
    text = re.sub(r"\$\{[^}]*\}", "", literal[1:-1])
    return bool(re.search(r"[A-ZÀ-Þ]|[a-zà-ÿ]\s+[A-Za-zÀ-ÿ]", text))


def _arguments(source: str, start: int) -> str:
    """The text of a call's arguments from just after its "(" to the matching ")"."""
    depth, index = 1, start
    while depth and index < len(source):
        literal = _LITERAL.match(source, index)
        if literal:
            index = literal.end()
            continue
        depth += {"(": 1, ")": -1}.get(source[index], 0)
        index += 1
    return source[start:index]


def _js_literals(path: Path) -> list[str]:
    source = "\n".join(
        line for line in path.read_text(encoding="utf-8").splitlines() if not line.lstrip().startswith("//")
    )
    places = [_arguments(source, match.end()) for match in _CALLS.finditer(source)]
    places += [source[match.end() : source.find(";", match.end())] for match in _LINES.finditer(source)]
    found = []
    for place in places:
        for literal in _LITERAL.findall(place):
            if _has_words(literal) and (path.name, literal[1:-1]) not in NOT_ABOUT_CALLS and literal not in found:
                found.append(literal)
    return found


def _displayed_places(path: Path) -> list[str]:
    """The code that computes what a person reads: the arguments of announce()/toast()/showError()...,
    and the rest of the statement after `.textContent =`, `title:` and the like."""
    source = "\n".join(
        line for line in path.read_text(encoding="utf-8").splitlines() if not line.lstrip().startswith("//")
    )
    places = [_arguments(source, match.end()) for match in _CALLS.finditer(source)]
    return places + [source[match.end() : source.find(";", match.end())] for match in _LINES.finditer(source)]


# An error's `message` (the server's English explanation for developers, docs/protocol.md "Errors").
_SERVER_MESSAGE = re.compile(r"\b(?:error|err|exc|frame|refused|refusal|answer)\??\.message\b")
_ASSIGNED = re.compile(r"\b(?:const|let|var)\s+(\w+)\s*=\s*([^;]*)")


def _shows_server_message(path: Path) -> list[str]:
    """Displayed places that hold an error's `message`, or a variable assigned from one."""
    source = path.read_text(encoding="utf-8")
    tainted = [name for name, value in _ASSIGNED.findall(source) if _SERVER_MESSAGE.search(value)]
    carries = re.compile("|".join([_SERVER_MESSAGE.pattern, *(rf"(?<![\w.]){name}\b" for name in tainted)]))
    return [place.strip() for place in _displayed_places(path) if carries.search(place)]


UI_SCRIPTS = sorted(
    path
    for folder in ("workspace", "engage", "calls")
    for path in (ROOT / "static" / folder).glob("*.js")
    if path.name != "callclient.js"  # the call engine: its `warning` events go to the console
)


def _template_words(html: str) -> list[str]:
    """Words a person reads in a template that are not the account's texts ({{ ... }})."""
    html = re.sub(r"\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}|\{#.*?#\}|<!--.*?-->", "", html, flags=re.S)
    html = re.sub(r"<svg\b.*?</svg>", "", html, flags=re.S)
    html = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", "", html, flags=re.S)
    found = [text.strip() for text in re.findall(r">([^<>]+)<", html) if re.search(r"[A-Za-zÀ-ÿ]{2,}", text)]
    found += re.findall(r"(?<![\w-])(?:aria-label|title|placeholder|alt)=\"([^\"]*[A-Za-z]{2,}[^\"]*)\"", html)
    return found


@pytest.mark.parametrize("path", CALL_SCRIPTS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_call_script_passes_an_english_literal_to_the_person(path):
    assert _js_literals(path) == [], f"{path.name}: use the account's texts (settings_profiles/texts*.py)"


@pytest.mark.parametrize("path", CALL_TEMPLATES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_call_template_holds_an_english_word(path):
    assert _template_words(path.read_text(encoding="utf-8")) == [], f"{path.name}: render the account's texts"


def test_the_workspace_call_panel_and_checks_hold_no_english_word():
    html = WORKSPACE.read_text(encoding="utf-8")
    for start, end in WORKSPACE_CALL_PARTS:
        part = html[html.index(start) : html.index(end, html.index(start))]
        assert _template_words(part) == [], f"workspace.html from {start!r}: render the account's texts"


@pytest.mark.parametrize("path", UI_SCRIPTS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_ui_shows_the_servers_english_message(path):
    """What a refused request means comes from the account's texts (agent_error_text_<code>,
    agent_error_detail_<detail>); the frame's `message` goes to the console at most."""
    assert _shows_server_message(path) == [], (
        f"{path.name}: show the account's text for the error's code/detail (format.js errorText)"
    )


def test_the_message_scan_sees_a_displayed_message():
    sample_path = ROOT / "static" / "tests" / "fixtures" / "refusal.js"
    for line in (
        "toast(frame.message ?? '', { title });",
        'showError(error?.message || "Could not transfer.");',
        "node.textContent = error?.message ?? String(error);",
        "toast(`Refused: ${frame.message}`);",
        'const message = local ? say(texts, "error_offline") : (frame.message ?? "");\ntoast(message, { title });',
    ):
        assert not sample_path.exists()
        try:
            sample_path.write_text(line, encoding="utf-8")
            assert _shows_server_message(sample_path), line
        finally:
            sample_path.unlink()
    try:  # for developers, in the console: not shown
        sample_path.write_text(
            'console.warn("refused", error.message);\ntoast(errorText(error, texts));', encoding="utf-8"
        )
        assert _shows_server_message(sample_path) == []
    finally:
        sample_path.unlink()


def test_the_scan_sees_a_literal_when_there_is_one():
    """The patterns are not vacuous: each kind of English literal they look for is found."""
    assert _has_words('"You are muted."') and _has_words('"Dismiss"') and not _has_words("`${title}. ${detail}`")
    assert not _has_words('"agent_said_muted"') and not _has_words('"error"')
    sample = Path("callpanel.js")
    for line in (
        'announce("You are muted.");',
        'announce(session.muted ? "You are muted." : "You are unmuted.");',
        'toast(`Calling ${who}…`, { title: "Call in progress" });',
        'node.textContent = "Share screen";',
        'button.setAttribute("aria-label", "Your camera");',
    ):
        sample_path = ROOT / "static" / "tests" / "fixtures" / sample.name
        assert not sample_path.exists()
        try:
            sample_path.write_text(line, encoding="utf-8")
            assert _js_literals(sample_path), line
        finally:
            sample_path.unlink()
    assert _template_words('<button title="Close">Stop sharing</button>') == ["Stop sharing", "Close"]
    assert _template_words('<span aria-label="{{ texts.x }}">{{ texts.y }}</span>') == []


def test_every_text_the_call_uis_read_is_a_key_with_four_locales():
    """Each `say(texts, "key")`/`texts.key` the call scripts name exists in the catalogue in every locale."""
    named = set()
    for path in CALL_SCRIPTS:
        source = re.sub(r"/\*.*?\*/|//[^\n]*", "", path.read_text(encoding="utf-8"), flags=re.S)
        named |= set(re.findall(r"\bsay\(\s*[\w.]*texts[\w.]*\s*,\s*\"([a-z_]+)\"", source))
        named |= set(re.findall(r"\btexts\.([a-z][a-z_]+)\b", source))
    named -= {"get"}
    assert named, "the scan found no texts at all"
    unknown = sorted(key for key in named if key not in TEXT_KEYS)
    assert unknown == []
    for key in named:
        assert set(TEXT_KEYS[key].defaults) == set(LOCALES), key
