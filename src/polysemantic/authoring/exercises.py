"""Generate the exercise notebooks from the solution notebooks (one source).

In `solutions/NN_name.ipynb`, a code cell marks its answer like this:

    def response_matrix(W, b):
        '''docstring with shapes'''
        # BEGIN SOLUTION
        return torch.relu(W + b[:, None])
        # END SOLUTION
        # BEGIN STUB
        # R = ...  # (n_neurons, n_features)
        # END STUB

The exercise gets the stub's lines uncommented in place of the solution, or
`raise NotImplementedError(...)` when there is no stub. Markdown cells use
`<!-- BEGIN SOLUTION -->` / `<!-- END SOLUTION -->` around text that only the
solutions show, and `<!-- BEGIN STUB` ... `END STUB -->` around text that only
the exercises show (an HTML comment, so invisible in the solutions). Cells
tagged `solution-only` are dropped. Exercises carry no outputs.

Given the course's `Repository` (book/_config.yml), `sync` also keeps the Colab
install line of every notebook's setup cell (its first code cell) pointing there.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

from polysemantic.authoring.repository import CONFIG, Repository, set_install_line

PLACEHOLDER = 'raise NotImplementedError("write your code here")'
_CODE_MARK = re.compile(r"^(\s*)# (BEGIN|END) (SOLUTION|STUB)\s*$")
_MD_SOLUTION = re.compile(r"^\s*<!-- (BEGIN|END) SOLUTION -->\s*$")
_MD_STUB_BEGIN = re.compile(r"^\s*<!-- BEGIN STUB\s*$")
_MD_STUB_END = re.compile(r"^\s*END STUB -->\s*$")


# Every exercise states its points, minutes, difficulty and importance (ARENA's two
# scales), in its heading, which the exercises keep as the solutions state it:
# `## Exercise 2 · title (2 points, ~5 min, difficulty ★★☆, importance ●●○)`.
_HEADING = re.compile(r"^#+ (Exercise \d+ · |Check your understanding\b)")
_COMPLETE_HEADING = re.compile(
    r"^#+ (Exercise \d+ · .+|Check your understanding) "
    r"\(\d+(\.\d+)? points?, ~\d+ min, difficulty [★☆]{3}, importance [●○]{3}\)$"
)


def exercise_headings(notebook: nbformat.NotebookNode) -> list[str]:
    """The headings of a notebook's exercises (and of its check of understanding)."""
    return [
        line.strip()
        for cell in notebook.cells
        if cell.cell_type == "markdown"
        for line in cell.source.splitlines()
        if _HEADING.match(line.strip())
    ]


def incomplete_headings(notebook: nbformat.NotebookNode) -> list[str]:
    """Exercise headings that do not state points, minutes, difficulty and importance."""
    return [h for h in exercise_headings(notebook) if not _COMPLETE_HEADING.match(h)]


class MarkerError(ValueError):
    """Solution markers that do not pair up; says where."""


def _uncomment(line: str, indent: str) -> str:
    body = line[len(indent) :] if line.startswith(indent) else line.lstrip()
    if body.startswith("# "):
        body = body[2:]
    elif body.startswith("#"):
        body = body[1:]
    return indent + body


def strip_code(source: str, where: str) -> str:
    """The exercise version of a code cell's source."""
    out: list[str] = []
    lines = source.split("\n")
    i = 0
    while i < len(lines):
        match = _CODE_MARK.match(lines[i])
        if not match:
            out.append(lines[i])
            i += 1
            continue
        indent, edge, kind = match.groups()
        if edge == "END" or kind == "STUB":
            raise MarkerError(
                f"{where}, line {i + 1}: '# {edge} {kind}' without a '# BEGIN SOLUTION' before it"
            )
        end = next(
            (
                j
                for j in range(i + 1, len(lines))
                if (m := _CODE_MARK.match(lines[j])) and m.group(2, 3) == ("END", "SOLUTION")
            ),
            None,
        )
        if end is None:
            raise MarkerError(f"{where}, line {i + 1}: '# BEGIN SOLUTION' is never closed")
        i = end + 1
        stub = None
        if (
            i < len(lines)
            and (m := _CODE_MARK.match(lines[i]))
            and m.group(2, 3) == ("BEGIN", "STUB")
        ):
            stub_end = next(
                (
                    j
                    for j in range(i + 1, len(lines))
                    if (m2 := _CODE_MARK.match(lines[j])) and m2.group(2, 3) == ("END", "STUB")
                ),
                None,
            )
            if stub_end is None:
                raise MarkerError(f"{where}, line {i + 1}: '# BEGIN STUB' is never closed")
            stub = [_uncomment(line, indent) for line in lines[i + 1 : stub_end]]
            i = stub_end + 1
        out.extend(stub if stub is not None else [indent + PLACEHOLDER])
    return "\n".join(out)


def strip_markdown(source: str, where: str) -> str:
    """The exercise version of a markdown cell's source."""
    out: list[str] = []
    state = "text"
    for number, line in enumerate(source.split("\n"), start=1):
        if state == "text":
            if (m := _MD_SOLUTION.match(line)) and m.group(1) == "BEGIN":
                state = "solution"
            elif _MD_STUB_BEGIN.match(line):
                state = "stub"
            elif _MD_SOLUTION.match(line) or _MD_STUB_END.match(line):
                raise MarkerError(f"{where}, line {number}: a closing marker with no opening")
            else:
                out.append(line)
        elif state == "solution":
            if (m := _MD_SOLUTION.match(line)) and m.group(1) == "END":
                state = "text"
        elif _MD_STUB_END.match(line):
            state = "text"
        else:
            out.append(line)
    if state != "text":
        raise MarkerError(f"{where}: a {state} block is never closed")
    return "\n".join(out)


def solution_blocks(source: str) -> list[str]:
    """The lines between solution markers (code or markdown), for leak tests."""
    blocks, inside = [], False
    for line in source.split("\n"):
        code, md = _CODE_MARK.match(line), _MD_SOLUTION.match(line)
        if (code and code.group(3) == "SOLUTION") or md:
            inside = (code.group(2) if code else md.group(1)) == "BEGIN"
        elif inside:
            blocks.append(line)
    return blocks


def make_exercise(solution: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """The exercise notebook for a solution notebook: no solutions, no outputs."""
    exercise = nbformat.v4.new_notebook()
    exercise.metadata = {k: v for k, v in solution.metadata.items() if k != "widgets"}
    exercise.metadata.setdefault("polysemantic", {})
    exercise.metadata["polysemantic"] = {**exercise.metadata["polysemantic"], "kind": "exercise"}
    for number, cell in enumerate(solution.cells, start=1):
        tags = cell.get("metadata", {}).get("tags", [])
        if "solution-only" in tags:
            continue
        where = f"{name}, cell {number}"
        metadata = {"tags": tags} if tags else {}
        if cell.cell_type == "code":
            new = nbformat.v4.new_code_cell(strip_code(cell.source, where), metadata=metadata)
        elif cell.cell_type == "markdown":
            new = nbformat.v4.new_markdown_cell(
                strip_markdown(cell.source, where), metadata=metadata
            )
        else:
            new = nbformat.v4.new_raw_cell(cell.source, metadata=metadata)
        new.id = cell.get("id", new.id)
        exercise.cells.append(new)
    return exercise


def render(notebook: nbformat.NotebookNode) -> str:
    return nbformat.writes(notebook, version=4) + "\n"


def _with_install_line(
    solution: nbformat.NotebookNode, repository: Repository, where: str
) -> nbformat.NotebookNode:
    """A copy of SOLUTION whose setup cell installs the course from REPOSITORY."""
    updated = nbformat.from_dict(solution)
    setup = next((cell for cell in updated.cells if cell.cell_type == "code"), None)
    if setup is None:
        raise MarkerError(f"{where}: no code cell, so no setup cell")
    setup.source = set_install_line(setup.source, repository, f"{where}, first code cell")
    return updated


def sync(
    solutions: Path,
    exercises: Path,
    *,
    check: bool = False,
    repository: Repository | None = None,
) -> list[str]:
    """Regenerate exercises/ from solutions/; return what differs (or differed).

    With check=True nothing is written: the returned list says which exercise
    notebooks are out of date, missing, or have no solution any more. With a
    repository, a solution whose setup cell installs the course from another
    address is listed too, and (without check) has that one line rewritten.
    """
    problems: list[str] = []
    expected: dict[str, str] = {}
    for path in sorted(solutions.glob("*.ipynb")):
        where = f"solutions/{path.name}"
        solution = nbformat.read(path, as_version=4)
        if repository is not None:
            updated = _with_install_line(solution, repository, where)
            if updated != solution:
                problems.append(
                    f"{where} does not install the course from "
                    f"{repository.url}@{repository.branch} (the address in {CONFIG})"
                )
                if not check:
                    path.write_text(render(updated), encoding="utf-8")
            solution = updated
        expected[path.name] = render(make_exercise(solution, where))
    for name, text in expected.items():
        target = exercises / name
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current != text:
            state = "missing" if current is None else "out of date"
            problems.append(f"exercises/{name} is {state}")
            if not check:
                exercises.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
    for path in sorted(exercises.glob("*.ipynb")):
        if path.name not in expected:
            problems.append(f"exercises/{path.name} has no solutions/{path.name}")
    return problems
