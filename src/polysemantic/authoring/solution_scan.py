"""Find solution text in a built book.

What only the solutions hold: the lines between solution markers (code and
markdown) and the cells tagged `solution-only`, less every line that the
exercises, the reading pages or the book's own pages also show (those are no
secret), and every line two solutions share. Lines shorter than three words are left
out (`return x` is everywhere).

Every text file of the site is searched: each page as a reader sees its text
(tags stripped, entities decoded), and the sources, downloads, notebooks and
search index as they are. Text is compared word by word, so syntax
highlighting, escaping and spacing do not hide a line.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import nbformat

from polysemantic.authoring.exercises import solution_blocks

MIN_WORDS = 3
_WORD = re.compile(r"\w+")
_BINARY = {".png", ".jpg", ".jpeg", ".gif", ".ico", ".woff", ".woff2", ".ttf", ".eot", ".pdf"}


@dataclass(frozen=True)
class Finding:
    file: str  # relative to the site
    notebook: str  # the solution notebook the text comes from
    line: str  # the solution line, as written there


def _words(text: str) -> str:
    return " ".join(_WORD.findall(text))


def _solution_only_lines(notebook: nbformat.NotebookNode) -> list[str]:
    lines = []
    for cell in notebook.cells:
        if "solution-only" in cell.get("metadata", {}).get("tags", []):
            lines += cell.source.split("\n")
        else:
            lines += solution_blocks(cell.source)
    return lines


def _shown_elsewhere(root: Path) -> str:
    """The words of everything the course shows besides the solutions."""
    texts = []
    for path in sorted((root / "exercises").glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        texts += [cell.source for cell in notebook.cells]
    for folder in ("chapters", "book"):
        texts += [p.read_text(encoding="utf-8") for p in sorted((root / folder).glob("*.md"))]
    return " " + " ".join(_words(text) for text in texts) + " "


def solution_secrets(root: Path) -> dict[str, dict[str, str]]:
    """Per solution notebook: {words of a line: the line}, for lines only it holds. A line
    that two solutions share (`for _ in range(n_steps):`) names neither: it is left out,
    and each notebook keeps its own lines to be found by."""
    elsewhere = _shown_elsewhere(root)
    secrets: dict[str, dict[str, str]] = {}
    for path in sorted((root / "solutions").glob("*.ipynb")):
        found = {}
        for line in _solution_only_lines(nbformat.read(path, as_version=4)):
            words = _words(line)
            if len(words.split()) >= MIN_WORDS and f" {words} " not in elsewhere:
                found[words] = line.strip()
        secrets[path.name] = found
    held_by = Counter(words for found in secrets.values() for words in found)
    return {
        name: {words: line for words, line in found.items() if held_by[words] == 1}
        for name, found in secrets.items()
    }


_ESCAPE = re.compile(r"\\(.)", re.S)


def unescape(text: str) -> str:
    """Undo the backslash escapes of JSON and JavaScript strings, left to right: `\\n`
    and `\\t` are white space, and an escaped backslash stays a backslash, so the LaTeX
    `\\times` or `\\ne`, stored as `\\\\times`, is not read as a tab before `imes`."""
    return _ESCAPE.sub(lambda m: " " if m.group(1) in "ntr" else m.group(1), text)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _site_text(path: Path) -> str | None:
    """The words of one file of the site, or None for a binary file."""
    if path.suffix.lower() in _BINARY:
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return None
    if path.suffix.lower() in (".html", ".htm"):
        parser = _Text()
        parser.feed(text)
        text = " ".join(parser.parts)
    else:  # JSON and JavaScript strings: undo the escapes that glue words together
        text = html.unescape(unescape(text))
    return " " + _words(text) + " "


def scan_site(site: Path, secrets: dict[str, dict[str, str]]) -> list[Finding]:
    """Every solution line found in any file under SITE."""
    findings = []
    for path in sorted(p for p in site.rglob("*") if p.is_file()):
        text = _site_text(path)
        if text is None:
            continue
        for notebook, lines in secrets.items():
            findings += [
                Finding(path.relative_to(site).as_posix(), notebook, line)
                for words, line in lines.items()
                if f" {words} " in text
            ]
    return findings
