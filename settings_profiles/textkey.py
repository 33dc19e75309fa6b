"""One customisable text's specification (settings_profiles/texts.py holds the catalogue)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TextKey:
    """One customisable text: where it shows, what it may contain, how long it may be."""

    label: str
    placeholders: frozenset[str]
    max_length: int
    defaults: dict[str, str]


def text_key(label: str, placeholders: str, max_length: int, **defaults: str) -> TextKey:
    return TextKey(label, frozenset(placeholders.split()), max_length, defaults)


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


def render_text(template: str, **values: object) -> str:
    """Fill a validated text's placeholders. The result is plain text: escape it where HTML is built."""
    return template.format_map(_Blank({k: str(v) for k, v in values.items()}))
