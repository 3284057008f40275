# The agency assistant bus. `make demo` and `make test` do all their own set-up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
SUDO   := $(shell test "$$(id -u)" = 0 || echo sudo)

.DEFAULT_GOAL := help
.PHONY: help install system-deps demo test lint typecheck promtool pytest kafka-start kafka-stop clean bench

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $@

install: system-deps $(STAMP) ## create .venv with the bus and its dev tools

system-deps: ## Debian packages the tests use: prometheus (promtool, a real server), chromium (the console's browser test), zsh (completion test)
	@command -v promtool >/dev/null && command -v prometheus >/dev/null && command -v chromium >/dev/null && command -v zsh >/dev/null || \
		{ $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq prometheus chromium zsh; }

demo: $(STAMP) ## start a local Kafka and the registry, run the bus end to end, print a summary
	$(BIN)/bus demo

test: lint typecheck promtool pytest ## ruff, mypy --strict and the whole test suite on a real broker

lint: $(STAMP) ## ruff lint and format check
	$(BIN)/ruff check bus connectors bench tests
	$(BIN)/ruff format --check bus connectors bench tests

typecheck: $(STAMP) ## mypy --strict on bus/, connectors/ and bench/
	$(BIN)/mypy

promtool: system-deps ## check the Prometheus config and alert rules, run the rule unit tests
	promtool check config deploy/prometheus/prometheus.yml
	promtool test rules deploy/prometheus/alerts_test.yml

pytest: $(STAMP) system-deps ## the tests (start their own broker unless one answers at $$BUS_BOOTSTRAP_SERVERS)
	$(BIN)/pytest

bench: $(STAMP) ## the bus against its baselines on a local Kafka, ~27 min on 2 cores (not in make test)
	$(BIN)/python -m bench $(BENCH_ARGS)

kafka-start: $(STAMP) ## start the local single-node Kafka on 127.0.0.1:9092
	$(BIN)/bus kafka start

kafka-stop: $(STAMP) ## stop the local Kafka
	$(BIN)/bus kafka stop

clean: ## remove the virtual environment and caches (not the Kafka jars)
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache *.egg-info
