# Helpway: `make dev` runs the demo, `make test` runs every test. Both set everything up first.
SHELL := /bin/bash
export PATH := $(HOME)/.local/bin:$(PATH)
export OPENBLAS_NUM_THREADS ?= 1
UV ?= uv

.PHONY: setup tools dev test lint bench eval

setup: tools node_modules/.package-lock.json
	bash scripts/setup-system
	$(UV) sync --frozen
	$(UV) run helpway build-widget

# Node.js >= 20 with npm (checked), uv (installed from PyPI when missing, into ~/.local/bin).
tools:
	@bash scripts/setup-tools

# npm ci wipes node_modules, so run it only when the lockfile changed.
node_modules/.package-lock.json: package-lock.json | tools
	npm ci --no-audit --no-fund --loglevel=error

dev: setup
	$(UV) run helpway dev --watch

lint:
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run mypy packages/*/src

test: setup lint
	$(UV) run pytest

bench: setup
	$(UV) run python bench/run.py

# The Debian FAQ question sets (dev, held-out, multilingual): recall@1/3/5 per language and
# decline rate, a table per set on stderr, then the full reports as JSON on stdout.
eval: setup
	$(UV) run helpway kb eval --json
