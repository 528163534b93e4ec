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

lint: $(VENV)/.test-deps
	$(BIN)/ruff check provisioning tests migrations

clean:
	rm -rf $(VENV) instance *.egg-info
