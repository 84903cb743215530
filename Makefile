# Two commands matter: `make run` (set up and start the whole local stack) and `make test`
# (set up and run every check). Everything else is a building block of those two.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP_PY := $(VENV)/.installed
STAMP_NODE := node_modules/.installed
# Branch coverage `make test` must reach (measured on the whole suite; raise it as it rises).
COVERAGE_FLOOR := 92

.PHONY: help setup browser run test lint typecheck unit integration e2e bench chaos clean docs

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP_PY): requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11 or run 'make PYTHON=/path/to/python3.11'" >&2; exit 1; }
	@echo "==> creating $(VENV) and installing pinned Python requirements"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

$(STAMP_NODE): package.json package-lock.json
	@command -v node >/dev/null || { echo "error: Node.js 20+ not found; install it (it runs Azurite)" >&2; exit 1; }
	@echo "==> installing Azurite from package-lock.json (npm ci)"
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $@

setup: $(STAMP_PY) $(STAMP_NODE) local.settings.json ## create .venv, install pinned deps, npm ci

# The browser tests drive Debian's chromium (CHROMIUM=/path overrides); `command -v` makes this
# free when it is there. Not part of `make run`: the console itself needs no browser on the host.
browser: ## install Debian's chromium for the browser tests when missing (apt-get, sudo if not root)
	@if [ -n "$$CHROMIUM" ] || command -v chromium >/dev/null || command -v chromium-browser >/dev/null; then exit 0; fi; \
	echo "==> installing Debian's chromium for the browser tests (apt-get)"; \
	if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null; then SUDO=sudo; else SUDO=none; fi; \
	{ [ "$$SUDO" != none ] && $$SUDO apt-get update -qq && \
	  $$SUDO apt-get install -y --no-install-recommends chromium; } || \
	{ echo "error: chromium is missing and apt-get could not install it; install it (Debian/Ubuntu: apt-get install chromium) or set CHROMIUM=/path/to/chromium" >&2; exit 1; }

local.settings.json:
	@cp local.settings.sample.json local.settings.json
	@echo "==> created local.settings.json from local.settings.sample.json"

run: setup ## start Azurite, the Event Grid emulator and the Functions host (Ctrl-C stops)
	@$(PY) -m devstack up

lint: $(STAMP_PY) ## ruff and mypy
	@echo "==> ruff"
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@echo "==> mypy"
	@$(VENV)/bin/mypy .

test: setup browser lint ## lint, then unit, integration, e2e and browser tests (real Azurite, real HTTP, real chromium), with branch coverage
	@echo "==> pytest (branch coverage: pyproject.toml [tool.coverage.*], floor COVERAGE_FLOOR)"
	@$(PY) -m pytest --cov --cov-report=term --cov-fail-under=$(COVERAGE_FLOOR)

unit: $(STAMP_PY) ## unit tests only (no I/O)
	@$(PY) -m pytest tests/unit

bench: setup ## open-loop benchmark on a stack it starts; writes bench/results/ and docs/performance.md figures
	@$(PY) -m bench

chaos: setup ## fault injection + saga audit on a stack it starts; writes chaos/results/latest.json
	@$(PY) -m chaos

clean: ## remove the venv, node_modules and local Azurite data
	rm -rf $(VENV) node_modules .azurite .mypy_cache .ruff_cache .pytest_cache
