# The README's commands: `make book`, `make lab`, `make handouts`, `make pdf` and `make test`.
# Each creates .venv if it is missing and installs the course into it.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# torch is installed first, on its own, so pip never pulls a multi-GB CUDA build
# as a dependency. On a machine with a CPU wheel of torch 2.13.0 on disk this
# takes that wheel; elsewhere override it, e.g. `make test TORCH=torch`.
TORCH  ?= torch==2.13.0
STAMP  := $(VENV)/.installed
# `make book SOLUTIONS=no` builds the book for a graded class: no solution pages.
# The Pages workflow reads the same setting (the repository variable BOOK_SOLUTIONS).
SOLUTIONS ?= yes
# More arguments for JupyterLab, e.g. `make lab JUPYTER_ARGS=--no-browser`.
JUPYTER_ARGS ?=

ifeq ($(filter $(SOLUTIONS),yes no),)
$(error SOLUTIONS must be yes or no, not '$(SOLUTIONS)')
endif

.PHONY: book lab test install exercises handouts pdf serve clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/pip install --quiet $(TORCH)
	$(BIN)/pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

book: $(STAMP)
	$(BIN)/polysemantic book $(if $(filter no,$(SOLUTIONS)),--without-solutions)

lab: $(STAMP)
	$(BIN)/polysemantic lab -- $(JUPYTER_ARGS)

test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks conftest.py
	$(BIN)/ruff format --check src tests benchmarks conftest.py
	$(BIN)/pytest

handouts: $(STAMP)
	$(BIN)/polysemantic handouts --force

# The whole book as one PDF, _build/html/polysemantic.pdf (the book links it), printed
# by headless Chromium from the built pages; `make pdf SOLUTIONS=no` prints the class's.
pdf: book
	$(BIN)/polysemantic pdf

exercises: $(STAMP)
	$(BIN)/polysemantic exercises

serve: $(STAMP)
	$(BIN)/python -m http.server --directory _build/html 8000

clean:
	rm -rf _build
