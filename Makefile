# The agency assistant bus. `make demo` and `make test` do all their own set-up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
SUDO   := $(shell test "$$(id -u)" = 0 || echo sudo)
# Tools the tests run from outside Python, installed into the ignored .cache/ by `make tools`.
NODE_TOOLS := .cache/node
NODE_STAMP := $(NODE_TOOLS)/.installed-$(shell cat tools/asyncapi/package-lock.json | sha1sum | cut -c1-12)
HELM_VERSION := v4.3.2
HELM       := .cache/bin/helm
HELM_STAMP := .cache/bin/.helm-$(HELM_VERSION)
CHART      := deploy/helm/agency-bus

.DEFAULT_GOAL := help
.PHONY: help install system-deps tools asyncapi chart image demo test lint typecheck promtool helm-lint pytest kafka-start kafka-stop clean bench

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $@

install: system-deps $(STAMP) ## create .venv with the bus and its dev tools

$(NODE_STAMP): tools/asyncapi/package.json tools/asyncapi/package-lock.json
	mkdir -p $(NODE_TOOLS)
	cp tools/asyncapi/package.json tools/asyncapi/package-lock.json $(NODE_TOOLS)/
	npm ci --prefix $(NODE_TOOLS) --ignore-scripts --no-audit --no-fund --loglevel=error
	rm -f $(NODE_TOOLS)/.installed-* && touch $@

$(HELM_STAMP):  # compiled from its Go module once (a few minutes)
	mkdir -p .cache/bin
	GOBIN=$(CURDIR)/.cache/bin go install helm.sh/helm/v4/cmd/helm@$(HELM_VERSION)
	rm -f .cache/bin/.helm-* && touch $@

tools: $(NODE_STAMP) $(HELM_STAMP) ## tools the tests use, into .cache/: the AsyncAPI parser and axe-core (npm), helm (Go)

asyncapi: $(STAMP) $(NODE_STAMP) ## write build/asyncapi.yaml from the catalogue and contracts, and validate it
	mkdir -p build
	$(BIN)/bus asyncapi --out build/asyncapi.yaml
	NODE_PATH=$(NODE_TOOLS)/node_modules node tools/asyncapi/validate.cjs build/asyncapi.yaml

system-deps: ## Debian packages the tests use: prometheus (promtool, a real server), chromium (the console's browser test), zsh (completion test), podman, runc and mmdebstrap (the image)
	@command -v promtool >/dev/null && command -v prometheus >/dev/null && command -v chromium >/dev/null && command -v zsh >/dev/null \
		&& command -v podman >/dev/null && command -v runc >/dev/null && command -v mmdebstrap >/dev/null || \
		{ $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq prometheus chromium zsh podman runc mmdebstrap; }

demo: $(STAMP) ## start a local Kafka and the registry, run the bus end to end, print a summary
	$(BIN)/bus demo

test: lint typecheck promtool helm-lint pytest ## ruff, mypy --strict and the whole test suite on a real broker

lint: $(STAMP) ## ruff lint and format check
	$(BIN)/ruff check bus connectors bench tests
	$(BIN)/ruff format --check bus connectors bench tests

typecheck: $(STAMP) ## mypy --strict on bus/, connectors/ and bench/
	$(BIN)/mypy

promtool: system-deps ## check the Prometheus config and alert rules, run the rule unit tests
	promtool check config deploy/prometheus/prometheus.yml
	promtool test rules deploy/prometheus/alerts_test.yml

helm-lint: $(HELM_STAMP) ## helm lint the chart with each value set in its ci/
	for values in $(CHART)/ci/*-values.yaml; do $(HELM) lint --strict $(CHART) --values $$values || exit 1; done

chart: $(STAMP) ## regenerate the chart's files/principals.json from the code
	$(BIN)/bus catalogue export --helm --out $(CHART)/files/principals.json

pytest: $(STAMP) system-deps tools ## the tests (start their own broker unless one answers at $$BUS_BOOTSTRAP_SERVERS)
	$(BIN)/pytest

bench: $(STAMP) ## the bus against its baselines on a local Kafka, ~27 min on 2 cores (not in make test)
	$(BIN)/python -m bench $(BENCH_ARGS)

image: system-deps $(STAMP) ## build the chart's image agency-bus:latest with podman, its base from Debian's packages (no registry needed)
	PYTHON=$(BIN)/python deploy/container/build.sh agency-bus:latest

kafka-start: $(STAMP) ## start the local single-node Kafka on 127.0.0.1:9092
	$(BIN)/bus kafka start

kafka-stop: $(STAMP) ## stop the local Kafka
	$(BIN)/bus kafka stop

clean: ## remove the virtual environment and caches (not the Kafka jars)
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache *.egg-info
