"""`make lab`: the project's own files install JupyterLab and open the learner's copies."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from polysemantic.cli import main
from polysemantic.lab import LabError, copy_exercises, lab_command

ROOT = Path(__file__).resolve().parents[1]
tomllib = pytest.importorskip("tomllib")  # Python 3.11+


def _make_dry_run(target: str, *variables: str) -> subprocess.CompletedProcess:
    """What `make TARGET` would run, without running it (make -n)."""
    return subprocess.run(
        ["make", "-n", "-C", str(ROOT), target, *variables],
        capture_output=True,
        text=True,
    )


def _extras(pyproject: dict, extra: str) -> set[str]:
    """The requirement names an extra brings in, following polysemantic[...] references."""
    names = set()
    for requirement in pyproject["project"]["optional-dependencies"][extra]:
        name = re.match(r"[A-Za-z0-9_.-]+", requirement).group(0).lower()
        if name == "polysemantic":
            for inner in re.search(r"\[(.*)\]", requirement).group(1).split(","):
                names |= _extras(pyproject, inner.strip())
        else:
            names.add(name)
    return names


def test_make_lab_opens_the_lab():
    run = _make_dry_run("lab")
    assert run.returncode == 0, run.stderr
    assert "polysemantic lab" in run.stdout


def test_make_has_no_such_target_says_so():
    run = _make_dry_run("no-such-target")
    assert run.returncode != 0 and "no-such-target" in run.stderr


def test_the_makefile_installs_the_extra_that_holds_jupyterlab():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    installed = re.findall(r'pip install --quiet -e "\.\[([\w,]+)\]"', makefile)
    assert installed, "the Makefile installs no extra of the course"
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    names = set().union(*(_extras(pyproject, e) for spec in installed for e in spec.split(",")))
    assert {"jupyterlab", "ipykernel"} <= names
    assert "jupyterlab" not in _extras(pyproject, "book")  # the check can tell


def test_jupyterlab_is_installed_here():
    jupyter = Path(sys.executable).parent / "jupyter"
    run = subprocess.run([str(jupyter), "lab", "--version"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert int(run.stdout.strip().split(".")[0]) >= 4


def _exercises(tmp_path: Path, names=("01_a", "02_b")) -> Path:
    folder = tmp_path / "exercises"
    folder.mkdir(exist_ok=True)
    for name in names:
        (folder / f"{name}.ipynb").write_text(f'{{"generated": "{name}"}}')
    return folder


def test_copies_every_exercise_then_never_replaces_one(tmp_path):
    exercises, workspace = _exercises(tmp_path), tmp_path / "mine"
    assert [p.name for p in copy_exercises(exercises, workspace)] == ["01_a.ipynb", "02_b.ipynb"]
    (workspace / "01_a.ipynb").write_text("my answers")
    _exercises(tmp_path, names=("01_a", "02_b", "03_c"))  # a new chapter arrives
    assert [p.name for p in copy_exercises(exercises, workspace)] == ["03_c.ipynb"]
    assert (workspace / "01_a.ipynb").read_text() == "my answers"


def test_the_command_opens_the_first_notebook_in_the_workspace(tmp_path):
    workspace = tmp_path / "mine"
    copy_exercises(_exercises(tmp_path), workspace)
    command = lab_command(workspace)
    assert Path(command[0]).name == "jupyter-lab"
    assert f"--ServerApp.root_dir={workspace}" in command
    assert command[-1] == str(workspace / "01_a.ipynb")


def test_no_exercises_is_a_clear_error(tmp_path, capsys):
    with pytest.raises(LabError, match="no exercise notebooks"):
        copy_exercises(tmp_path / "exercises", tmp_path / "mine")
    assert main(["lab", "--root", str(tmp_path), "--dry-run"]) == 2
    message = capsys.readouterr().err.strip()
    assert message.startswith("polysemantic lab: error: no exercise notebooks")
    assert "\n" not in message


def test_dry_run_copies_and_prints_the_command(tmp_path, capsys):
    _exercises(tmp_path)
    workspace = tmp_path / "mine"
    assert main(["lab", "--root", str(tmp_path), "--dir", str(workspace), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "2 exercise notebooks" in out and "2 copied now" in out
    assert "jupyter-lab" in out and str(workspace / "01_a.ipynb") in out
    assert main(["lab", "--root", str(tmp_path), "--dir", str(workspace), "--dry-run"]) == 0
    assert "copied now" not in capsys.readouterr().out
