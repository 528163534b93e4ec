# Alta — short verbs. Everything installs into .venv; see README.md.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench clean

$(BIN)/alta: pyproject.toml
	PYTHON=$(PY) scripts/bootstrap

$(VENV)/.test-deps: $(BIN)/alta
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

demo: $(BIN)/alta
	$(BIN)/alta demo

test: $(VENV)/.test-deps
	scripts/run-tests

# Needs root: it resets the throwaway DC (scripts/ad-dc). PostgreSQL too when
# ALTA_BENCH_DATABASE_URL names a server.
bench: $(VENV)/.test-deps
	$(BIN)/python bench/provision_bulk.py

lint: $(VENV)/.test-deps
	$(BIN)/ruff check provisioning tests migrations bench

clean:
	rm -rf $(VENV) instance *.egg-info
