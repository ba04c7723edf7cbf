"""pytest set-up shared by the tests and by nbval on the notebooks.

- Progress bars off, so stored notebook outputs compare exactly; one thread
  per worker (see below).
- nbval: plotly figure outputs are not compared (their numbers are float data
  for drawing); printed text is. Exercise notebooks only have to run clean
  (nbval-lax), solution notebooks must reproduce their stored outputs.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

os.environ["POLYSEMANTIC_PROGRESS"] = "0"
# pytest runs two workers on this 2-core machine: one thread each. Two-thread
# torch in each would oversubscribe the cores, and OpenMP's spinning threads
# then slow everything several-fold. The notebooks' kernels and the book build
# inherit this; `polysemantic execute` stores outputs with the same setting.
os.environ["OMP_NUM_THREADS"] = "1"
os.environ["MKL_NUM_THREADS"] = "1"

try:
    from nbval.plugin import IPyNbFile
except ImportError:  # nbval not installed: the notebooks are simply not collected
    IPyNbFile = None

if IPyNbFile is not None:
    _nbval_init = IPyNbFile.__init__

    def _course_init(self, *args, **kwargs):
        _nbval_init(self, *args, **kwargs)
        self.skip_compare = self.skip_compare + ("application/vnd.plotly.v1+json",)
        if "exercises" in Path(str(self.path)).parts:
            self.compare_outputs = False

    IPyNbFile.__init__ = _course_init


@pytest.fixture(scope="session")
def run_book():
    """`polysemantic book ARGS...` run from the course root, as `make book` runs it
    (warnings are errors); returns its stdout, or fails the test with its output."""
    root = Path(__file__).resolve().parent

    def run(*args: str) -> str:
        command = [sys.executable, "-m", "polysemantic.cli", "book", *args]
        done = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=1800)
        assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
        return done.stdout

    return run


@pytest.fixture(scope="module")
def built_book(run_book) -> Path:
    """The book in _build/html, for the tests that read its pages. A second module, or
    a second worker, finds the build up to date: the build takes a lock, so two never
    write _build/html at once."""
    assert "The book is built" in run_book()
    return Path(__file__).resolve().parent / "_build" / "html"


@pytest.fixture(scope="session")
def lm_on_held_out():
    """The committed language model's neurons on every position of the held-out text, with
    the planted features' positions, as chapters 02 and 08 record them."""
    from polysemantic.language_model import tiny_lm
    from polysemantic.polysemanticity import read_held_out

    return read_held_out(tiny_lm.load_lm())
