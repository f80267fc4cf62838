# Every target creates .venv/ and installs the project (with its dev extra) when needed,
# so each one works by itself on a fresh clone.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test run lint eval bench bench-full clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found; install Python 3.11 (apt-get install python3.11 python3.11-venv)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/kizuna demo

test: $(STAMP)
	$(BIN)/python -m pytest

run: $(STAMP)
	$(BIN)/kizuna run

# Matcher quality on our labelled set, and on the shared dev set when it is beside the repo.
eval: $(STAMP)
	$(BIN)/python -m matching.evaluate tests/fixtures/eval/labelled.jsonl $(wildcard ../shared/eval/dev.jsonl)
	$(BIN)/python -m kizuna.story_eval tests/fixtures/eval/labelled.jsonl $(wildcard ../shared/eval/dev.jsonl)

# Benchmarks (benchmarks/): prints a table, writes var/bench/results.json.
# BENCH_ARGS="ingest --scale 0.01" for a quick run of one benchmark. `bench` fits in ten
# minutes on two cores; `bench-full` runs issue 8's full sizes (100,000 ingested items).
bench: $(STAMP)
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

bench-full: $(STAMP)
	$(BIN)/python -m benchmarks --scale 1 $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/hadolint Dockerfile

clean:
	rm -rf $(VENV) var
