"""Text on its way to an instructor's files: a spreadsheet cell, a Markdown line.

Whatever a grading run writes may carry bytes a submission chose: its file name,
and (through a bug of ours) anything else. So every text cell of a CSV and every
line of feedback passes through here: control characters go, a cell that a
spreadsheet would read as a formula (starting with =, +, -, @, a tab or a carriage
return; OWASP, "CSV Injection") gets a leading apostrophe, and the length is bounded.
"""

from __future__ import annotations

import re
from typing import Any

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
FORMULA = ("=", "+", "-", "@", "\t", "\r")
MAX_CELL = 2_000


def plain(text: Any, limit: int = MAX_CELL) -> str:
    """`text` on one line: no control or direction characters, at most `limit` long."""
    line = _CONTROL.sub("", str(text).replace("\r", " ").replace("\n", " ").replace("\t", " "))
    return line if len(line) <= limit else line[: limit - 1] + "…"


def cell(value: Any) -> Any:
    """A CSV cell: numbers as they are, text plain and never a formula."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = str(value)
    if text.startswith(FORMULA):
        text = "'" + text
    text = plain(text)
    return "'" + text if text.startswith(FORMULA) else text


def row(values: list[Any]) -> list[Any]:
    return [cell(v) for v in values]


def markdown(text: Any, limit: int = MAX_CELL) -> str:
    """Text for one line of Markdown: plain, with what Markdown or HTML would act on
    (links, images, tags, code spans, tables) escaped."""
    line = plain(text, limit)
    return re.sub(r"([\\`*_{}\[\]<>()#|!~])", r"\\\1", line)
