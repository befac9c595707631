# The whole gate is `make test`; the first thing a newcomer runs is `make demo`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test demo fake-provider lint types pytest docs install system-deps screenshot bench fuzz clean

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

# Debian packages the tests use: Chromium and its driver (the browser test),
# redis-server (the multi-worker test starts and stops its own).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
system-deps:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null \
	  && command -v redis-server >/dev/null || { \
	  $(SUDO) apt-get update -q && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	    chromium chromium-driver redis-server; }

# coverage starts before pytest, so that it sees every import (our pytest
# plugin imports nothing at start-up; tests/test_plugin.py checks it).
# CASHSOCIAL_SYSTEM_DEPS=required: a missing Chromium or redis-server fails the
# gate (a plain `pytest` skips those tests and names the command instead).
pytest: $(STAMP) system-deps
	CASHSOCIAL_SYSTEM_DEPS=required $(BIN)/coverage run -m pytest
	$(BIN)/coverage report

# Broken references are errors (-n -W); every Python example in the docs is a
# testcode block that the doctest builder runs against the fake site.
docs: $(STAMP)
	$(BIN)/sphinx-build -n -W --keep-going -q -b html docs docs/_build/html
	$(BIN)/sphinx-build -n -W --keep-going -q -b doctest docs docs/_build/doctest

# make demo DEMO_ARGS="--port 5000" (DEMO_ARGS=--help lists the options)
demo: $(STAMP)
	$(BIN)/python -m authlib_cashsocial demo $(DEMO_ARGS)

# The fake site alone: make fake-provider FAKE_ARGS="--port 8001"
fake-provider: $(STAMP)
	$(BIN)/python -m authlib_cashsocial fake-provider $(FAKE_ARGS)

# The property tests with 10,000 examples each (make test runs 300).
fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=fuzz $(BIN)/pytest -m fuzz -q --hypothesis-show-statistics -p no:randomly

# Interleaved logins through four clients against the fake site over HTTPS;
# writes the table that docs/performance.rst shows.
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_login.py --write docs/benchmark-results.inc

# The README's picture of the demo's profile page, taken by the browser test's helper.
screenshot: $(STAMP) system-deps
	$(BIN)/python -m tests.browser docs/_static/demo-profile.png

clean:
	rm -rf $(VENV) docs/_build .coverage .mypy_cache .ruff_cache
