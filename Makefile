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

LOCK_RUNTIME := requirements/runtime.txt
LOCK_DEV := requirements/dev.txt
UV_COMPILE = $(BIN)/uv pip compile pyproject.toml --generate-hashes --universal --python-version 3.11 --quiet

.PHONY: help install run mock test test-fast lint lint-py bundle bundle-check clients compat i18n-status docs contract bench clean lock

help:
	@echo "make run           serve the API on http://$(HOST):$(PORT)/api/v1/public (SQLite in ./var)"
	@echo "make test          install everything and run the whole suite"
	@echo "make mock          spec-driven mock on http://$(HOST):$(MOCK_PORT)/api/v1/public"
	@echo "make bundle        rebuild openapi/dist/ from the split spec"
	@echo "make bundle-check  fail when the committed bundle is stale or invalid"
	@echo "make clients       regenerate the SDKs' generated code (clients/python, clients/typescript)"
	@echo "make compat        breaking-change check of the bundle against openapi/baseline (Optic)"
	@echo "make i18n-status   translation coverage; fails on missing or stale texts (SKELETON=1)"
	@echo "make lint          ruff, mypy and Redocly lint"
	@echo "make docs          self-contained HTML references in $(DOCS_OUT) and index.<lang>.html"
	@echo "make contract URL=... KEY=...  contract suite against a live deployment"
	@echo "make bench         benchmarks (server, mock, Prism, bare Starlette)"
	@echo "make lock          regenerate requirements/*.txt (hashed lock files) from pyproject.toml"

# Python packages come from the hashed lock files only (`make lock` writes them from
# pyproject.toml), then the project itself without dependencies. `pip check` fails when
# pyproject.toml names a package the lock lacks: run `make lock`.
# .runtime: what `make run` needs; .installed: that plus the test and dev tools.
$(VENV)/.runtime: $(LOCK_RUNTIME) pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --require-hashes -r $(LOCK_RUNTIME)
	$(PY) -m pip install -q --no-deps -e .
	$(PY) -m pip check
	@touch $@

$(VENV)/.installed: $(LOCK_DEV) pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --require-hashes -r $(LOCK_DEV)
	$(PY) -m pip install -q --no-deps -e .
	$(PY) -m pip check
	@touch $@ $(VENV)/.runtime

# Regenerate both lock files (uv, in the venv, from PyPI; a few seconds). Resolved for
# Python 3.11 on every platform, so one lock serves every machine.
lock:
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@test -x $(BIN)/uv || $(PY) -m pip install -q "uv~=0.13.9"
	$(UV_COMPILE) -o $(LOCK_RUNTIME)
	$(UV_COMPILE) --extra dev -o $(LOCK_DEV)

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: $(VENV)/.installed node_modules/.installed

run: $(VENV)/.runtime node_modules/.installed
	$(BIN)/threada serve --host $(HOST) --port $(PORT) --workers $(WORKERS) --init-demo

mock: $(VENV)/.runtime
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

# Generated by `make clients` from the bundle; commit the result (a test checks it is fresh).
clients: node_modules/.installed $(VENV)/.installed
	$(PY) -m clients.generate

compat: node_modules/.installed $(VENV)/.installed
	$(PY) -m openapi.compat

PY_SOURCES := server mock contract_tests openapi bench docs_tests clients conftest.py testsupport.py bad_input.py

lint-py: $(VENV)/.installed
	$(BIN)/ruff check $(PY_SOURCES)
	$(BIN)/ruff format --check $(PY_SOURCES)
	$(BIN)/mypy server/threada mock/threada_mock clients/python/threada_client/_sdk.py

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

# The suite without the tests marked slow (each over ~5 s).
test-fast: $(VENV)/.installed node_modules/.installed
	$(BIN)/pytest -m "not slow" $(PYTEST_ARGS)

# The key travels in the environment and is never echoed; CONTRACT_ARGS adds options
# (--read-only, --burst, --scoped-key ...; see contract_tests/README.md).
KEY ?= $(THREADA_API_KEY)
contract: $(VENV)/.installed
	@test -n "$(URL)" -a -n "$(KEY)" || { echo "usage: make contract URL=http://127.0.0.1:8080/api/v1/public KEY=thr_test_... [CONTRACT_ARGS=--read-only]"; exit 2; }
	@echo '$(BIN)/threada contract --url "$(URL)" $(CONTRACT_ARGS)  (key in THREADA_API_KEY)'
	@THREADA_API_KEY="$(KEY)" $(BIN)/threada contract --url "$(URL)" $(CONTRACT_ARGS)

bench: $(VENV)/.installed
	$(MAKE) -C bench run PY=$(abspath $(PY))

clean:
	rm -rf $(VENV) node_modules var .pytest_cache
