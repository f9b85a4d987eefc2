# Quick start on a fresh machine (Python 3.11, Node 20+, npm, pip):
#   make synth   create .venv and node_modules, then `cdk synth` the example app into cdk.out/
#   make test    the same set-up, then lint, type checks, the docs build and the whole test suite
#   make docs    the documentation site (mkdocs.yml, docs/) into site/, strict
SHELL := /bin/bash
VENV := .venv
PYTHON ?= python3
# The venv's python3 (cdk.json runs "python3 app.py") and the pinned CDK CLI and Node 22 come first.
export PATH := $(CURDIR)/$(VENV)/bin:$(CURDIR)/node_modules/.bin:$(PATH)
# No AWS account or network beyond the package registries: keep the CLI from calling home.
export CDK_DISABLE_VERSION_CHECK := 1
export CDK_DISABLE_CLI_TELEMETRY := true
PYTEST_WORKERS ?= 2

.PHONY: setup browser synth test lint typecheck docs unit bench clean

setup: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e '.[cli]' --group dev
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Debian's Chromium for the template-preview browser test (skipped where it cannot install).
browser:
	bash scripts/install-browser.sh

synth: setup
	cdk synth --quiet

lint: setup
	ruff check .
	ruff format --check .
	lint-imports

typecheck: setup
	mypy constructs_a2i app.py examples bench

unit: setup browser
	pytest -n $(PYTEST_WORKERS) -q

# Strict: a broken link, anchor or API reference, or any warning, fails the build.
# (NO_MKDOCS_2_WARNING silences Material's banner about MkDocs 2.0; mkdocs is pinned < 2.)
docs: setup
	NO_MKDOCS_2_WARNING=1 mkdocs build --strict --site-dir site

test: lint typecheck docs unit

bench: setup
	python bench/synth.py
	python bench/starter.py
	python bench/starter_memory.py
	python bench/cli.py
	python bench/deploy.py
	python bench/report.py

clean:
	rm -rf cdk.out .pytest_cache .mypy_cache .ruff_cache site
