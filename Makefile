# The commands of the README: `make book`, `make test` and `make handouts`.
# Both create .venv if it is missing and install the course into it.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# torch is installed first, on its own, so pip never pulls a multi-GB CUDA build
# as a dependency. On a machine with a CPU wheel of torch 2.13.0 on disk this
# takes that wheel; elsewhere override it, e.g. `make test TORCH=torch`.
TORCH  ?= torch==2.13.0
STAMP  := $(VENV)/.installed

.PHONY: book test install exercises handouts serve clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/pip install --quiet $(TORCH)
	$(BIN)/pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

book: $(STAMP)
	$(BIN)/polysemantic book

test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks conftest.py
	$(BIN)/ruff format --check src tests benchmarks conftest.py
	$(BIN)/pytest

handouts: $(STAMP)
	$(BIN)/polysemantic handouts --force

exercises: $(STAMP)
	$(BIN)/polysemantic exercises

serve: $(STAMP)
	$(BIN)/python -m http.server --directory _build/html 8000

clean:
	rm -rf _build
