# eci-scout: two commands. `make demo` runs the whole job offline; `make test` the tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck install clean bench eval

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/scout demo --out demo-output

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

test: $(STAMP) lint typecheck
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python -m bench.storage_batches --quick
	$(BIN)/python -m bench.classify_throughput --quick
	$(BIN)/python -m bench.jetstream_throughput --quick
	$(BIN)/python -m bench.mastodon_budget --quick
	$(BIN)/python -m bench.follow_budget --quick

# Cross-validated classifier scores on the real labelled accounts -> docs/EVALUATION.md
eval: $(STAMP)
	$(BIN)/python -m bench.evaluate_classifier --out docs/EVALUATION.md

clean:
	rm -rf demo-output .pytest_cache .mypy_cache .ruff_cache build *.egg-info
