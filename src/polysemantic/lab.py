"""The learner's own copies of the exercise notebooks, opened in JupyterLab.

`make lab` (`polysemantic lab`) copies exercises/*.ipynb into my-exercises/ and
opens JupyterLab there. A notebook already in my-exercises/ is never replaced, so
running it again keeps the learner's work and only adds chapters that are new.
exercises/ stays as generated: `git pull` and `make test` are not disturbed by
answers written in it.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

WORKSPACE = "my-exercises"


class LabError(RuntimeError):
    """JupyterLab cannot be opened; the message says what to do."""


def copy_exercises(exercises: Path, workspace: Path) -> list[Path]:
    """Copy every exercise notebook that WORKSPACE lacks; return the copies made."""
    notebooks = sorted(exercises.glob("*.ipynb"))
    if not notebooks:
        raise LabError(f"no exercise notebooks in {exercises}: run this in the course folder")
    workspace.mkdir(parents=True, exist_ok=True)
    copied = []
    for notebook in notebooks:
        target = workspace / notebook.name
        if not target.exists():
            shutil.copyfile(notebook, target)
            copied.append(target)
    return copied


def jupyter_lab() -> Path:
    """The `jupyter-lab` of this environment."""
    path = Path(sys.executable).parent / "jupyter-lab"
    if not path.exists():
        raise LabError(
            "JupyterLab is not installed in this environment: run `make lab` in the "
            "course folder, or `pip install 'polysemantic[lab]'`"
        )
    return path


def lab_command(workspace: Path) -> list[str]:
    """The command that opens WORKSPACE in JupyterLab, its first notebook in front."""
    first = min(workspace.glob("*.ipynb"), default=None)
    command = [str(jupyter_lab()), f"--ServerApp.root_dir={workspace}"]
    return command + ([str(first)] if first is not None else [])
