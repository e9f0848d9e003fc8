# Setu: `make run` installs, creates the embedded database with demo data and serves the app;
# `make test` installs what the tests need and runs them all. See README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
SETU := $(VENV)/bin/setu
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
ASSETS_STAMP := src/setu/adapters/static/vendor/.installed

.PHONY: install install-test assets run test test-fast bench lint clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

#: an editable install builds the forecasting kernel (setup.py): rebuild when its source changes
$(STAMP): pyproject.toml setup.py src/setu/engine/forecasting/_kernel.c | $(VENV)/bin/python
	$(PIP) install -q -e .
	touch $@

$(TEST_STAMP): pyproject.toml setup.py $(STAMP)
	$(PIP) install -q -e '.[test]'
	touch $@

$(ASSETS_STAMP): package.json package-lock.json scripts/install_assets.py | $(STAMP)
	npm ci --no-audit --no-fund --loglevel=error
	$(PY) scripts/install_assets.py
	touch $@

install: $(STAMP) $(ASSETS_STAMP)
	bash scripts/ensure_pdf_libs.sh

install-test: $(TEST_STAMP) $(ASSETS_STAMP)
	bash scripts/ensure_pdf_libs.sh
	bash scripts/ensure_chromium.sh

assets: $(ASSETS_STAMP)

run: install
	$(SETU) db upgrade
	$(SETU) demo load --if-empty
	$(SETU) serve

# pytest exits 5 when it collects no test: that is a failure here too, never a silent pass.
test: install-test
	$(PY) -m pytest -q -p no:cacheprovider $(PYTEST_ARGS); rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "no tests were collected"; exit 1; fi; exit $$rc

test-fast: install-test
	$(PY) -m pytest -q -m "not slow and not e2e" $(PYTEST_ARGS)

bench: install-test
	$(PY) bench/run_all.py $(BENCH_ARGS)

lint: install-test
	$(VENV)/bin/lint-imports

clean:
	rm -rf $(VENV) node_modules src/setu/adapters/static/vendor var bench/out
