"""Flask, Starlette and Django pass the same behavioural checks, end to end
over real loopback HTTP: browser → app → fake site → app."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest
import requests

from authlib_cashsocial.testing import ErrorBody, FakeSite, Status

from .apps import approve_at_site


@pytest.mark.parametrize("release", ["4.2", "4.0.3"])
def test_full_login(site: FakeSite, make_app, release):
    site.fake.release = release
    app = make_app()
    login_url = app.start("/login?next=/welcome")
    assert login_url == f"{site.base_url}/api/oauth?app_id={site.app.app_id}"
    done = app.callback(app.at_site(login_url))
    assert done.status_code in (302, 307)
    assert done.headers["Location"].endswith("/welcome")
    user = app.me()
    assert (user["iss"], user["sub"]) == (site.base_url, "101")
    assert user["name"] == "Alice Liddell"
    assert user["user_info"]["user_name"] == "alice"


def test_authorize_access_token_returns_token_with_userinfo(site: FakeSite, make_app):
    app = make_app(callback_path="/manual/auth")
    result = app.callback(app.at_site(app.start("/manual/login"), "olga")).json()
    assert result == {
        "keys": ["access_token", "expires_at", "expires_in", "token_type", "userinfo"],
        "sub": "103",
        "again": "103",  # userinfo(token=...), as for any provider
        "api": "103",  # get("get_user_info") under api_base_url, token in the query
    }
    later = app.base_url + "/manual/later"
    assert app.browser.get(later, timeout=10).json() == "103"
    site.fake.clock.advance(61)  # the site's 60 s
    assert app.browser.get(later, timeout=10).json() == "token_expired"


def test_sparse_profile(site: FakeSite, make_app):
    app = make_app()
    app.login("bob")
    user = app.me()
    assert user["name"] == "Bob"
    assert "gender" not in user
    assert "birthdate" not in user


def test_credentials_from_framework_config(site: FakeSite, make_app, framework):
    if framework == "django":
        config = {
            "AUTHLIB_OAUTH_CLIENTS": {
                "cashsocial": {
                    "client_id": site.app.app_id,
                    "client_secret": site.app.app_secret,
                }
            }
        }
    else:
        config = {
            "CASHSOCIAL_CLIENT_ID": site.app.app_id,
            "CASHSOCIAL_CLIENT_SECRET": site.app.app_secret,
        }
    app = make_app(config=config)
    app.login()
    assert app.me()["sub"] == "101"


def test_missing_credentials_name_the_setting(site: FakeSite, make_app, framework):
    from authlib_cashsocial import ConfigurationError

    with pytest.raises(ConfigurationError) as failure:
        make_app(config={"UNRELATED": "1"})
    assert failure.value.option == "client_id"
    hint = (
        "AUTHLIB_OAUTH_CLIENTS['cashsocial']['client_id']"
        if framework == "django"
        else "CASHSOCIAL_CLIENT_ID"
    )
    assert hint in str(failure.value)


def test_forged_callback_sends_nothing(site: FakeSite, make_app):
    app = make_app()
    # A valid key, obtained by someone else, planted in a browser that
    # started no login.
    callback = app.at_site(f"{site.base_url}/api/oauth?app_id={site.app.app_id}")
    resp = app.callback(callback)
    assert resp.status_code == 400
    assert "mismatching_state" in resp.text
    assert app.exchanges() == 0
    assert app.me() is None


def test_replayed_callback_is_refused(site: FakeSite, make_app):
    app = make_app()
    callback = app.at_site(app.start())
    assert app.callback(callback).status_code in (302, 307)
    replay = app.callback(callback)
    assert replay.status_code == 400
    assert "mismatching_state" in replay.text
    assert app.exchanges() == 1


def test_expired_pending_login(site: FakeSite, make_app, caplog):
    app = make_app(login_timeout=1)
    callback = app.at_site(app.start())
    time.sleep(1.2)
    with caplog.at_level(logging.INFO, logger="authlib_cashsocial"):
        resp = app.callback(callback)
    assert resp.status_code == 400
    assert "try again" in resp.text
    assert "login_timeout" in _package_records(caplog)[0].getMessage()
    assert app.exchanges() == 0


def test_missing_auth_key(site: FakeSite, make_app):
    app = make_app()
    app.start()
    resp = app.callback(app.base_url + "/auth?other=1")
    assert resp.status_code == 400
    assert "missing_auth_key" in resp.text
    assert app.exchanges() == 0


def test_mismatching_state_parameter(site: FakeSite, make_app):
    app = make_app()
    callback = app.at_site(app.start())
    resp = app.callback(callback + "&state=not-ours")
    assert resp.status_code == 400
    assert app.exchanges() == 0


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ("invalid app_secret", "invalid_client"),
        ("invalid auth_key", "invalid_grant"),
        ("Приложение отключено", "provider_error"),
    ],
)
def test_provider_errors_surface_typed(site: FakeSite, make_app, message, code):
    app = make_app()
    callback = app.at_site(app.start())
    site.fake.inject("api/authorize", ErrorBody(message))
    resp = app.callback(callback)
    assert resp.status_code == 400
    assert code in resp.text
    app.login()  # the app stays usable
    assert app.me()["sub"] == "101"


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/x",
        "https://evil.example/",
        "/\\evil.example",
        "/ok\r\nLocation: https://evil.example",
    ],
)
def test_next_never_leaves_the_site(site: FakeSite, make_app, target):
    app = make_app()
    login_url = app.start("/login?next=" + requests.utils.quote(target, safe=""))
    done = app.callback(app.at_site(login_url))
    assert done.headers["Location"] in ("/", app.base_url + "/")


def test_two_tabs_older_finished_first(site: FakeSite, make_app):
    app = make_app()
    older_tab = app.at_site(app.start())
    newer_tab = app.at_site(app.start())  # the site replaced the older key
    refused = app.callback(older_tab)
    assert refused.status_code == 400
    assert "invalid_grant" in refused.text  # a clear error in that tab...
    assert app.callback(newer_tab).status_code in (302, 307)  # ...and one session
    assert app.me()["sub"] == "101"


def test_two_tabs_newer_finished_first(site: FakeSite, make_app):
    app = make_app()
    older_tab = app.at_site(app.start())
    newer_tab = app.at_site(app.start())
    assert app.callback(newer_tab).status_code in (302, 307)
    late = app.callback(older_tab)
    assert late.status_code == 400
    assert "mismatching_state" in late.text
    assert app.exchanges() == 1
    assert app.me()["sub"] == "101"


def test_two_registrations_never_share_configuration(site: FakeSite, make_app):
    import authlib_cashsocial

    def second(**kwargs: Any) -> None:
        other = authlib_cashsocial.register(
            kwargs["oauth"],
            name="othersite",
            client_id="other-id",
            client_secret="o",
            base_url="https://other.example",
        )
        kwargs["oauth"].other = other

    app = make_app(extra=second)
    ours = app.oauth.create_client("cashsocial")
    other = app.oauth.create_client("othersite")
    assert ours.client_id == site.app.app_id
    assert other.client_id == "other-id"
    assert ours.login_url.startswith(site.base_url)
    assert other.login_url == "https://other.example/api/oauth?app_id=other-id"
    assert type(ours).OAUTH_APP_CONFIG is None
    app.login()
    assert app.me()["sub"] == "101"


def test_a_standard_oauth2_provider_beside_ours(site: FakeSite, make_app):
    def github(**kwargs: Any) -> None:
        kwargs["oauth"].register(
            "github",
            client_id="gh-id",
            client_secret="gh-secret",
            authorize_url="https://github.com/login/oauth/authorize",
            access_token_url="https://github.com/login/oauth/access_token",
        )

    app = make_app(extra=github)
    gh = app.oauth.create_client("github")
    assert type(gh).__module__.startswith("authlib.integrations")
    assert gh.client_cls.__module__.startswith("authlib.integrations")
    rv = gh.create_authorization_url("https://app.example/cb")
    if hasattr(rv, "__await__"):
        import asyncio

        rv = asyncio.run(rv)
    assert "response_type=code" in rv["url"]
    assert "client_id=gh-id" in rv["url"]
    app.login()
    assert app.me()["sub"] == "101"


def test_client_cls_spelling_of_authlib(site: FakeSite, make_app, framework):
    from authlib_cashsocial.django_client import DjangoCashSocialApp
    from authlib_cashsocial.flask_client import FlaskCashSocialApp
    from authlib_cashsocial.starlette_client import StarletteCashSocialApp

    app_class = {
        "flask": FlaskCashSocialApp,
        "starlette": StarletteCashSocialApp,
        "django": DjangoCashSocialApp,
    }[framework]

    def plain(**kwargs: Any) -> None:
        oauth = kwargs["oauth"]
        registered = oauth.register(
            "plain",
            client_cls=app_class,
            oauth=oauth,  # the registry whose configuration the app reads
            client_id="p",
            client_secret="s",
            base_url=site.base_url,
        )
        assert type(registered) is app_class

    app = make_app(extra=plain)
    assert type(app.oauth.create_client("plain")) is app_class
    assert app.oauth.create_client("plain").login_url.endswith("app_id=p")


def test_authlib_spelling_without_the_registry_is_refused(
    site: FakeSite, make_app, framework
):
    """Without the registry the app class could not read CASHSOCIAL_BASE_URL:
    refused, rather than falling back to the default site."""
    from authlib_cashsocial import ConfigurationError
    from authlib_cashsocial.django_client import DjangoCashSocialApp
    from authlib_cashsocial.flask_client import FlaskCashSocialApp
    from authlib_cashsocial.starlette_client import StarletteCashSocialApp

    app_class = {
        "flask": FlaskCashSocialApp,
        "starlette": StarletteCashSocialApp,
        "django": DjangoCashSocialApp,
    }[framework]

    def plain(**kwargs: Any) -> None:
        with pytest.raises(ConfigurationError) as failure:
            kwargs["oauth"].register(
                "plain", client_cls=app_class, client_id="p", client_secret="s"
            )
        assert "authlib_cashsocial.register(oauth" in str(failure.value)

    make_app(extra=plain)


def _framework_config(framework: str, **options: Any) -> dict[str, Any]:
    """``options`` (option name -> value) where ``framework`` keeps them."""
    if framework == "django":
        return {"AUTHLIB_OAUTH_CLIENTS": {"cashsocial": options}}
    return {f"CASHSOCIAL_{k.upper()}": v for k, v in options.items()}


def _key(framework: str, option: str) -> str:
    if framework == "django":
        return f"AUTHLIB_OAUTH_CLIENTS['cashsocial'][{option!r}]"
    return f"CASHSOCIAL_{option.upper()}"


def test_every_option_is_read_from_the_framework_config(
    site: FakeSite, make_app, framework
):
    """Not only the id and secret: CASHSOCIAL_BASE_URL sends the login to
    the configured site, and the other options take effect."""
    site.fake.release = "4.0.3"  # reads the exchange from the query string
    config = _framework_config(
        framework,
        client_id=site.app.app_id,
        client_secret=site.app.app_secret,
        base_url=site.base_url,
        token_lifetime=30 if framework != "starlette" else "30",  # text in env
        token_method="get",
    )
    app = make_app(config=config, base_url=None)
    login_url = app.start()
    assert login_url == f"{site.base_url}/api/oauth?app_id={site.app.app_id}"
    app.callback(app.at_site(login_url))
    assert app.me()["sub"] == "101"
    (exchange,) = site.fake.requests_to("api/authorize")
    assert exchange.method == "GET"  # token_method from the config
    assert app.oauth.create_client("cashsocial").dialect.settings.token_lifetime == 30


@pytest.mark.parametrize(
    ("typo", "meant"), [("base_ulr", "base_url"), ("client_secert", "client_secret")]
)
def test_a_typo_in_the_framework_config_is_refused(
    site: FakeSite, make_app, framework, typo, meant
):
    from authlib_cashsocial import ConfigurationError

    config = _framework_config(
        framework,
        client_id=site.app.app_id,
        client_secret=site.app.app_secret,
        **{typo: site.base_url},
    )
    with pytest.raises(ConfigurationError) as failure:
        make_app(config=config)
    message = str(failure.value)
    assert failure.value.option == _key(framework, typo)
    assert failure.value.description.startswith(_key(framework, typo))
    assert f"Did you mean {_key(framework, meant)}?" in message
    assert site.app.app_secret not in message


def test_a_bad_value_in_the_framework_config_names_its_key(
    site: FakeSite, make_app, framework
):
    from authlib_cashsocial import ConfigurationError

    for option, value in (("token_method", "bogus"), ("timeout", "-1")):
        config = _framework_config(
            framework,
            client_id=site.app.app_id,
            client_secret=site.app.app_secret,
            **{option: value},
        )
        with pytest.raises(ConfigurationError) as failure:
            make_app(config=config)
        assert failure.value.description.startswith(
            f"{_key(framework, option)} must be"
        )


def test_a_secret_of_the_wrong_type_names_its_key(site: FakeSite, make_app, framework):
    from authlib_cashsocial import ConfigurationError

    config = _framework_config(
        framework, client_id=site.app.app_id, client_secret=b"bytes"
    )
    with pytest.raises(ConfigurationError) as failure:
        make_app(config=config)
    assert failure.value.description.startswith(_key(framework, "client_secret"))


def test_authlib_keys_in_the_config_are_known(site: FakeSite, make_app, framework):
    """Authlib's own keys are not typos; one an Sngine site has no use for
    is refused with its reason, naming the key."""
    from authlib_cashsocial import ConfigurationError

    config = _framework_config(
        framework,
        client_id=site.app.app_id,
        client_secret=site.app.app_secret,
        authorize_url="https://elsewhere.example/oauth",
    )
    with pytest.raises(ConfigurationError) as failure:
        make_app(config=config)
    assert failure.value.description.startswith(_key(framework, "authorize_url"))
    assert "has no use with an Sngine site" in str(failure.value)
    config = _framework_config(
        framework,
        client_id=site.app.app_id,
        client_secret=site.app.app_secret,
        client_kwargs={"trust_env": False} if framework != "starlette" else {},
    )
    if framework == "starlette":  # text only: Authlib's keys stay Authlib's
        config = {k: v for k, v in config.items() if k != "CASHSOCIAL_CLIENT_KWARGS"}
    make_app(config=config).login()


@pytest.mark.parametrize("framework", ["flask", "starlette"])
def test_another_registrations_prefix_is_not_a_typo(site: FakeSite, make_app):
    """CASHSOCIAL2_* and CASHSOCIAL_EU_* are the keys of registrations
    named cashsocial2 and cashsocial_eu, not typos of cashsocial's."""
    config = {
        "CASHSOCIAL_CLIENT_ID": site.app.app_id,
        "CASHSOCIAL_CLIENT_SECRET": site.app.app_secret,
        "CASHSOCIAL2_BASE_URL": "https://second.example",
        "CASHSOCIAL_EU_BASE_URL": "https://eu.example",
        "CASHSOCIAL_EU_CLIENT_ID": "7",
    }
    make_app(config=config).login()


def test_a_keyword_wins_over_the_config(site: FakeSite, make_app, framework):
    config = _framework_config(
        framework,
        client_id=site.app.app_id,
        client_secret=site.app.app_secret,
        base_url="https://elsewhere.example",
    )
    app = make_app(config=config, base_url=site.base_url)
    assert app.start().startswith(site.base_url + "/api/oauth?")


class DictCache:
    """The cache interface Authlib's Starlette integration calls."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}
        self.writes = 0

    async def get(self, key: str) -> Any:
        return self.data.get(key)

    async def set(self, key: str, value: Any, expires: int | None = None) -> None:
        self.writes += 1
        self.data[key] = value

    async def delete(self, key: str) -> None:
        self.data.pop(key, None)


@pytest.mark.parametrize("framework", ["starlette"])
def test_starlette_with_a_cache_instead_of_session_storage(site: FakeSite, make_app):
    cache = DictCache()
    app = make_app(cache=cache)
    app.start()
    assert cache.writes == 1
    assert len(cache.data) == 1  # the pending login lives in the cache...
    app.callback(app.at_site(app.start()))
    assert cache.data == {}  # ...and is consumed by the callback
    assert app.me()["sub"] == "101"
    forged = app.callback(
        app.at_site(f"{site.base_url}/api/oauth?app_id={site.app.app_id}")
    )
    assert forged.status_code == 400
    assert app.exchanges() == 1


def _provider_connections(site: FakeSite) -> set[str]:
    """Client ports of the app's API calls, as the site saw them."""
    calls = site.fake.requests_to("api/authorize") + site.fake.requests_to(
        "api/get_user_info"
    )
    return {r.remote_port for r in calls}


def test_warm_logins_open_no_new_connection(site: FakeSite, make_app):
    app = make_app()
    app.login()
    cold = _provider_connections(site)
    assert len(cold) == 1  # exchange and user info already share one connection
    for _ in range(3):
        app.login()
    assert _provider_connections(site) == cold
    assert app.exchanges() == 4


def test_own_client_kwargs_keep_working(site: FakeSite, make_app):
    app = make_app(client_kwargs={"trust_env": False, "verify": True})
    app.login()
    app.login()
    assert app.me()["sub"] == "101"
    assert app.exchanges() == 2
    assert len(_provider_connections(site)) == 1


def test_route_helper_handlers_that_answer_themselves(site: FakeSite, make_app):
    app = make_app(callback_path="/own/auth")
    done = app.callback(app.at_site(app.start("/own/login")))
    assert done.status_code == 200
    assert done.text == "welcome 101 via /own/auth"  # the handler got the request
    refused = app.callback(app.base_url + "/own/auth?auth_key=" + "0" * 32)
    assert refused.status_code == 403
    assert refused.text == "no: mismatching_state"


def test_register_refuses_a_registry_it_does_not_know():
    from authlib.integrations.base_client import BaseOAuth

    import authlib_cashsocial
    from authlib_cashsocial import ConfigurationError

    with pytest.raises(ConfigurationError) as failure:
        authlib_cashsocial.register(BaseOAuth())
    assert failure.value.option == "oauth"
    assert "flask_client" in str(failure.value)
    with pytest.raises(ConfigurationError):
        authlib_cashsocial.register(object())


def test_a_user_name_no_encoding_can_write_is_no_server_error(site, make_app):
    """A lone surrogate in ``user_name`` (JSON lets a site send "\\ud800")
    made the profile URL raise UnicodeEncodeError: a 500 from the route
    helper. The claims it would fill are left out; the login goes on."""
    from authlib_cashsocial.testing import JSONBody

    app = make_app(callback_path="/own/auth")
    row = {"user_id": "7", "user_name": "an\ud800na", "user_firstname": "Anna"}
    site.fake.inject("api/get_user_info", JSONBody({"user_info": row}))
    done = app.login(path="/own/login")
    assert (done.status_code, done.text) == (200, "welcome 7 via /own/auth")


# ------------------------------------------------ a new session on login
# A sibling subdomain can write a session cookie for the parent domain. With
# Django's database sessions, an id it planted (and still holds) must never
# become the victim's logged-in session: the README's view rotates it.


def _readme_block(after: str) -> str:
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    rest = readme[readme.index(after) :]
    start = rest.index("```python\n") + len("```python\n")
    return rest[start : rest.index("```", start)]


def test_a_planted_django_session_id_never_becomes_the_logged_in_one(site):
    import types

    from authlib.integrations.django_client import OAuth
    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore
    from django.shortcuts import redirect
    from django.test import Client, override_settings
    from django.urls import clear_url_caches, path

    import authlib_cashsocial

    from .apps import _configure_django

    _configure_django()
    clients = {
        "cashsocial": {
            "client_id": site.app.app_id,
            "client_secret": site.app.app_secret,
            "base_url": site.base_url,
        }
    }
    readme: dict[str, Any] = {
        "__name__": "readme",
        "OAuth": OAuth,
        "authlib_cashsocial": authlib_cashsocial,
        "redirect": redirect,
    }
    urls = types.ModuleType("planted_session_urls")
    with override_settings(
        AUTHLIB_OAUTH_CLIENTS=clients,
        SESSION_ENGINE="django.contrib.sessions.backends.db",
        ROOT_URLCONF=urls,
        ALLOWED_HOSTS=["testserver"],
    ):
        # The README's own view, run as printed.
        exec(_readme_block("Django: credentials in"), readme)  # noqa: S102
        urls.urlpatterns = [  # type: ignore[attr-defined]
            path("login", lambda r: readme["cashsocial"].authorize_redirect(r)),
            path("auth", readme["auth"]),
        ]
        clear_url_caches()
        try:
            attacker = Client()
            attacker.get("/login")  # any visit that stores something
            planted = attacker.cookies[settings.SESSION_COOKIE_NAME].value
            assert SessionStore(session_key=planted).exists(planted)

            victim = Client()
            victim.cookies[settings.SESSION_COOKIE_NAME] = planted
            site.app.redirect_url = "http://testserver/auth"
            callback = approve_at_site(site, victim.get("/login")["Location"])
            done = victim.get(callback.removeprefix("http://testserver"))
            assert done.status_code == 302, done.content

            logged_in = victim.cookies[settings.SESSION_COOKIE_NAME].value
            assert logged_in != planted
            assert SessionStore(session_key=logged_in)["user"]["sub"] == "101"
            assert "user" not in SessionStore(session_key=planted).load()
        finally:
            clear_url_caches()


# ------------------------------------------------ the default error page
# The visitor reads what they can do; the developer gets the code and the
# fix on the package's logger, never on the visitor's screen.


def _package_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "authlib_cashsocial"]


@pytest.mark.parametrize(
    ("fault", "code", "level", "advice"),
    [
        (
            ErrorBody("invalid app_secret"),
            "invalid_client",
            logging.ERROR,
            "is not available",
        ),
        (
            ErrorBody("Приложение отключено"),
            "provider_error",
            logging.ERROR,
            "is not available",
        ),
        (Status(503), "temporarily_unavailable", logging.WARNING, "is not answering"),
        (ErrorBody("invalid auth_key"), "invalid_grant", logging.INFO, "try again"),
    ],
    ids=["credentials", "provider-message", "site-down", "key-rejected"],
)
def test_the_default_error_page_is_for_the_visitor_and_the_log_for_you(
    site: FakeSite, make_app, caplog, fault, code, level, advice
):
    app = make_app()
    callback = app.at_site(app.start())
    site.fake.inject("api/authorize", fault, times=2)
    with caplog.at_level(logging.INFO, logger="authlib_cashsocial"):
        page = app.callback(callback)
    assert page.status_code == 400
    assert advice in page.text
    assert code in page.text  # a code to quote to support, nothing more
    for advice_for_developers in ("client_secret", "dashboard", "token_method"):
        assert advice_for_developers not in page.text
    (record,) = _package_records(caplog)
    assert record.levelno == level
    assert code in record.getMessage()
    assert site.app.app_secret not in record.getMessage()
    if code == "invalid_client":
        assert "client_secret" in record.getMessage()  # the fix, for you


def test_a_forged_callback_page_says_try_again_and_logs_it(
    site: FakeSite, make_app, caplog
):
    app = make_app()
    callback = app.at_site(f"{site.base_url}/api/oauth?app_id={site.app.app_id}")
    with caplog.at_level(logging.INFO, logger="authlib_cashsocial"):
        page = app.callback(callback)
    assert (page.status_code, "try again" in page.text) == (400, True)
    (record,) = _package_records(caplog)
    assert (record.levelno, "mismatching_state" in record.getMessage()) == (
        logging.INFO,
        True,
    )


def test_one_handler_for_two_sites_keys_their_members_apart(site: FakeSite):
    """docs/frameworks.rst registers two Sngine sites side by side; both
    number their members 1, 2, 3... Keyed by sub alone (the old recipe),
    member 101 of the second site logged in as member 101 of the first."""
    from authlib.integrations.flask_client import OAuth
    from flask import Flask

    import authlib_cashsocial
    from authlib_cashsocial.flask_client import create_blueprint
    from authlib_cashsocial.testing import demo_site

    users: dict[tuple[str, str], str] = {}

    def on_login(request: Any, token: Any, userinfo: Any) -> str:
        account = (userinfo["iss"], userinfo["sub"])  # the recipes' key
        users.setdefault(account, userinfo["name"])
        return users[account]

    with demo_site(redirect_url="http://localhost/second/auth") as second:
        app = Flask("two_sites")
        app.secret_key = "two-sites-test"
        oauth = OAuth(app)
        for name, at, prefix in (
            ("cashsocial", site, ""),
            ("second", second, "/second"),
        ):
            remote = authlib_cashsocial.register(
                oauth,
                name=name,
                client_id=at.app.app_id,
                client_secret=at.app.app_secret,
                base_url=at.base_url,
            )
            blueprint = create_blueprint(
                remote, handle_login=on_login, name=name, url_prefix=prefix or None
            )
            app.register_blueprint(blueprint)
        site.app.redirect_url = "http://localhost/auth"
        browser = app.test_client()
        for at, prefix in ((site, ""), (second, "/second")):
            start = browser.get(prefix + "/login")
            callback = approve_at_site(at, start.headers["Location"])
            answer = browser.get(callback.removeprefix("http://localhost"))
            assert answer.status_code == 200, answer.text
        assert sorted(users) == sorted(
            [(site.base_url, "101"), (second.base_url, "101")]
        )
