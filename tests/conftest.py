"""Shared fixtures: the fake site (from our own pytest plugin) and one driver
per client kind, so every flow test runs against requests, httpx2 sync and
httpx2 async alike."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from hypothesis import settings

from authlib_cashsocial import CashSocialSession
from authlib_cashsocial._dialect import LEARNED
from authlib_cashsocial.httpx_client import AsyncCashSocialClient, CashSocialClient
from authlib_cashsocial.testing import FakeSite

from .apps import BUILDERS, FRAMEWORKS, approve_at_site, installed_stacks
from .django_stacks import STACKS, RunningStack, configure_stack, django_stacks_server

# Property tests (marked "fuzz"): a few hundred examples in make test,
# ten thousand and more in make fuzz (HYPOTHESIS_PROFILE=fuzz).
settings.register_profile("default", max_examples=300, deadline=None)
settings.register_profile("fuzz", max_examples=10_000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# The tests stop the programs they start with SIGINT, as a user's Ctrl-C
# would. A non-interactive shell starts its background jobs with SIGINT
# ignored, and an ignored signal stays ignored across exec: under such a job
# no program started here would ever stop. Take the default back, for this
# process and so for what it starts.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

CLIENT_KINDS = ("requests", "httpx", "httpx-async")


def system_program(name: str) -> str:
    """The path of a Debian program a test needs (Chromium, redis-server).
    Missing, it skips the test with the command that installs it; under
    ``make test`` (CASHSOCIAL_SYSTEM_DEPS=required) it fails instead, so that
    the gate never passes by skipping."""
    found = shutil.which(name)
    if found:
        return found
    message = f"{name} is missing: `make system-deps` installs it (apt-get)"
    if os.environ.get("CASHSOCIAL_SYSTEM_DEPS") == "required":
        pytest.fail(message)
    pytest.skip(message)


class Driver:
    """One client kind behind a synchronous face."""

    def __init__(self, kind: str, client: Any) -> None:
        self.kind = kind
        self.client = client
        self._loop = asyncio.new_event_loop() if kind == "httpx-async" else None

    def _run(self, value: Any) -> Any:
        if self._loop is not None:
            return self._loop.run_until_complete(value)
        return value

    def authorization_url(self) -> str:
        url, _state = self.client.create_authorization_url()
        return url

    def fetch_token(self, **kwargs: Any) -> dict[str, Any]:
        return self._run(self.client.fetch_token(**kwargs))

    def userinfo(self) -> dict[str, Any]:
        return self._run(self.client.userinfo())

    def close(self) -> None:
        if self._loop is not None:
            self._loop.run_until_complete(self.client.aclose())
            # As asyncio.run() does: async generators a failed read left
            # suspended (httpx 0.24's streams) close on this loop, not later.
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.close()
        else:
            self.client.close()


def make_client(kind: str, *args: Any, **kwargs: Any) -> Any:
    cls = {
        "requests": CashSocialSession,
        "httpx": CashSocialClient,
        "httpx-async": AsyncCashSocialClient,
    }[kind]
    return cls(*args, **kwargs)


@pytest.fixture
def site(cashsocial_provider: FakeSite) -> Iterator[FakeSite]:
    yield cashsocial_provider
    # What auto learned of this site: a later test's site may get its port.
    LEARNED.forget()


@pytest.fixture(params=CLIENT_KINDS)
def client_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make_driver(site: FakeSite, client_kind: str) -> Iterator[Callable[..., Driver]]:
    """Build a driver of this test's client kind for the fake site's app."""
    made: list[Driver] = []

    def build(**options: Any) -> Driver:
        options.setdefault("client_id", site.app.app_id)
        options.setdefault("client_secret", site.app.app_secret)
        options.setdefault("base_url", site.base_url)
        driver = Driver(client_kind, make_client(client_kind, **options))
        made.append(driver)
        return driver

    yield build
    for driver in made:
        driver.close()


def log_in(site: FakeSite, driver: Driver, user: str = "alice") -> str:
    """Click through the fake site as ``user`` and return the callback URL."""
    return approve_at_site(site, driver.authorization_url(), user)


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every record from every logger, at DEBUG."""
    caplog.set_level(logging.DEBUG)
    for name in (
        "urllib3",
        "httpx2",
        "httpcore2",
        "httpx",
        "httpcore",
        "authlib",
        "waitress",
    ):
        logging.getLogger(name).setLevel(logging.DEBUG)
    return caplog


@dataclass
class RunningApp:
    """One framework's test app, and a browser (cookie jar) that uses it."""

    site: FakeSite
    base_url: str
    oauth: Any
    browser: requests.Session

    def start(self, path: str = "/login") -> str:
        """Open the app's login route; return where it redirects."""
        resp = self.browser.get(self.base_url + path, allow_redirects=False, timeout=10)
        assert resp.status_code in (302, 307), resp.text
        return resp.headers["Location"]

    def at_site(self, login_url: str, user: str = "alice") -> str:
        return approve_at_site(self.site, login_url, user)

    def callback(self, url: str) -> requests.Response:
        return self.browser.get(url, allow_redirects=False, timeout=10)

    def login(self, user: str = "alice", path: str = "/login") -> requests.Response:
        return self.callback(self.at_site(self.start(path), user))

    def me(self) -> Any:
        return self.browser.get(self.base_url + "/me", timeout=10).json()

    def exchanges(self) -> int:
        return len(self.site.fake.requests_to("api/authorize"))


@pytest.fixture(params=FRAMEWORKS)
def framework(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make_app(site: FakeSite, framework: str) -> Iterator[Callable[..., RunningApp]]:
    stack = ExitStack()

    def build(
        *,
        config: dict[str, Any] | None = None,
        extra: Any = None,
        callback_path: str = "/auth",
        **options: Any,
    ) -> RunningApp:
        if config is None:
            options.setdefault("client_id", site.app.app_id)
            options.setdefault("client_secret", site.app.app_secret)
        options.setdefault("base_url", site.base_url)
        if options["base_url"] is None:  # left to the framework's config
            del options["base_url"]
        server, oauth = BUILDERS[framework](options, config or {}, extra)
        base_url = stack.enter_context(server)
        site.app.redirect_url = base_url + callback_path
        browser = stack.enter_context(requests.Session())
        return RunningApp(site, base_url, oauth, browser)

    yield build
    stack.close()


@pytest.fixture(params=STACKS)
def stack(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make_stack(site: FakeSite, stack: str) -> Iterator[Callable[..., RunningStack]]:
    """Build the Django project for this test's stack (django-allauth or
    python-social-auth) against the fake site; ``options`` are the
    package's options (``timeout``, ``login_timeout``, ...)."""
    if stack not in installed_stacks():  # Python 3.10, older Django
        pytest.skip(f"the {stack} extra is not installed here")
    stack_exit = ExitStack()

    def build(**options: Any) -> RunningStack:
        configure_stack(stack, site, **options)
        base_url = stack_exit.enter_context(django_stacks_server())
        site.app.redirect_url = base_url + RunningStack.callback_path(stack)
        browser = stack_exit.enter_context(requests.Session())
        return RunningStack(stack, site, base_url, browser)

    yield build
    stack_exit.close()
