# Everything a newcomer needs is behind two targets: `make run` and `make test`.
# Both build their own virtual environment (.venv) and node_modules on first use.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8080
MOCK_PORT ?= 4010
WORKERS ?= 1
SPEC := openapi/openapi.yaml
BUNDLE := openapi/dist/openapi.yaml
BUNDLE_JSON := openapi/dist/openapi.json
REDOCLY := node_modules/.bin/redocly
DOCS_OUT ?= openapi/dist/index.html

.PHONY: help install run mock test lint lint-py bundle bundle-check i18n-status docs contract bench clean

help:
	@echo "make run           serve the API on http://$(HOST):$(PORT)/api/v1/public (SQLite in ./var)"
	@echo "make test          install everything and run the whole suite"
	@echo "make mock          spec-driven mock on http://$(HOST):$(MOCK_PORT)/api/v1/public"
	@echo "make bundle        rebuild openapi/dist/ from the split spec"
	@echo "make bundle-check  fail when the committed bundle is stale or invalid"
	@echo "make i18n-status   translation coverage; fails on missing or stale texts (SKELETON=1)"
	@echo "make lint          ruff, mypy and Redocly lint"
	@echo "make docs          self-contained HTML references in $(DOCS_OUT) and index.<lang>.html"
	@echo "make contract URL=... KEY=...  contract suite against a live deployment"
	@echo "make bench         benchmarks (server, mock, Prism, bare Starlette)"

# The stamp is rebuilt whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: $(VENV)/.installed node_modules/.installed

run: $(VENV)/.installed node_modules/.installed
	$(BIN)/threada serve --host $(HOST) --port $(PORT) --workers $(WORKERS) --init-demo

mock: $(VENV)/.installed
	$(BIN)/threada mock --host $(HOST) --port $(MOCK_PORT) $(MOCK_ARGS)

# Redocly bundles the split spec; threada.docsbuild then adds the docs (getting-started
# guide, error catalogue, x-codeSamples) and writes the English bundle and one bundle
# per translation overlay (openapi/i18n/<lang>.overlay.yaml -> openapi.<lang>.json).
DOCSBUILD := $(PY) -m threada.docsbuild

bundle: node_modules/.installed $(VENV)/.installed
	@tmp=$$(mktemp -d); trap 'rm -rf $$tmp' EXIT; \
	$(REDOCLY) bundle $(SPEC) --output $$tmp/raw.yaml --ext yaml && \
	$(DOCSBUILD) build --raw $$tmp/raw.yaml --out-dir $(dir $(BUNDLE))
	$(PY) -m openapi_spec_validator $(BUNDLE)

bundle-check: node_modules/.installed $(VENV)/.installed
	@tmp=$$(mktemp -d); trap 'rm -rf $$tmp' EXIT; \
	$(REDOCLY) bundle $(SPEC) --output $$tmp/raw.yaml --ext yaml >/dev/null 2>&1 || { echo "bundle failed"; exit 1; }; \
	$(DOCSBUILD) build --raw $$tmp/raw.yaml --out-dir $$tmp/dist || exit 1; \
	for f in $$tmp/dist/*; do \
	  diff -q $$f $(dir $(BUNDLE))$$(basename $$f) >/dev/null \
	    || { echo "openapi/dist is stale ($$(basename $$f)): run 'make bundle' and commit it"; exit 1; }; \
	done; \
	$(PY) -m openapi_spec_validator $(BUNDLE) >/dev/null && echo "bundle is fresh and valid"

# Translation coverage; fails on a missing, stale or orphaned translation.
# SKELETON=1 also prints the overlay actions to add (one per text, to translate).
i18n-status: node_modules/.installed $(VENV)/.installed
	@tmp=$$(mktemp -d); trap 'rm -rf $$tmp' EXIT; \
	$(REDOCLY) bundle $(SPEC) --output $$tmp/raw.yaml --ext yaml >/dev/null 2>&1 || { echo "bundle failed"; exit 1; }; \
	$(DOCSBUILD) i18n-status --raw $$tmp/raw.yaml $(if $(SKELETON),--skeleton)

PY_SOURCES := server mock contract_tests openapi bench docs_tests conftest.py testsupport.py

lint-py: $(VENV)/.installed
	$(BIN)/ruff check $(PY_SOURCES)
	$(BIN)/ruff format --check $(PY_SOURCES)
	$(BIN)/mypy server/threada mock/threada_mock

lint: lint-py node_modules/.installed
	$(REDOCLY) lint $(SPEC)

# The same Redoc (npm, pinned) as the served /docs page, with the bundle inlined.
# Not `redocly build-docs`: its default page loads Redoc from Redocly's CDN, and
# its --inlineBundle renderer still fetches its logo from there and hides each
# tag's operations behind a "Show" button.
docs: $(VENV)/.installed node_modules/.installed
	$(PY) -m threada.docs --bundle $(BUNDLE) --output $(DOCS_OUT)

# Lint first (seconds), then the suite; Redocly lint runs inside it as a spec test.
test: $(VENV)/.installed node_modules/.installed
	$(MAKE) --no-print-directory lint-py
	$(BIN)/pytest $(PYTEST_ARGS)

contract: $(VENV)/.installed
	@test -n "$(URL)" -a -n "$(KEY)" || { echo "usage: make contract URL=http://127.0.0.1:8080/api/v1/public KEY=..."; exit 2; }
	$(BIN)/threada contract --url "$(URL)" --key "$(KEY)"

bench: $(VENV)/.installed
	$(MAKE) -C bench run PY=$(abspath $(PY))

clean:
	rm -rf $(VENV) node_modules var .pytest_cache
