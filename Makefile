# The whole gate is `make test`; the first thing a newcomer runs is `make demo`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test demo lint types pytest docs install fuzz bench clean

test: lint types pytest docs

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25.1"

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[all]" --group dev
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: $(STAMP)
	$(BIN)/mypy

# coverage starts before pytest so that it also sees the modules our own
# pytest plugin (the pytest11 entry point) imports at start-up.
pytest: $(STAMP)
	$(BIN)/coverage run -m pytest
	$(BIN)/coverage report

docs: $(STAMP)
	$(BIN)/sphinx-build -n -W --keep-going -q -b html docs docs/_build/html

demo: $(STAMP)
	$(BIN)/python -m authlib_cashsocial demo

clean:
	rm -rf $(VENV) docs/_build .coverage .mypy_cache .ruff_cache
