"""The library as a graded submission sees it: no questions, no reference answers.

A submission may import the course's library, as its notebook does (`from
polysemantic import check, figures, needs_answer, score`, configs, data helpers).
The sandboxed worker does not get the real package: the grader writes a copy
(`build`) in which
- `polysemantic/__init__.py` offers `check`, `score` and `needs_answer` that do
  nothing (grading does not run the cells that call them);
- the question bank, the questions, the grading engine, authoring and the CLI are
  left out;
- every function that is the reference of a graded question, and every library
  function a question lists as computing its answer alone or composed (`removed`:
  the trainers, the splice that holds the loss recovered), is replaced, before its
  module is ever compiled in the worker, by a function of the same signature that
  raises `ReferenceRemoved`; its body and docstring are gone, so nothing in the
  worker's memory or on its disk can be, hold or lead to the reference. Library
  code that calls one of them (a sweep, a forward pass) raises the same way;
- only the sandbox's own modules of the grading engine come along, so the worker
  can run.

The real package stays unreadable from inside the sandbox (see landlock.py).
"""

from __future__ import annotations

import ast
import shutil
from collections.abc import Iterable
from pathlib import Path

import polysemantic
from polysemantic.grading.question import Question

PACKAGE = Path(polysemantic.__file__).resolve().parent

LEFT_OUT = {"course.py", "cli.py", "questions", "authoring", "grading", "__pycache__"}
SANDBOX_MODULES = ("compare.py", "landlock.py", "payload.py", "seccomp.py", "worker.py")
DATA_FILES = ("*.npz", "*.c")

STAND_IN_INIT = '''"""polysemantic, as a submission sees it while it is graded.

The course's questions and the reference implementations of its graded answers are
not here. `check`, `quiz`, `score` and `needs_answer` do nothing: grading runs a
notebook's definitions, not the cells that call them.
"""

import contextlib

__version__ = {version!r}
__all__ = ["check", "needs_answer", "quiz", "score"]


def check(*args, **kwargs):
    return None


def quiz(*args, **kwargs):
    return None


def score(*args, **kwargs):
    return None


@contextlib.contextmanager
def needs_answer(*question_ids):
    try:
        yield
    except NotImplementedError:
        pass
'''

GRADING_INIT = '"""The sandbox side of the grading engine (worker, Landlock, seccomp)."""\n'


class ReferenceNotFound(ValueError):
    """A question's reference is not a top-level function the copy can replace."""


def references(questions: Iterable[Question]) -> dict[str, set[str]]:
    """{module: {function names}} of every question's reference implementation and of
    the library functions it lists as computing its answer."""
    found: dict[str, set[str]] = {}
    for question in questions:
        for ref in (question.reference, *question.removed):
            module, name = getattr(ref, "__module__", None), getattr(ref, "__qualname__", "")
            top = module and module.startswith("polysemantic.") and "." not in name
            if not top or "<" in name:
                raise ReferenceNotFound(
                    f"{question.id}: {module}.{name} is not a top-level function "
                    "of a library module, so the worker's copy cannot leave it out"
                )
            found.setdefault(module, set()).add(name)
    return found


def _message(module: str, name: str) -> str:
    return (
        f"{module}.{name} is the course's reference for a graded question: it is not "
        "available while grading; write your own implementation"
    )


def strip(source: str, module: str, names: set[str]) -> str:
    """`source` with each function of `names` reduced to its signature and a raise."""
    tree = ast.parse(source)
    missing = set(names)
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in names:
            raise_ = ast.parse(f"raise ReferenceRemoved({_message(module, node.name)!r})").body
            node.body = raise_
            node.decorator_list = []
            missing.discard(node.name)
    if missing:
        raise ReferenceNotFound(f"{module}: no top-level function {', '.join(sorted(missing))}")
    definition = ast.parse(
        "class ReferenceRemoved(RuntimeError):\n"
        "    'A graded reference implementation, left out of the library while grading.'\n"
    ).body
    position = next(  # after the docstring and `from __future__` imports
        (
            i
            for i, node in enumerate(tree.body)
            if not (
                isinstance(node, ast.ImportFrom)
                and node.module == "__future__"
                or i == 0
                and isinstance(node, ast.Expr)
                and isinstance(node.value, ast.Constant)
            )
        ),
        len(tree.body),
    )
    tree.body[position:position] = definition
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def build(questions: Iterable[Question], destination: Path) -> Path:
    """Write the worker's copy of the library into `destination` (it holds a
    `polysemantic` package); returns `destination`. Raises ReferenceNotFound."""
    removed = {  # a reference kept in a part left out of the copy needs no stripping
        module: names
        for module, names in references(questions).items()
        if module.split(".")[1] not in LEFT_OUT and f"{module.split('.')[1]}.py" not in LEFT_OUT
    }
    target = destination / "polysemantic"
    target.mkdir(parents=True)
    for path in sorted(PACKAGE.rglob("*")):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] in LEFT_OUT or "__pycache__" in relative.parts:
            continue
        out = target / relative
        if path.is_dir():
            out.mkdir(parents=True, exist_ok=True)
        elif path.suffix == ".py":
            module = _module_name(path)
            source = path.read_text(encoding="utf-8")
            if module in removed:
                source = strip(source, module, removed.pop(module))
            out.write_text(source, encoding="utf-8")
        elif any(path.match(pattern) for pattern in DATA_FILES):
            shutil.copyfile(path, out)
    if removed:
        raise ReferenceNotFound(f"no module {', '.join(sorted(removed))} in {PACKAGE}")
    (target / "__init__.py").write_text(
        STAND_IN_INIT.format(version=polysemantic.__version__), encoding="utf-8"
    )
    grading = target / "grading"
    grading.mkdir()
    (grading / "__init__.py").write_text(GRADING_INIT, encoding="utf-8")
    for name in SANDBOX_MODULES:
        shutil.copyfile(PACKAGE / "grading" / name, grading / name)
    for path in [destination, *destination.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return destination
