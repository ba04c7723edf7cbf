"""Every notebook's setup cell (`from polysemantic import check, ...`) puts torch on one
thread, as a learner runs it in `make lab` (no thread variable set): the course's small
models run several times slower on torch's default threads on a busy 2-core laptop
(benchmarks/exercise_budgets.py). A thread variable the learner set wins."""

import os
import subprocess
import sys

import nbformat
import pytest

from polysemantic import THREAD_VARIABLES

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]


def _threads(code: str, **env: str) -> int:
    """torch's threads after CODE, in a fresh Python with no thread variable but ENV's."""
    clean = {k: v for k, v in os.environ.items() if k not in THREAD_VARIABLES}
    done = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport torch; print(torch.get_num_threads())"],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    return int(done.stdout.split()[-1])


@pytest.fixture(scope="module")
def default() -> int:
    threads = _threads("pass")
    if threads == 1:
        pytest.skip("torch picks one thread on this machine anyway")
    return threads


def test_the_setup_cell_puts_torch_on_one_thread(default):
    assert _threads("from polysemantic import check, needs_answer, quiz, score") == 1
    assert _threads("from polysemantic import quiz") == 1


def test_every_notebook_setup_cell_imports_the_notebook_helpers():
    for path in sorted((ROOT / "solutions").glob("*.ipynb")):
        setup = next(c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
        assert "from polysemantic import check" in setup.source, path.name


def test_a_thread_variable_the_learner_set_wins(default):
    assert _threads("from polysemantic import check", OMP_NUM_THREADS="2") == 2
    assert _threads("from polysemantic import check", MKL_NUM_THREADS="2") == 2


def test_the_rest_of_the_library_leaves_torch_alone(default):
    assert _threads("import polysemantic.grading, polysemantic.monosemanticity") == default
    # ... and the learner's own choice after the setup cell stands.
    chosen = "from polysemantic import check; import torch; torch.set_num_threads(2)"
    assert _threads(chosen + "; from polysemantic import score") == 2
