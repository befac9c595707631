# The whole gate is `make test`; the first thing a newcomer runs is `make demo`.
PYTHON ?= python3
# make test: the package with every extra and the dev tools
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# make demo, make fake-provider and the example-* targets: a lean venv of
# their own with the package and what each one needs (the demo: Flask and
# waitress), never the dev tools.
TRY_VENV := .venv-try
TRY_BIN := $(TRY_VENV)/bin
PIP_QUIET := --quiet --disable-pip-version-check

.PHONY: test demo fake-provider example-flask example-fastapi example-django \
	lint types pytest docs install system-deps screenshot bench fuzz clean \
	matrix matrix-corners

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
# make pytest PYTEST_ARGS="tests/test_races.py" runs some of the tests.
pytest: $(STAMP) system-deps
	CASHSOCIAL_SYSTEM_DEPS=required $(BIN)/coverage run -m pytest $(PYTEST_ARGS)
	$(BIN)/coverage report

# Broken references are errors (-n -W); every Python example in the docs is a
# testcode block that the doctest builder runs against the fake site.
docs: $(STAMP)
	$(BIN)/sphinx-build -n -W --keep-going -q -b html docs docs/_build/html
	$(BIN)/sphinx-build -n -W --keep-going -q -b doctest docs docs/_build/doctest

$(TRY_BIN)/python:
	@echo "==> creating $(TRY_VENV), a virtual environment for the demo and the examples"
	@$(PYTHON) -m venv $(TRY_VENV)

# One stamp per set of extras: make example-django adds Django to the venv.
$(TRY_VENV)/.installed-%: pyproject.toml | $(TRY_BIN)/python
	@echo "==> installing authlib-cashsocial[$*] into $(TRY_VENV) (no dev tools)"
	@$(TRY_BIN)/python -m pip install $(PIP_QUIET) -e ".[$*]"
	@touch $@

# make demo DEMO_ARGS="--port 5000" (DEMO_ARGS=--help lists the options)
demo: $(TRY_VENV)/.installed-flask,testing
	@echo "==> starting the demo: the fake site and the demo app (Ctrl-C stops both)"
	@$(TRY_BIN)/python -m authlib_cashsocial demo $(DEMO_ARGS)

# The fake site alone: make fake-provider FAKE_ARGS="--port 8001"
fake-provider: $(TRY_VENV)/.installed-testing
	@$(TRY_BIN)/python -m authlib_cashsocial fake-provider $(FAKE_ARGS)

# The examples, on the embedded fake site unless EXAMPLE_ARGS says otherwise:
# make example-flask EXAMPLE_ARGS="--base-url https://cs.moneypoolscash.com"
EXAMPLE_ARGS ?= --fake
example-flask: $(TRY_VENV)/.installed-flask,testing
	@$(TRY_BIN)/python examples/flask_app.py $(EXAMPLE_ARGS)

example-fastapi: $(TRY_VENV)/.installed-fastapi,testing
	@$(TRY_BIN)/python examples/fastapi_app.py $(EXAMPLE_ARGS)

example-django: $(TRY_VENV)/.installed-django,testing
	@$(TRY_BIN)/python examples/django_project/run.py $(EXAMPLE_ARGS)

# The property tests with 10,000 examples each (make test runs 300).
fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=fuzz $(BIN)/pytest -m fuzz -q --hypothesis-show-statistics -p no:randomly

# Logins through this package's Flask app and stock Authlib configured by
# hand, over HTTPS through a relay that adds 25 ms each way (loopback only,
# about a minute): connections, round trips, time, bursts of 100. Writes the
# tables that docs/performance.rst shows; with BENCH_ARGS (say "--logins 10
# --bursts 1") it runs those and only prints.
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_login.py $(or $(BENCH_ARGS),--write docs/benchmark-results.inc)

# The support matrix (noxfile.py, the Compatibility page): every row of the
# support table, MATRIX_JOBS at a time, each row's output in .nox/logs; then
# it rewrites docs/compatibility-results.inc. About an hour on 2 cores.
MATRIX_JOBS ?= 2
matrix: $(STAMP)
	$(BIN)/nox -s matrix -- $(MATRIX_JOBS)

# The two corners CI runs after make test: the oldest pins on Python 3.10,
# the newest of everything on Python 3.13.
matrix-corners: $(STAMP)
	$(BIN)/nox -s oldest newest-3.13

# The README's picture of the demo's profile page, taken by the browser test's helper.
screenshot: $(STAMP) system-deps
	$(BIN)/python -m tests.browser docs/_static/demo-profile.png

clean:
	rm -rf $(VENV) $(TRY_VENV) .nox docs/_build .coverage .mypy_cache .ruff_cache
