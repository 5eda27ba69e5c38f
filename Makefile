# newswire: `make run` sets everything up and runs the main job; `make test` runs the tests.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
NEWSWIRE := $(BIN)/newswire
CACHE ?= $(or $(NEWSWIRE_CACHE_DIR),$(HOME)/.cache/newswire)
PRISM := $(CACHE)/bin/prism
BEAM_VERSION := 2.77.0

.PHONY: run test test-stressed bench venv prism lint unit integration broker-up broker-down clean

run: venv ## set up, replay the seeds through the pipeline on a local broker, show the result
	$(NEWSWIRE) demo

test: venv prism lint ## schema check, unit tests, integration tests on a real broker (and Prism)
	$(NEWSWIRE) schemas check
	NEWSWIRE_PRISM_LOCATION=$(PRISM) $(BIN)/pytest

test-stressed: venv prism ## make test with one core kept busy and under a memory cgroup (tests/stressed.sh)
	bash tests/stressed.sh

bench: venv prism ## throughput, latency, memory, near-duplicate quality -> bench/results.{md,json}
	$(BIN)/python -m bench.run

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] in ((3, 11), (3, 12)) else "newswire needs Python 3.11 or 3.12; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --progress-bar on -e '.[dev]'
	touch $@

# Prism, the DirectRunner's streaming engine, is a Go program in Beam's Go module; Beam would
# download a release binary from the internet, so we build it from the Go module proxy instead.
prism: $(PRISM)

$(PRISM):
	@command -v go >/dev/null || { echo "building Prism needs Go (1.22+) on PATH"; exit 1; }
	mkdir -p $(CACHE)/bin
	GOBIN=$(CACHE)/bin go install github.com/apache/beam/sdks/v2/go/cmd/prism@v$(BEAM_VERSION)

lint: venv
	$(BIN)/ruff check newswire tests docs bench
	$(BIN)/ruff format --check newswire tests docs bench

unit: venv
	$(BIN)/pytest tests/unit

integration: venv prism
	NEWSWIRE_PRISM_LOCATION=$(PRISM) $(BIN)/pytest tests/integration

broker-up: venv
	$(NEWSWIRE) broker up

broker-down: venv
	$(NEWSWIRE) broker down

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
