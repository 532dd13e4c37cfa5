# Tanggap 112. `make run` starts the product; `make test` runs every test.
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
RUN := $(UV) run --frozen

.PHONY: run test setup setup-test lint typecheck pytest unit integration e2e bench clean help

help:
	@echo "make run    - install what is missing, then start Tanggap 112 on http://127.0.0.1:8000"
	@echo "make test   - lint, type checks and every test (unit, integration, end-to-end)"
	@echo "make bench  - benchmarks, written to bench/results/latest.md"

setup:
	@bash infra/scripts/bootstrap.sh
	@$(UV) sync --frozen --quiet

setup-test:
	@bash infra/scripts/bootstrap.sh --test
	@$(UV) sync --frozen --quiet

run: setup
	$(RUN) tanggap dev

lint:
	$(RUN) ruff check api tests bench
	$(RUN) ruff format --check api tests bench

typecheck:
	$(RUN) mypy

# pytest exits 5 when it collects nothing: that is a failure here, never a silent pass.
pytest:
	$(RUN) pytest

test: setup-test lint typecheck pytest

unit: setup
	$(RUN) pytest tests/unit

integration: setup-test
	$(RUN) pytest tests/integration

bench: setup-test
	$(RUN) python -m bench

clean:
	rm -rf .venv .tools .pytest_cache .mypy_cache .ruff_cache
