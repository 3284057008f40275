# The agency assistant bus. `make demo` and `make test` do all their own set-up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.DEFAULT_GOAL := help
.PHONY: help install demo test lint typecheck pytest kafka-start kafka-stop clean bench

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP) ## create .venv with the bus and its dev tools

demo: $(STAMP) ## start a local Kafka and the registry, run the bus end to end, print a summary
	$(BIN)/bus demo

test: lint typecheck pytest ## ruff, mypy --strict and the whole test suite on a real broker

lint: $(STAMP) ## ruff lint and format check
	$(BIN)/ruff check bus tests bench
	$(BIN)/ruff format --check bus tests bench

typecheck: $(STAMP) ## mypy --strict on bus/ and bench/
	$(BIN)/mypy

pytest: $(STAMP) ## the tests (start their own broker unless one answers at $$BUS_BOOTSTRAP_SERVERS)
	$(BIN)/pytest

bench: $(STAMP) ## the bus against its baselines on a local Kafka, ~15 min on 2 cores (not in make test)
	$(BIN)/python -m bench $(BENCH_ARGS)

kafka-start: $(STAMP) ## start the local single-node Kafka on 127.0.0.1:9092
	$(BIN)/bus kafka start

kafka-stop: $(STAMP) ## stop the local Kafka
	$(BIN)/bus kafka stop

clean: ## remove the virtual environment and caches (not the Kafka jars)
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache *.egg-info
