"""The repository stands alone: no file points at a document outside it (a clone has only this)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIP_DIRS = {".git", ".venv", "node_modules", "test-artifacts", "staticfiles", "var", "__pycache__"}
SUFFIXES = {".py", ".md", ".js", ".html", ".css", ".txt", ".toml", ".cfg", ".ini", ""}
OUTSIDE = ("../" + "shared", "DESIGN" + ".md")  # spelt so that this file does not match itself


def test_no_file_refers_to_documents_outside_the_repository():
    offenders = []
    for path in ROOT.rglob("*"):
        if any(part in SKIP_DIRS for part in path.relative_to(ROOT).parts) or not path.is_file():
            continue
        if path.suffix not in SUFFIXES or path.stat().st_size > 2_000_000:
            continue
        text = path.read_text(encoding="utf-8", errors="ignore")
        offenders += [f"{path.relative_to(ROOT)}: {needle}" for needle in OUTSIDE if needle in text]
    assert offenders == []
