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
    from authlib_cashsocial.requests_client import _lean_builder

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
    from authlib_cashsocial.requests_client import (
        DeadlineAdapter,
        SharedConnections,
        describe_session,
    )

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

    from authlib_cashsocial.requests_client import session_attributes_recipe

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
