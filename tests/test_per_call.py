"""What the per-call path keeps from one call to the next (issue #13): the
checks still run on every request, only their fixed inputs are kept."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

import authlib_cashsocial
from authlib_cashsocial import ConfigurationError
from authlib_cashsocial._transport import check_destination

SITE = "https://site.example"


@pytest.mark.parametrize(
    "url",
    [
        "https://site.example/api/authorize",
        "https://SITE.example/api/authorize",  # parsed: the host's case differs
        "https://site.example:443/api/authorize",  # parsed: the default port
        "https://site.example",
    ],
)
def test_a_request_to_the_sites_origin_passes(url):
    check_destination(url, SITE)


@pytest.mark.parametrize(
    "url",
    [
        "https://site.example.evil.example/api/authorize",
        "https://site.example@evil.example/api/authorize",
        "https://site.example:8443/api/authorize",
        "http://site.example/api/authorize",
        "https://site.example.:443/api",
        "https://evil.example/https://site.example/api",
    ],
)
def test_a_lookalike_of_the_sites_origin_is_refused(url):
    with pytest.raises(ConfigurationError) as failure:
        check_destination(url, SITE)
    assert failure.value.option == "base_url"


def test_an_unhashable_option_is_still_checked():
    with pytest.raises(ConfigurationError) as failure:
        authlib_cashsocial.CashSocialSession("42", "s3cret", timeout=[10])
    assert failure.value.option == "timeout"


@pytest.mark.parametrize("value", [0, -1, 2.5, "10", True])
def test_pool_size_must_be_a_positive_whole_number(value):
    with pytest.raises(ConfigurationError) as failure:
        authlib_cashsocial.CashSocialSession("42", "s3cret", pool_size=value)
    assert failure.value.option == "pool_size"


class Gathering:
    """A site whose answers wait until ``size`` requests are in, so that a
    client holds that many connections at once; it records each request's
    client port (one per connection)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.barrier = threading.Barrier(size, timeout=30)
        self.ports: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            self.ports.append(environ["REMOTE_PORT"])
        self.barrier.wait()
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b"{}"]

    def burst(self, driver) -> set[str]:
        """``size`` calls at once; the connections they came on."""
        before = len(self.ports)
        client = driver.client

        def call():
            return client.request("GET", client.userinfo_url, withhold_token=True)

        if driver.kind == "httpx-async":

            async def gather() -> list:
                return await asyncio.gather(*(call() for _ in range(self.size)))

            answers = driver._run(gather())
        else:
            with ThreadPoolExecutor(self.size) as pool:
                answers = list(pool.map(lambda _: call(), range(self.size)))
        assert [answer.status_code for answer in answers] == [200] * self.size
        return set(self.ports[before:])


@pytest.mark.parametrize(
    ("pool_size", "kept"), [(2, 2), (None, 4)], ids=["pool_size=2", "default"]
)
def test_pool_size_is_how_many_connections_a_client_keeps(client_kind, pool_size, kept):
    """After a burst of 4 calls at once, a client keeps ``pool_size``
    connections for the next burst (100 by default: all four)."""
    from .apps import serve_wsgi
    from .conftest import Driver, make_client

    site = Gathering(4)
    options = {} if pool_size is None else {"pool_size": pool_size}
    with serve_wsgi(site) as base_url:
        client = make_client(client_kind, "42", "s3cret", base_url=base_url, **options)
        driver = Driver(client_kind, client)
        try:
            first = site.burst(driver)
            second = site.burst(driver)
        finally:
            driver.close()
    assert len(first) == 4
    assert len(first & second) == kept


def test_limits_of_the_callers_win_over_pool_size():
    from authlib_cashsocial.httpx_client import SharedAsyncConnections

    own = SharedAsyncConnections.for_client_kwargs({"limits": "own"}, pool_size=9)
    assert own._options["limits"] == "own"


@pytest.mark.parametrize("framework", ["flask", "starlette"])
def test_a_registered_app_sizes_its_shared_pool(site, make_app):
    app = make_app(pool_size=12)
    connections = app.oauth.cashsocial.connections
    if hasattr(connections, "adapter"):
        assert connections.adapter._pool_maxsize == 12
    else:
        assert connections._options["limits"].max_keepalive_connections == 12
    app.login()
    assert app.me()["sub"] == "101"


class _Links:
    """What ``log_in`` needs of a driver."""

    def __init__(self, client):
        self.client = client

    def authorization_url(self):
        return self.client.create_authorization_url()[0]


def test_the_exchange_still_runs_the_sessions_compliance_hooks(site):
    from .conftest import log_in

    seen = []

    def hook(response):
        seen.append(response.json()["access_token"])
        return response

    with authlib_cashsocial.CashSocialSession(
        site.app.app_id, site.app.app_secret, base_url=site.base_url
    ) as session:
        session.register_compliance_hook("access_token_response", hook)
        callback = log_in(site, _Links(session))
        token = session.fetch_token(authorization_response=callback)
    assert seen == [token["access_token"]]
    assert session.token["access_token"] == token["access_token"]


def test_a_closed_sessions_token_holder_still_checks_expiry():
    import time

    import requests
    from authlib.integrations.base_client import InvalidTokenError

    session = authlib_cashsocial.CashSocialSession("42", "s3cret", base_url=SITE)
    session.token = {
        "access_token": "a" * 32,
        "token_type": "Bearer",
        "expires_at": int(time.time()) - 3600,
    }
    session.close()
    request = requests.Request("GET", f"{SITE}/api/get_user_info").prepare()
    with pytest.raises(InvalidTokenError):
        session.token_auth(request)


def test_a_bad_option_is_refused_on_every_call():
    from authlib_cashsocial.requests_client import SharedConnections

    connections = SharedConnections()
    for _ in range(2):
        with pytest.raises(ConfigurationError):
            authlib_cashsocial.CashSocialSession(
                "42", "s3cret", base_url=SITE, connections=connections, bogus=1
            )
    connections.close()


# ------------------------------------------- what auto learns, and for whom


@pytest.mark.parametrize("client_kind", ["requests", "httpx", "httpx-async"])
def test_what_auto_learns_is_kept_by_server_and_app_id_only(site, client_kind):
    """A GET-reading server costs one refused POST in a process, not one per
    client; what is learned is keyed by the token URL and client_id (a client
    with another secret learns nothing new, another app_id starts over)."""
    from .conftest import Driver, log_in, make_client

    site.fake.release = "4.0.3"
    options = {"base_url": site.base_url}

    def log_in_with(secret: str, app_id: str = site.app.app_id) -> None:
        client = make_client(client_kind, app_id, secret, **options)
        driver = Driver(client_kind, client)
        try:
            if secret == site.app.app_secret:
                driver.fetch_token(authorization_response=log_in(site, driver))
            else:
                with pytest.raises(authlib_cashsocial.ClientCredentialsError):
                    driver.fetch_token(auth_key="a" * 32)
        finally:
            driver.close()

    log_in_with(site.app.app_secret)
    log_in_with(site.app.app_secret)
    log_in_with("another-secret-0123456789abcdef")  # refused, but sent as GET
    log_in_with("another-secret-0123456789abcdef", app_id="7")
    methods = [r.method for r in site.fake.requests_to("api/authorize")]
    assert methods == ["POST", "GET", "GET", "GET", "POST", "GET"]


# ------------------------------------------------ as Authlib's own classes


def test_a_token_holder_outlives_its_session(site):
    """``requests.get(url, auth=session.token_auth)`` signs the call after the
    session is dropped, as with Authlib's OAuth2Session."""
    import gc

    import requests

    from .conftest import log_in

    session = authlib_cashsocial.CashSocialSession(
        site.app.app_id, site.app.app_secret, base_url=site.base_url
    )
    session.fetch_token(authorization_response=log_in(site, _Links(session)))
    holder = session.token_auth
    session.close()
    del session
    gc.collect()
    answer = requests.get(f"{site.base_url}/api/get_user_info", auth=holder, timeout=10)
    assert answer.json()["user_info"]["user_id"] == "101"


def test_the_session_attribute_is_authlibs():
    from authlib.integrations.requests_client import OAuth2Session

    other = OAuth2Session()
    with authlib_cashsocial.CashSocialSession("42", "s3cret", base_url=SITE) as made:
        assert made.session is made
        made.session = other
        assert made.session is other
    other.close()


def test_a_refused_client_leaves_no_error_behind():
    """A client whose construction raised (a bad option) is collected without
    an error from Authlib's ``__del__`` (it deletes an attribute that
    ``__init__`` never set)."""
    import gc
    import sys

    from authlib_cashsocial.httpx_client import AsyncCashSocialClient, CashSocialClient

    unraisable = []
    previous = sys.unraisablehook
    sys.unraisablehook = unraisable.append
    try:
        for cls in (
            authlib_cashsocial.CashSocialSession,
            CashSocialClient,
            AsyncCashSocialClient,
        ):
            with pytest.raises(ConfigurationError):
                cls("42", "s3cret", base_url=SITE, timeout="soon")
            gc.collect()
    finally:
        sys.unraisablehook = previous
    assert unraisable == []


@pytest.mark.parametrize("framework", ["flask", "starlette", "django"])
def test_a_dropped_registered_app_and_its_sessions_are_freed(site, framework):
    """After full logins, dropping the registry frees the registered app,
    its dialect and every session made for it (a kept one would hold the
    app's client_secret for the life of the process)."""
    import gc
    import time
    import weakref

    import requests

    from .apps import BUILDERS, DjangoURLs
    from .conftest import RunningApp

    options = {
        "client_id": site.app.app_id,
        "client_secret": site.app.app_secret,
        "base_url": site.base_url,
    }
    server, oauth = BUILDERS[framework](options, {}, None)
    if framework == "flask":
        # Through Flask's test client: a closed cheroot server keeps a thread
        # (and so the web app it served) alive a while, which would hide
        # what this test looks for.
        _log_in_twice_through_flasks_test_client(site, oauth.app)
    else:
        with server as base_url, requests.Session() as browser:
            site.app.redirect_url = base_url + "/auth"
            app = RunningApp(site, base_url, oauth, browser)
            for user in ("alice", "bob"):
                assert app.login(user).status_code in (302, 307)
            assert app.me()["sub"] == "102"
        del app
    remote = oauth.create_client("cashsocial")
    refs = [weakref.ref(remote), weakref.ref(remote.dialect)]
    if framework == "django":  # the test project's URLconf holds the routes
        from django.urls import clear_url_caches

        DjangoURLs.urlpatterns = []
        clear_url_caches()
    del remote, oauth, server
    # uvicorn's and cheroot's threads end a moment after their server closes
    # (they hold the web app until then): collect until the deadline.
    deadline = time.monotonic() + 10
    gc.collect()
    while any(ref() is not None for ref in refs) and time.monotonic() < deadline:
        time.sleep(0.01)
        gc.collect()
    assert [ref() for ref in refs] == [None, None]


def _log_in_twice_through_flasks_test_client(site, flask_app):
    from urllib.parse import urlsplit

    from .apps import approve_at_site

    browser = flask_app.test_client()
    for user in ("alice", "bob"):
        start = browser.get("/login")
        assert start.status_code == 302
        callback = urlsplit(approve_at_site(site, start.headers["Location"], user))
        done = browser.get(f"{callback.path}?{callback.query}")
        assert done.status_code == 302, done.text
    assert browser.get("/me").json["sub"] == "102"
