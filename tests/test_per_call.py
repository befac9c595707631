"""What the per-call path keeps from one call to the next (issue #13): the
checks still run on every request, only their fixed inputs are kept."""

from __future__ import annotations

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


def test_clients_with_the_same_options_share_one_dialect():
    first = authlib_cashsocial.CashSocialSession("42", "s3cret", base_url=SITE)
    again = authlib_cashsocial.CashSocialSession("42", "s3cret", base_url=SITE)
    other = authlib_cashsocial.CashSocialSession(
        "42", "s3cret", base_url=SITE, token_method="get"
    )
    assert first.dialect is again.dialect  # validated once, learns for both
    assert other.dialect is not first.dialect
    assert other.dialect.http_method == "GET"
    # 1 and 1.0 are equal keys, not the same option value.
    whole = authlib_cashsocial.CashSocialSession("42", "s3cret", timeout=1)
    real = authlib_cashsocial.CashSocialSession("42", "s3cret", timeout=1.0)
    assert whole.dialect is not real.dialect
    for client in (first, again, other, whole, real):
        client.close()


def test_an_unhashable_option_is_still_checked():
    with pytest.raises(ConfigurationError) as failure:
        authlib_cashsocial.CashSocialSession("42", "s3cret", timeout=[10])
    assert failure.value.option == "timeout"


@pytest.mark.parametrize("value", [0, -1, 2.5, "10", True])
def test_pool_size_must_be_a_positive_whole_number(value):
    with pytest.raises(ConfigurationError) as failure:
        authlib_cashsocial.CashSocialSession("42", "s3cret", pool_size=value)
    assert failure.value.option == "pool_size"


def test_pool_size_sizes_every_clients_pool():
    from authlib_cashsocial.httpx_client import (
        AsyncCashSocialClient,
        CashSocialClient,
        SharedAsyncConnections,
    )
    from authlib_cashsocial.requests_client import SharedConnections

    session = authlib_cashsocial.CashSocialSession("42", "s3cret", pool_size=7)
    assert session.get_adapter(SITE)._pool_maxsize == 7
    session.close()
    default = authlib_cashsocial.CashSocialSession("42", "s3cret")
    assert default.get_adapter(SITE)._pool_maxsize == 100
    default.close()
    with CashSocialClient("42", "s3cret", pool_size=7) as client:
        pool = client._transport._pool
        assert pool._max_keepalive_connections == 7
        assert pool._max_connections == 100
    shared = SharedConnections.for_client_kwargs({}, pool_size=9)
    assert shared.adapter._pool_maxsize == 9
    shared.close()
    limits = SharedAsyncConnections.for_client_kwargs({}, pool_size=9)._options
    assert limits["limits"].max_keepalive_connections == 9
    own = SharedAsyncConnections.for_client_kwargs({"limits": "own"}, pool_size=9)
    assert own._options["limits"] == "own"  # the user's limits win
    client = AsyncCashSocialClient("42", "s3cret", pool_size=5)
    assert client._transport._pool._max_keepalive_connections == 5


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


class _StandardSession(authlib_cashsocial.CashSocialSession):
    """Built the way requests and Authlib build a session (two default
    adapters, replaced at once): what a lean per-call session must equal."""

    lean_construction = False


def test_the_lean_build_passes_its_own_check_on_these_releases():
    # It compares a lean and a standard session once per process and falls
    # back to the standard build on any difference: a requests or Authlib
    # release that sets something new fails here, so it is seen.
    from authlib_cashsocial._requests_build import _lean_builder

    assert _lean_builder() is not None


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"timeout": 3, "token_method": "get", "leeway": 5},
        {
            "verify": False,
            "trust_env": False,
            "proxies": {"https": "http://proxy.invalid:3128"},
            "max_redirects": 2,
            "cert": "client.pem",
            "stream": True,
            "hooks": {"response": []},
            "token": {"access_token": "t" * 32, "token_type": "Bearer"},
            "scope": "ignored",
            "redirect_uri": "https://app.example/auth",
        },
    ],
)
@pytest.mark.parametrize("shared", [False, True])
def test_a_lean_session_equals_a_standard_one(options, shared):
    from authlib_cashsocial._requests_build import describe_session
    from authlib_cashsocial.requests_client import DeadlineAdapter, SharedConnections

    connections = SharedConnections() if shared else None
    extra = {"connections": connections} if shared else {}
    lean = authlib_cashsocial.CashSocialSession(
        "42", "s3cret", base_url=SITE, **options, **extra
    )
    standard = _StandardSession("42", "s3cret", base_url=SITE, **options, **extra)
    assert describe_session(lean) == describe_session(standard)
    assert list(lean.adapters) == list(standard.adapters) == ["https://", "http://"]
    assert all(type(a) is DeadlineAdapter for a in lean.adapters.values())
    if shared:
        assert lean.adapters == standard.adapters
    # Nothing is shared between two sessions but the pool.
    other = authlib_cashsocial.CashSocialSession("42", "s3cret", base_url=SITE)
    for name in ("headers", "cookies", "hooks", "proxies", "params", "metadata"):
        assert getattr(lean, name) is not getattr(other, name), name
    lean.headers["X-Mine"] = "1"
    assert "X-Mine" not in other.headers
    for session in (lean, standard, other):
        session.close()
    if connections is not None:
        connections.close()


def test_lean_and_standard_sessions_send_the_same_requests(site):
    from .conftest import log_in

    sent = []
    for cls in (authlib_cashsocial.CashSocialSession, _StandardSession):
        with cls(
            site.app.app_id, site.app.app_secret, base_url=site.base_url
        ) as session:
            callback = log_in(site, _Links(session))
            before = len(site.fake.requests)
            token = session.fetch_token(authorization_response=callback)
            user = session.userinfo()
            assert user["sub"] == "101"
            assert token["token_type"] == "Bearer"
            sent.append(
                [
                    (r.method, r.path, sorted(r.query), sorted(r.form))
                    for r in site.fake.requests[before:]
                ]
            )
    assert sent[0] == sent[1]
    assert [path for _m, path, _q, _f in sent[0]] == [
        "/api/authorize",
        "/api/get_user_info",
    ]


class _Links:
    """What ``log_in`` needs of a driver."""

    def __init__(self, session):
        self.session = session

    def authorization_url(self):
        return self.session.create_authorization_url()[0]


def test_a_session_whose_attributes_it_cannot_copy_is_built_by_requests():
    import requests

    from authlib_cashsocial._requests_build import session_attributes_recipe

    class Newer(requests.Session):
        def __init__(self):
            super().__init__()
            self.something_new = object()

    template = requests.Session()
    assert session_attributes_recipe(template) is not None
    assert session_attributes_recipe(Newer()) is None
    template.adapters = {}
    assert session_attributes_recipe(template) is None


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


# ---------------------------------------------------------------- prototypes
# Sessions over a shared pool, built with equal arguments, are copied from
# one prototype (what a framework app does on every call). The attacks: one
# user's token, header, cookie or hook reaching the next user's session.


def _copier_for(cls, *args, **kwargs):
    from authlib_cashsocial._requests_build import prototype_key
    from authlib_cashsocial.requests_client import _LONG_LIVED

    key = prototype_key(cls, *args, kwargs, _LONG_LIVED)
    assert key is not None
    return cls._prototypes._copiers.get(key)


def test_the_prototype_copy_passes_its_own_check_on_these_releases():
    from authlib_cashsocial.requests_client import SharedConnections

    connections = SharedConnections()
    app = _registered_app()
    options = {
        "base_url": SITE,
        "connections": connections,
        "update_token": app._on_update_token,  # what a registered app passes
    }
    with authlib_cashsocial.CashSocialSession("42", "s3cret", **options):
        pass
    copier = _copier_for(
        authlib_cashsocial.CashSocialSession, "42", "s3cret", **options
    )
    assert copier is not None
    connections.close()


def test_sessions_copied_from_one_prototype_share_nothing_but_the_pool(site):
    from authlib_cashsocial.requests_client import SharedConnections

    from .conftest import log_in

    connections = SharedConnections()
    options = {"base_url": site.base_url, "connections": connections}
    app_id, secret = site.app.app_id, site.app.app_secret
    first = authlib_cashsocial.CashSocialSession(app_id, secret, **options)
    callback = log_in(site, _Links(first))
    first.fetch_token(authorization_response=callback)
    first.headers["X-User"] = "first"
    first.cookies.set("sid", "first-user", domain="site.example")
    first.hooks["response"].append(print)
    first.register_compliance_hook("access_token_response", print)
    first.metadata["mine"] = "first"
    first.params["p"] = "1"
    first.proxies["https"] = "http://proxy.invalid:1"
    first.token_auth.hooks.add(print)

    second = authlib_cashsocial.CashSocialSession(app_id, secret, **options)
    assert _copier_for(authlib_cashsocial.CashSocialSession, app_id, secret, **options)
    assert second.token is None
    assert first.token is not None
    assert "X-User" not in second.headers
    assert not len(second.cookies)
    assert print not in second.hooks["response"]
    assert print not in second.compliance_hook["access_token_response"]
    assert "mine" not in second.metadata
    assert second.params == {}
    assert second.proxies == {}
    assert second.token_auth is not first.token_auth
    assert second.token_auth.client.__dict__ is vars(second)  # a weak proxy
    assert second.session is second
    assert not second.token_auth.hooks
    assert second.dialect is first.dialect  # shared by design: settings, learning
    assert second.adapters["https://"] is connections.adapter

    # The second user logs in over the same pool, after the first one closed.
    first.close()
    callback = log_in(site, _Links(second))
    second.fetch_token(authorization_response=callback)
    assert second.userinfo()["sub"] == "101"
    assert second.token is not first.token
    second.close()
    connections.close()


def _registered_app():
    from authlib.integrations.flask_client import OAuth
    from flask import Flask

    return authlib_cashsocial.register(
        OAuth(Flask("prototype")), client_id="42", client_secret="s3cret"
    )


def test_a_subclass_is_built_every_time():
    # A subclass's build may read something the key does not hold (here, who
    # the current user is): a copy would give every user the first one's.
    import contextvars

    from authlib_cashsocial.requests_client import SharedConnections

    current_user = contextvars.ContextVar("current_user")

    class PerUser(authlib_cashsocial.CashSocialSession):
        def register_client_auth_method(self, auth):
            super().register_client_auth_method(auth)
            self.headers["X-On-Behalf-Of"] = current_user.get()

    connections = SharedConnections()
    options = {"base_url": SITE, "connections": connections}
    sessions = []
    for user in ("alice", "bob"):
        current_user.set(user)
        sessions.append(PerUser("42", "s3cret", **options))
    assert [s.headers["X-On-Behalf-Of"] for s in sessions] == ["alice", "bob"]
    assert _copier_for(PerUser, "42", "s3cret", **options) is None
    for session in sessions:
        session.close()
    connections.close()


def test_a_session_that_cannot_be_copied_gets_no_copier():
    from authlib_cashsocial._requests_build import Prototypes

    class Unusual(authlib_cashsocial.CashSocialSession):
        def __init__(self):
            super().__init__("42", "s3cret", base_url=SITE)
            self.something = object()  # a value of a kind the copy does not know

    assert Prototypes().copier(("unusual",), Unusual) is None


def test_an_argument_that_is_not_long_lived_gets_a_build():
    from authlib_cashsocial._requests_build import prototype_key
    from authlib_cashsocial.requests_client import _LONG_LIVED

    def key(**kwargs):
        cls = authlib_cashsocial.CashSocialSession
        return prototype_key(cls, "42", "s", kwargs, _LONG_LIVED)

    class Store:
        def save(self, token):
            pass

    token = {"access_token": "t" * 32, "token_type": "Bearer"}
    assert key(token=token) is None
    assert key(hooks={"response": []}) is None
    assert key(update_token=lambda token: None) is None  # made per call
    assert key(update_token=Store().save) is None  # a method of a per-call object
    assert key(update_token=_registered_app()._on_update_token) is not None
    # Equal but not the same: 1, 1.0 and True; 0.0 and -0.0.
    assert len({key(timeout=v) for v in (1, 1.0, True)}) == 3
    assert key(leeway=0.0) != key(leeway=-0.0)


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


def _freed_at_once(make_and_close):
    """Whether the client ``make_and_close`` returns is freed as soon as the
    last reference to it goes (no cycle left for the garbage collector)."""
    import gc
    import weakref

    gc.collect()
    gc.disable()
    try:
        ref = weakref.ref(make_and_close())
        return ref() is None
    finally:
        gc.enable()


def test_a_session_is_freed_at_once():
    from authlib_cashsocial.requests_client import SharedConnections

    connections = SharedConnections()

    def session(**options):
        def make():
            with authlib_cashsocial.CashSocialSession(
                "42", "s3cret", base_url=SITE, **options
            ) as made:
                made.token = {"access_token": "t" * 32, "token_type": "Bearer"}
            return made

        return make

    assert _freed_at_once(session(connections=connections))  # a copy
    assert _freed_at_once(session())  # a lean build
    assert _freed_at_once(  # never closed
        lambda: authlib_cashsocial.CashSocialSession("42", "s3cret", base_url=SITE)
    )
    connections.close()


def test_an_httpx_client_is_freed_at_once():
    import asyncio

    from authlib_cashsocial.httpx_client import (
        AsyncCashSocialClient,
        CashSocialClient,
        SharedAsyncConnections,
    )

    def sync_client():
        with CashSocialClient("42", "s3cret", base_url=SITE) as made:
            pass
        return made

    def closed_sync_client():
        made = CashSocialClient("42", "s3cret", base_url=SITE)
        made.close()
        return made

    assert _freed_at_once(sync_client)
    assert _freed_at_once(closed_sync_client)

    async def both_ways():
        connections = SharedAsyncConnections()
        async with AsyncCashSocialClient(
            "42", "s3cret", base_url=SITE, connections=connections
        ) as entered:
            pass
        closed = AsyncCashSocialClient(
            "42", "s3cret", base_url=SITE, connections=connections
        )
        await closed.aclose()
        await connections.aclose()
        return [entered, closed]

    clients = asyncio.run(both_ways())
    assert _freed_at_once(lambda: clients.pop(0))  # left by async with
    assert _freed_at_once(lambda: clients.pop(0))  # closed by aclose()


def test_the_session_property_refuses_another_session():
    with authlib_cashsocial.CashSocialSession("42", "s3cret", base_url=SITE) as made:
        assert made.session is made
        with pytest.raises(TypeError):
            made.session = object()
        del made.session  # what Authlib's __del__ does: nothing
        assert made.session is made
