"""Read a submitted notebook and pull out the code that defines its answers.

Grading does not run the whole reading notebook (training loops, figures, the
learner's experiments). It keeps, from every code cell in order, the top-level
statements that define things: imports, functions, classes and constants with
literal values. That is what the answer functions need, and it makes grading a
notebook take a second, whatever else it does.

A submission is untrusted bytes, so it is read within limits that hold before it
is parsed: the file is opened without following a link and must be a regular file
of at most MAX_BYTES; its JSON may hold at most MAX_ITEMS values (counted on the
bytes, before parsing); at most MAX_CELLS cells, MAX_CELL_CHARS characters of code
per cell and MAX_CODE_CHARS in all are read, and reading stops after READ_SECONDS.
The notebook's JSON is read with the standard parser (whose nesting is bounded by
Python's recursion limit) and then walked by hand, never validated by a schema
that follows every branch. Anything outside these limits, or any surprise, is a
`NotebookError` with a one-line reason that quotes nothing from the file.
"""

from __future__ import annotations

import ast
import errno
import json
import os
import re
import stat
import time
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAX_BYTES = 20 * 1024**2  # a notebook with its outputs; outputs are never read
MAX_ITEMS = 3_000_000  # JSON values (commas and brackets), counted before parsing
MAX_CELLS = 5_000
MAX_CELL_CHARS = 200_000  # characters of code in one cell
MAX_CODE_CHARS = 2_000_000  # characters of code in all cells
READ_SECONDS = 10.0  # for reading and extracting one notebook


class NotebookError(ValueError):
    """A submission that cannot be graded, with a one-line reason."""


@dataclass(frozen=True)
class Submission:
    path: Path
    chapter: str
    code: str
    notes: tuple[str, ...]  # cells that could not be read, said in the report


@dataclass(frozen=True)
class Cell:
    """One cell as the grader reads it: its type and its source as text."""

    cell_type: str
    source: str


@dataclass(frozen=True)
class RawNotebook:
    """The parts of a notebook the grader reads: its chapter metadata and its cells."""

    chapter: str | None  # metadata.polysemantic.chapter, when it is "NN"
    cells: tuple[Cell, ...]
    notes: tuple[str, ...]  # cells skipped while reading, said in the report


_CHECK_CALL = re.compile(r"""check\(\s*["'](\d\d)\.""")
_FILE_CHAPTER = re.compile(r"(?<![0-9])(\d\d)(?![0-9])")


def read_bytes(path: Path, limit: int = MAX_BYTES) -> bytes:
    """The file's bytes, at most `limit` of them: opened without following a link and
    without blocking (a FIFO), and only if it is a regular file."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise NotebookError(f"{path}: no such file") from None
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise NotebookError(
                f"{path}: is a symbolic link, which the grader does not follow"
            ) from None
        if error.errno == errno.EISDIR:
            raise NotebookError(f"{path}: is a folder, not a notebook") from None
        raise NotebookError(f"{path}: cannot be read ({error.strerror})") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise NotebookError(f"{path}: is a folder, not a notebook")
        if not stat.S_ISREG(info.st_mode):
            raise NotebookError(f"{path}: is not a regular file (a device, pipe or socket)")
        if info.st_size > limit:
            raise NotebookError(
                f"{path}: is {info.st_size / 1024**2:.0f} MB, over the grader's limit of "
                f"{limit / 1024**2:.0f} MB (clear the outputs and submit again)"
            )
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:  # it grew while it was read
            raise NotebookError(f"{path}: is over the grader's limit of {limit // 1024**2} MB")
        return b"".join(chunks)
    except OSError as error:
        raise NotebookError(f"{path}: cannot be read ({error.strerror})") from None
    finally:
        os.close(fd)


def _text(value: Any) -> str | None:
    """A cell's source as text: a string, or a list of strings; None otherwise."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(line, str) for line in value):
        return "".join(value)
    return None


def parse_notebook(path: Path, data: bytes, deadline: float | None = None) -> RawNotebook:
    """The cells and chapter of a notebook's bytes (nbformat 3 or 4), within limits."""
    if not data.strip():
        raise NotebookError(f"{path}: the file is empty")
    cells = data.count(b'"cell_type"')  # every cell has one: counted before parsing
    if cells > MAX_CELLS:
        raise NotebookError(
            f"{path}: has {cells:,} cells, over the grader's limit of {MAX_CELLS:,}"
        )
    items = data.count(b",") + data.count(b"[") + data.count(b"{")
    if items > MAX_ITEMS:
        raise NotebookError(f"{path}: holds over {MAX_ITEMS:,} JSON values, over the limit")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise NotebookError(f"{path}: not a notebook (the file is not UTF-8 text)") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise NotebookError(
            f"{path}: not a notebook (invalid JSON at line {error.lineno}: {error.msg})"
        ) from None
    except RecursionError:
        raise NotebookError(f"{path}: not a notebook (its JSON is nested too deeply)") from None
    del text
    if not isinstance(raw, dict) or not ("cells" in raw or "worksheets" in raw):
        raise NotebookError(f"{path}: not a notebook (JSON without notebook cells)")
    cells_raw: list[Any] = []
    if isinstance(raw.get("cells"), list):
        cells_raw = raw["cells"]
    elif isinstance(raw.get("worksheets"), list):  # nbformat 3
        for sheet in raw["worksheets"]:
            if isinstance(sheet, dict) and isinstance(sheet.get("cells"), list):
                cells_raw += sheet["cells"]
    else:
        raise NotebookError(f"{path}: not a notebook (its cells are not a list)")
    if len(cells_raw) > MAX_CELLS:
        raise NotebookError(
            f"{path}: has {len(cells_raw):,} cells, over the grader's limit of {MAX_CELLS:,}"
        )
    metadata = raw.get("metadata")
    meta = metadata.get("polysemantic") if isinstance(metadata, dict) else None
    chapter = meta.get("chapter") if isinstance(meta, dict) else None
    chapter = chapter if isinstance(chapter, str) and re.fullmatch(r"\d\d", chapter) else None
    cells: list[Cell] = []
    notes: list[str] = []
    total = 0
    for number, cell in enumerate(cells_raw, start=1):
        if deadline is not None and time.monotonic() > deadline:
            raise NotebookError(f"{path}: took longer than {READ_SECONDS:g} s to read")
        kind = cell.get("cell_type") if isinstance(cell, dict) else None
        if not isinstance(kind, str):
            notes.append(f"cell {number} has no cell type: skipped")
            continue
        if kind != "code":
            cells.append(Cell(kind, ""))
            continue
        source = _text(cell.get("source", cell.get("input", "")))
        if source is None:
            notes.append(f"cell {number}'s source is not text: skipped")
            continue
        if len(source) > MAX_CELL_CHARS:
            notes.append(f"cell {number} holds over {MAX_CELL_CHARS:,} characters: skipped")
            continue
        total += len(source)
        if total > MAX_CODE_CHARS:
            raise NotebookError(
                f"{path}: holds over {MAX_CODE_CHARS:,} characters of code, over the limit"
            )
        cells.append(Cell(kind, source))
    return RawNotebook(chapter, tuple(cells), tuple(notes))


def read_notebook(path: Path) -> RawNotebook:
    """The notebook at `path`, read within the limits, or a NotebookError."""
    deadline = time.monotonic() + READ_SECONDS
    return parse_notebook(path, read_bytes(path), deadline)


def chapter_of(path: Path, notebook: RawNotebook, known: Collection[str]) -> str:
    """The chapter 'NN' a notebook belongs to: metadata, then check() calls, then the
    one chapter number of `known` in its file name."""
    if notebook.chapter is not None:
        return notebook.chapter
    for cell in notebook.cells:
        if cell.cell_type == "code":
            match = _CHECK_CALL.search(cell.source)
            if match:
                return match.group(1)
    named = {m for m in _FILE_CHAPTER.findall(path.stem) if m in known}
    if len(named) == 1:  # 'alice_01.ipynb', '01_monosemanticity-bob.ipynb'
        return named.pop()
    raise NotebookError(
        f"{path}: cannot tell which chapter this notebook belongs to "
        "(no polysemantic metadata, no check(...) call, no NN_ file name)"
    )


class _Magics:
    """IPython syntax (%magic, !shell) turned into Python, with one transformer."""

    def __init__(self) -> None:
        try:
            from IPython.core.inputtransformer2 import TransformerManager
        except ImportError:
            self.manager = None
        else:
            self.manager = TransformerManager()

    def __call__(self, source: str) -> str:
        if self.manager is None:
            lines = source.splitlines()
            return "\n".join(ln for ln in lines if not ln.lstrip().startswith(("%", "!")))
        return self.manager.transform_cell(source)


def _is_definition(node: ast.stmt) -> bool:
    if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)):
        return True
    if isinstance(node, ast.AsyncFunctionDef):
        return True
    if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
        try:
            ast.literal_eval(node.value)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            return False
        return True
    return False


def extract_definitions(
    notebook: RawNotebook, deadline: float | None = None
) -> tuple[str, tuple[str, ...]]:
    """The definitions of every code cell, in order, as one Python module's source."""
    pieces: list[str] = []
    notes: list[str] = list(notebook.notes)
    code_cells = [c for c in notebook.cells if c.cell_type == "code"]
    if not code_cells:
        notes.append("the notebook has no code cells")
    magics = _Magics()
    for number, cell in enumerate(code_cells, start=1):
        if deadline is not None and time.monotonic() > deadline:
            raise NotebookError(f"took longer than {READ_SECONDS:g} s to read its code")
        try:
            tree = ast.parse(magics(cell.source))
        except SyntaxError as error:
            notes.append(f"code cell {number} has a syntax error (line {error.lineno}): skipped")
            continue
        except Exception as error:  # noqa: BLE001 - the transformer and parser, any input
            notes.append(f"code cell {number} cannot be parsed ({type(error).__name__}): skipped")
            continue
        kept = [node for node in tree.body if _is_definition(node)]
        if kept:
            try:
                pieces.append(f"# code cell {number}\n" + ast.unparse(ast.Module(kept, [])))
            except (RecursionError, MemoryError, ValueError):
                notes.append(f"code cell {number} is nested too deeply to grade: skipped")
    return "\n\n".join(pieces) + "\n", tuple(notes)


def read_submission(path: Path, chapters: Collection[str]) -> Submission:
    """Read a notebook into memory; `chapters` are the ones the course grades.

    Raises NotebookError for a file that cannot be read, and only that: any other
    failure while reading becomes one too, so one file never stops a class."""
    deadline = time.monotonic() + READ_SECONDS
    try:
        notebook = parse_notebook(path, read_bytes(path), deadline)
        code, notes = extract_definitions(notebook, deadline)
        chapter = chapter_of(path, notebook, chapters)
    except NotebookError as error:
        message = str(error)
        where = message if message.startswith(str(path)) else f"{path}: {message}"
        raise NotebookError(where) from None
    except (RecursionError, MemoryError) as error:
        raise NotebookError(
            f"{path}: too large or nested to read ({type(error).__name__})"
        ) from None
    except Exception as error:  # noqa: BLE001 - a surprise in a file costs only its row
        raise NotebookError(f"{path}: could not be read ({type(error).__name__})") from None
    return Submission(path=path, chapter=chapter, code=code, notes=notes)
