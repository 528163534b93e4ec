# Alta — short verbs. Everything installs into .venv; see README.md.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench clean

$(BIN)/alta: pyproject.toml
	PYTHON=$(PY) scripts/bootstrap

# One pip run for the service and the tests (a fresh clone spends a minute installing).
$(VENV)/.test-deps: pyproject.toml
	PYTHON=$(PY) EXTRAS=prod,test scripts/bootstrap
	touch $@

demo: $(BIN)/alta
	$(BIN)/alta demo

test: $(VENV)/.test-deps
	scripts/run-tests

# Every benchmark script in bench/ (PostgreSQL too when scripts/pg-test can start it).
# bench/provision_bulk.py needs root: it resets the throwaway DC (scripts/ad-dc).
bench: $(VENV)/.test-deps
	@pg_url=$$(scripts/pg-test start 2>/dev/null || true); \
	for script in bench/[!_]*.py; do \
	  echo "== $$script"; ALTA_BENCH_DATABASE_URL=$$pg_url $(BIN)/python $$script || exit 1; \
	done

lint: $(VENV)/.test-deps
	$(BIN)/ruff check provisioning tests migrations bench
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/test_package_graph.py

clean:
	rm -rf $(VENV) instance *.egg-info
