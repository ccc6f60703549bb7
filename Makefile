SHELL := /bin/bash
# litlab: `make help` lists the targets. Every target installs what it needs first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
ARGS ?=

.PHONY: help install train test test-all test-fast lint format bench serve clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

install: $(STAMP)  ## create .venv and install litlab[dev] with the pinned versions

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]' 2>&1 | grep -v "^WARNING: Location"; test $${PIPESTATUS[0]} -eq 0
	touch $@

train: install  ## train the default model (pass ARGS="experiment=cnn_mnist ...")
	$(PY) train.py $(ARGS)

test: install  ## the full test suite (what CI runs)
	$(PY) -m pytest

test-fast: install  ## the suite without tests marked slow
	$(PY) -m pytest -m "not slow"

test-all: test  ## alias of test: slow tests are part of it

lint: install  ## ruff check + format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install  ## apply ruff fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: install  ## run the benchmarks in benchmarks/ (appends to benchmarks/RESULTS.md)
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

serve: install  ## serve a checkpoint on 127.0.0.1:8000 (ARGS="ckpt_path=<.ckpt> port=8000")
	$(VENV)/bin/litlab-serve $(ARGS)

clean:  ## remove logs, caches and build files (keeps .venv)
	rm -rf logs outputs multirun .pytest_cache .ruff_cache build *.egg-info src/*.egg-info
	find . -name __pycache__ -not -path "./$(VENV)/*" -prune -exec rm -rf {} +
