"""The built-in texts the workspace's `node --test` unit tests read (static/tests/fixtures/) are the
catalogue's (settings_profiles/texts.py), so the JS tests assert the words agents really see.

After changing a built-in text: `UPDATE_TEXT_FIXTURES=1 .venv/bin/pytest tests/test_texts_fixture.py`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from settings_profiles.texts import resolve_texts

FIXTURES = Path(__file__).resolve().parent.parent / "static" / "tests" / "fixtures"


@pytest.mark.parametrize("locale", ["en", "de"])
def test_the_js_fixture_is_the_catalogue(locale):
    expected = resolve_texts(overrides={}, locale_overrides={}, locale=locale, default_locale=locale)
    path = FIXTURES / f"texts_{locale}.json"
    if os.environ.get("UPDATE_TEXT_FIXTURES"):
        path.write_text(json.dumps(expected, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    assert json.loads(path.read_text(encoding="utf-8")) == expected, f"{path} is stale: regenerate it (see this module)"
