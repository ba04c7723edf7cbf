"""Read a submitted notebook and pull out the code that defines its answers.

Grading does not run the whole reading notebook (training loops, figures, the
learner's experiments). It keeps, from every code cell in order, the top-level
statements that define things: imports, functions, classes and constants with
literal values. That is what the answer functions need, and it makes grading a
notebook take a second, whatever else it does.
"""

from __future__ import annotations

import ast
import json
import re
import warnings
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import nbformat


class NotebookError(ValueError):
    """A submission that cannot be graded, with a one-line reason."""


@dataclass(frozen=True)
class Submission:
    path: Path
    chapter: str
    code: str
    notes: tuple[str, ...]  # cells that could not be read, said in the report


_CHECK_CALL = re.compile(r"""check\(\s*["'](\d\d)\.""")
_FILE_CHAPTER = re.compile(r"(?<![0-9])(\d\d)(?![0-9])")


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """The notebook at `path` as nbformat 4, or a NotebookError saying what is wrong."""
    if not path.exists():
        raise NotebookError(f"{path}: no such file")
    if path.is_dir():
        raise NotebookError(f"{path}: is a folder, not a notebook")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise NotebookError(f"{path}: not a notebook (the file is not UTF-8 text)") from None
    except OSError as error:
        raise NotebookError(f"{path}: cannot be read ({error.strerror})") from None
    if not text.strip():
        raise NotebookError(f"{path}: the file is empty")
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise NotebookError(
            f"{path}: not a notebook (invalid JSON at line {error.lineno}: {error.msg})"
        ) from None
    if not isinstance(raw, dict) or "cells" not in raw and "worksheets" not in raw:
        raise NotebookError(f"{path}: not a notebook (JSON without notebook cells)")
    try:
        with warnings.catch_warnings():  # cells without ids, old minor versions: not news
            warnings.simplefilter("ignore")
            notebook = nbformat.reads(text, as_version=4)
    except Exception as error:  # nbformat raises many kinds for malformed files
        raise NotebookError(f"{path}: not a valid notebook ({error})") from None
    return notebook


def chapter_of(path: Path, notebook: nbformat.NotebookNode, known: Collection[str]) -> str:
    """The chapter 'NN' a notebook belongs to: metadata, then check() calls, then the
    one chapter number of `known` in its file name."""
    meta = notebook.metadata.get("polysemantic", {})
    if isinstance(meta, dict) and re.fullmatch(r"\d\d", str(meta.get("chapter", ""))):
        return str(meta["chapter"])
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


def _python_source(source: str) -> str:
    """Cell source with IPython syntax (%magic, !shell) turned into Python."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:
        lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
        return "\n".join(lines)
    return TransformerManager().transform_cell(source)


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


def extract_definitions(notebook: nbformat.NotebookNode) -> tuple[str, tuple[str, ...]]:
    """The definitions of every code cell, in order, as one Python module's source."""
    pieces: list[str] = []
    notes: list[str] = []
    code_cells = [c for c in notebook.cells if c.cell_type == "code"]
    if not code_cells:
        notes.append("the notebook has no code cells")
    for number, cell in enumerate(code_cells, start=1):
        source = cell.source if isinstance(cell.source, str) else "".join(cell.source)
        try:
            tree = ast.parse(_python_source(source))
        except SyntaxError as error:
            notes.append(f"code cell {number} has a syntax error (line {error.lineno}): skipped")
            continue
        except (RecursionError, MemoryError, ValueError) as error:
            notes.append(f"code cell {number} cannot be parsed ({type(error).__name__}): skipped")
            continue
        kept = [node for node in tree.body if _is_definition(node)]
        if kept:
            try:
                pieces.append(f"# code cell {number}\n" + ast.unparse(ast.Module(kept, [])))
            except RecursionError:
                notes.append(f"code cell {number} is nested too deeply to grade: skipped")
    return "\n\n".join(pieces) + "\n", tuple(notes)


def read_submission(path: Path, chapters: Collection[str]) -> Submission:
    """Read a notebook into memory; `chapters` are the ones the course grades."""
    notebook = read_notebook(path)
    code, notes = extract_definitions(notebook)
    return Submission(
        path=path, chapter=chapter_of(path, notebook, chapters), code=code, notes=notes
    )
