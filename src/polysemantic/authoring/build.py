"""Build the book with Jupyter Book 1: warnings are errors, references must resolve.

Two editions come from the same sources, each into _build/html by default:
- the full book, with every chapter's solutions;
- the book for a graded class (`without_solutions`), whose table of contents
  leaves the solution pages out. Its output folder is emptied first, so no
  solution page of an earlier build survives, and the Sphinx tag
  `without_solutions` lets a page say which edition it is in
  (```{only} without_solutions```).

Both share the execution cache in _build/.jupyter_cache, so the chapters run once.
A lock on _build/.book.lock lets one build at a time write there.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from polysemantic.authoring.book_pdf import link_the_pdf

TAG_WITHOUT_SOLUTIONS = "without_solutions"
_SOLUTIONS = "solutions/"


class BuildError(RuntimeError):
    """The build could not start or did not succeed; the message says why."""


def toc_without_solutions(toc: Any) -> Any:
    """A Jupyter Book table of contents (parsed YAML) without its solution pages.

    A list of entries left empty goes too (a chapter whose only section was its
    solutions keeps no `sections`), since Jupyter Book refuses an empty one.
    """
    if isinstance(toc, list):
        return [toc_without_solutions(item) for item in toc if not _is_solution(item)]
    if isinstance(toc, dict):
        kept = {key: toc_without_solutions(value) for key, value in toc.items()}
        return {key: value for key, value in kept.items() if value != []}
    return toc


def _is_solution(entry: Any) -> bool:
    return isinstance(entry, dict) and str(entry.get("file", "")).startswith(_SOLUTIONS)


@contextlib.contextmanager
def _one_build_at_a_time(build_dir: Path) -> Iterator[None]:
    build_dir.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # Windows: no lock
        yield
        return
    with open(build_dir / ".book.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _check_output(out: Path) -> None:
    """Refuse to build into a folder that holds anything but an earlier build."""
    if out.exists() and any(out.iterdir()) and not (out / ".buildinfo").exists():
        raise BuildError(
            f"{out} is not empty and holds no earlier build of the book: "
            "build somewhere else (nothing there was changed)"
        )


def build_book(
    root: Path,
    *,
    build_dir: Path | None = None,
    without_solutions: bool = False,
    rebuild_all: bool = False,
) -> Path:
    """Build the HTML book of the course at ROOT into BUILD_DIR/html; return that folder.

    BUILD_DIR (default ROOT/_build) also gets what Sphinx keeps between builds
    (.doctrees) and the executed chapters (jupyter_execute), as _build does.
    """
    import yaml
    from jupyter_book.sphinx import build_sphinx

    root = root.resolve()
    config = root / "book" / "_config.yml"
    toc = root / "book" / "_toc.yml"
    for path in (config, toc):
        if not path.exists():
            raise BuildError(f"no {path.relative_to(root)} in {root}")
    cache = root / "_build"  # the execution cache and the lock, whatever BUILD_DIR is
    build_dir = (build_dir or cache).resolve()
    out = build_dir / "html"
    _check_output(out)
    with _one_build_at_a_time(cache):
        if without_solutions:
            if out.exists():  # Sphinx would keep the solution pages of a full build there
                shutil.rmtree(out)
            # A fixed path: Sphinx reads every page again when the path changes.
            build_dir.mkdir(parents=True, exist_ok=True)
            edition_toc = build_dir / "toc-without-solutions.yml"
            parsed = yaml.safe_load(toc.read_text(encoding="utf-8"))
            edition_toc.write_text(
                yaml.safe_dump(toc_without_solutions(parsed), sort_keys=False), encoding="utf-8"
            )
            toc = edition_toc
        result = build_sphinx(
            root,
            out,
            noconfig=True,
            path_config=str(config),
            confoverrides={
                "external_toc_path": toc.as_posix(),
                "nitpicky": True,
                "latex_individualpages": False,  # jupyter-book expects it from its CLI
                "nb_execution_cache_path": str(cache / ".jupyter_cache"),
            },
            doctreedir=build_dir / ".doctrees",
            warningiserror=True,
            keep_going=True,
            force_all=rebuild_all,
            tags=[TAG_WITHOUT_SOLUTIONS] if without_solutions else [],
        )
    if isinstance(result, BaseException) or result != 0:
        raise BuildError("the build failed; the messages above say where")
    link_the_pdf(out)
    return out
