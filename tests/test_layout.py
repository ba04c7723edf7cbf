"""The library's layout: the grading engine knows no chapter, and no module imports
another that (directly or not) imports it back."""

import ast
import subprocess
import sys
from pathlib import Path

from polysemantic.course import COURSE

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "polysemantic"
CHAPTERS = [
    "monosemanticity", "polysemanticity", "capacity", "radio_stations",
    "directions", "superposition", "why_it_matters", "sparse_autoencoders",
]  # fmt: skip


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every polysemantic module `path` imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in found if name.startswith("polysemantic")}


def import_graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: _imports(path) & set(modules) - {name} for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A list of modules that import each other in a loop, or None."""
    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return path[path.index(nxt) :] + [nxt] if nxt in path else [node, nxt]
            if nxt not in state and (cycle := visit(nxt, path + [nxt])):
                return cycle
        state[node] = "done"
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start, [start])):
            return cycle
    return None


def test_the_library_has_no_import_cycle():
    assert find_cycle(import_graph()) is None


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_importing_the_grading_engine_loads_no_chapter():
    probe = (
        "import sys, polysemantic.grading, polysemantic.grading.gradebook;"
        "print(' '.join(m for m in sys.modules if m.startswith('polysemantic')))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.split()
    assert "polysemantic.grading" in loaded
    assert not [m for m in loaded if m.split(".")[-1] in CHAPTERS or ".questions" in m]


def test_no_grading_module_names_a_chapter():
    for path in (PACKAGE / "grading").glob("*.py"):
        names = _imports(path)
        named = [n.split(".")[1] for n in names if "." in n]
        assert not set(named) & set(CHAPTERS + ["questions", "course"]), path


def test_every_chapter_has_its_reference_code_questions_and_tests_under_one_stem():
    root = PACKAGE.parents[1]
    for number, stem in enumerate(CHAPTERS, start=1):
        nn = f"{number:02d}"
        for path in (
            root / "chapters" / f"{nn}_{stem}.md",
            root / "solutions" / f"{nn}_{stem}.ipynb",
            root / "exercises" / f"{nn}_{stem}.ipynb",
            PACKAGE / f"{stem}.py",
            PACKAGE / "questions" / f"{stem}.py",
            root / "tests" / f"test_{stem}.py",
        ):
            assert path.exists(), path
        assert COURSE.for_chapter(nn), f"chapter {nn} has no questions in the course"


def test_no_wrong_answer_is_public_api_of_a_chapter_module():
    """Named mistakes live with their question; a chapter module exports reference code."""
    for stem in CHAPTERS:
        public = {
            node.name
            for node in ast.parse((PACKAGE / f"{stem}.py").read_text(encoding="utf-8")).body
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_")
        }
        mistakes = {
            getattr(m.answer, "__name__", "")
            for q in COURSE.for_chapter(f"{CHAPTERS.index(stem) + 1:02d}")
            for m in q.mistakes
        }
        assert not public & mistakes, (stem, public & mistakes)


def _readme_misses(readme: str) -> list[str]:
    """Modules the README's module table does not name: a top-level module or package as
    `polysemantic.name`, a module of authoring/ or grading/ as `name`."""
    missing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1].startswith("_"):
            continue
        if len(parts) == 1 and f"`polysemantic.{parts[0]}`" not in readme:
            missing.append(parts[0])
        elif parts[0] in ("authoring", "grading") and f"`{parts[-1]}`" not in readme:
            missing.append(".".join(parts))
    return missing


def test_the_readme_names_every_module():
    readme = (PACKAGE.parents[1] / "README.md").read_text(encoding="utf-8")
    assert _readme_misses(readme) == []
    assert _readme_misses(readme.replace("`timing`", "timing")) == ["authoring.timing"]
