"""Configuration mistakes fail loudly, at once, and leak nothing: in every
client, ``compliance_fix()`` and ``register()`` of every framework."""

from __future__ import annotations

from typing import Any

import pytest
from authlib.integrations.requests_client import OAuth2Session

import authlib_cashsocial
from authlib_cashsocial import ConfigurationError, compliance_fix
from authlib_cashsocial.testing import FakeSite

from .conftest import make_client


def _build(kind: str, **options: Any) -> Any:
    """One client, or ``compliance_fix`` on Authlib's own session."""
    if kind == "compliance_fix":
        return compliance_fix(OAuth2Session("1", "s"), **options)
    return make_client(kind, "1", "s", **options)


KINDS = ["requests", "httpx", "httpx-async", "compliance_fix"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_typo_in_an_option_is_refused_with_a_suggestion(kind):
    with pytest.raises(ConfigurationError) as failure:
        _build(kind, bas_url="http://127.0.0.1:9")
    assert failure.value.option == "bas_url"
    assert "Did you mean 'base_url'?" in str(failure.value)


def test_a_typo_in_register_is_refused(site: FakeSite, make_app):
    with pytest.raises(ConfigurationError) as failure:
        make_app(bas_url=site.base_url)
    assert "Did you mean 'base_url'?" in str(failure.value)
    with pytest.raises(ConfigurationError) as failure:
        make_app(client_kwargs={"timeuot": 3})
    assert "Did you mean 'timeout'?" in str(failure.value)


def test_an_endpoint_of_another_provider_is_refused(site: FakeSite, make_app):
    with pytest.raises(ConfigurationError) as failure:
        make_app(access_token_url="https://elsewhere.example/token")
    assert failure.value.option == "access_token_url"
    assert "base_url" in str(failure.value)


@pytest.mark.parametrize(
    ("options", "option", "words"),
    [
        ({"client_secret": b"s3cret"}, "client_secret", "text (str), not bytes"),
        ({"client_id": 4.2}, "client_id", "not float"),
        ({"max_response_size": -1}, "max_response_size", "bytes"),
        ({"max_response_size": 1.5}, "max_response_size", "bytes"),
        ({"token_lifetime": 0.5}, "token_lifetime", "whole number of seconds"),
        ({"login_timeout": "600"}, "login_timeout", "not '600'"),
        ({"timeout": 0}, "timeout", "seconds"),
        ({"allow_insecure": "yes"}, "allow_insecure", "True or False"),
    ],
)
def test_a_value_of_the_wrong_type_says_so(options, option, words):
    from authlib_cashsocial._options import Settings

    values = {"client_id": "1", "client_secret": "s", **options}
    with pytest.raises(ConfigurationError) as failure:
        Settings.from_options(**values)
    assert failure.value.option == option
    assert words in str(failure.value)
    assert "missing" not in str(failure.value)


def test_whole_number_floats_are_kept():
    from authlib_cashsocial._options import Settings

    settings = Settings.from_options(
        client_id="1", client_secret="s", token_lifetime=60.0, login_timeout=90.0
    )
    assert (settings.token_lifetime, settings.login_timeout) == (60, 90)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "base_url",
    [
        "https://user:hunter2@social.example",
        "https://social.example/?token=hunter2",
        "ftp://hunter2@social.example",
    ],
)
def test_url_credentials_never_reach_an_error_text(kind, base_url):
    with pytest.raises(ConfigurationError) as failure:
        _build(kind, base_url=base_url)
    error = failure.value
    for text in (str(error), repr(error), error.description):
        assert "hunter2" not in text


@pytest.mark.parametrize(
    "suffix", ["/api", "/api/", "/api/oauth", "/api/oauth?app_id=1", "/api/authorize"]
)
def test_a_base_url_copied_from_the_sites_page_is_explained(suffix):
    with pytest.raises(ConfigurationError) as failure:
        authlib_cashsocial.CashSocialSession(
            "1", "s", base_url="https://social.example" + suffix
        )
    message = str(failure.value)
    assert "the site's root address" in message
    assert "'https://social.example'" in message
    assert "/api/api" not in message


def test_a_site_in_a_folder_keeps_its_folder():
    session = authlib_cashsocial.CashSocialSession(
        "1", "s", base_url="https://example.org/community/"
    )
    url, _ = session.create_authorization_url()
    assert url == "https://example.org/community/api/oauth?app_id=1"


# ------------------------------------------------- a Flask app factory


def _flask_factory(oauth: Any, config: dict[str, Any]) -> Any:
    """``create_app()`` of a Flask app factory: the registry was made (and
    ``register()`` called) before any app existed."""
    from flask import Flask, jsonify, session

    from authlib_cashsocial.flask_client import create_blueprint

    app = Flask("factory_app")
    app.secret_key = "factory-secret"
    app.config.update(config)
    oauth.init_app(app)
    app.register_blueprint(
        create_blueprint(
            oauth.cashsocial,
            handle_login=lambda _r, _t, user: session.update(user=dict(user)),
        )
    )
    app.add_url_rule("/me", "me", lambda: jsonify(session.get("user")))
    return app


def _site_config(site: FakeSite, **more: Any) -> dict[str, Any]:
    return {
        "CASHSOCIAL_CLIENT_ID": site.app.app_id,
        "CASHSOCIAL_CLIENT_SECRET": site.app.app_secret,
        "CASHSOCIAL_BASE_URL": site.base_url,
        **more,
    }


def test_an_app_factory_reads_every_option_at_init_app(site: FakeSite):
    """register() before init_app: CASHSOCIAL_BASE_URL sends the login (and
    so the exchange with the secret) to the configured site, not the
    default one, and CASHSOCIAL_TOKEN_LIFETIME takes effect."""
    import requests
    from authlib.integrations.flask_client import OAuth

    from .apps import approve_at_site, serve_wsgi

    oauth = OAuth()
    authlib_cashsocial.register(oauth)
    app = _flask_factory(oauth, _site_config(site, CASHSOCIAL_TOKEN_LIFETIME=30))
    with serve_wsgi(app, close=oauth.cashsocial.close) as base_url:
        site.app.redirect_url = base_url + "/auth"
        with requests.Session() as browser:
            start = browser.get(base_url + "/login", allow_redirects=False, timeout=10)
            login_url = start.headers["Location"]
            assert login_url == f"{site.base_url}/api/oauth?app_id={site.app.app_id}"
            browser.get(approve_at_site(site, login_url), timeout=10)
            assert browser.get(base_url + "/me", timeout=10).json()["sub"] == "101"
    assert oauth.cashsocial.dialect.settings.token_lifetime == 30
    assert len(site.fake.requests_to("api/authorize")) == 1


@pytest.mark.parametrize(
    ("more", "words"),
    [
        ({"CASHSOCIAL_TOKEN_METHOD": "bogus"}, "CASHSOCIAL_TOKEN_METHOD must be"),
        ({"CASHSOCIAL_BASE_ULR": "https://x.example"}, "CASHSOCIAL_BASE_ULR is not"),
        ({"CASHSOCIAL_CLIENT_SECRET": None}, "CASHSOCIAL_CLIENT_SECRET"),
    ],
)
def test_an_app_factory_refuses_a_bad_config_at_first_use(site: FakeSite, more, words):
    """Authlib creates the app at its first use after init_app: the mistake
    raises there (and nothing is sent anywhere)."""
    from authlib.integrations.flask_client import OAuth

    oauth = OAuth()
    authlib_cashsocial.register(oauth)
    config = {k: v for k, v in _site_config(site, **more).items() if v is not None}
    _flask_factory_without_routes(oauth, config)
    with pytest.raises(ConfigurationError) as failure:
        oauth.create_client("cashsocial")
    assert words in failure.value.description
    assert site.app.app_secret not in str(failure.value)


@pytest.mark.parametrize(
    "key",
    [
        "cashsocial_base_url",
        "Cashsocial_Base_Url",
        "CASH_SOCIAL_BASE_URL",
        "CASHSOCIAL-BASE-URL",
    ],
)
def test_a_misspelt_prefix_is_refused_not_the_default_site(site: FakeSite, key: str):
    """Authlib reads CASHSOCIAL_CLIENT_ID and our reader took every
    CASHSOCIAL_* key: a base URL under another case or separator was read by
    nothing, and the login (and so the exchange, with the secret) went to
    the default site."""
    from authlib.integrations.flask_client import OAuth

    oauth = OAuth()
    authlib_cashsocial.register(oauth)
    config = _site_config(site)
    config[key] = config.pop("CASHSOCIAL_BASE_URL")
    _flask_factory_without_routes(oauth, config)
    with pytest.raises(ConfigurationError) as failure:
        oauth.create_client("cashsocial")
    assert failure.value.description.startswith(f"{key} is not")
    assert "Did you mean CASHSOCIAL_BASE_URL?" in failure.value.description


def _flask_factory_without_routes(oauth: Any, config: dict[str, Any]) -> Any:
    """``create_app()`` of a factory that does not touch the registration."""
    from flask import Flask

    app = Flask("factory_app")
    app.config.update(config)
    oauth.init_app(app)
    return app


def test_one_registry_for_two_flask_apps(site: FakeSite):
    """Authlib's Flask OAuth keeps one app and creates each client once:
    a second app with the same settings is served; one whose
    CASHSOCIAL_BASE_URL differs is refused, not sent to the first's site."""
    from authlib.integrations.flask_client import OAuth

    oauth = OAuth()
    authlib_cashsocial.register(oauth)
    first = _flask_factory(oauth, _site_config(site))
    remote = oauth.create_client("cashsocial")  # reads first's config
    same = _flask_factory(oauth, _site_config(site))
    other = _flask_factory(
        oauth, _site_config(site, CASHSOCIAL_BASE_URL="https://other.example")
    )
    for app in (first, same):
        start = app.test_client().get("/login")
        assert start.headers["Location"].startswith(site.base_url + "/api/oauth?")
    with other.test_request_context("/login"), pytest.raises(ConfigurationError) as no:
        remote.authorize_redirect()
    assert "One Authlib OAuth serves one Flask app" in no.value.description
    remote.close()


# ------------------------------------------------- Starlette's Config


def _starlette_register(config: Any) -> Any:
    from authlib.integrations.starlette_client import OAuth

    return authlib_cashsocial.register(OAuth(config))


def test_starlette_reads_its_env_file_and_environ_after_the_prefix(tmp_path):
    """What a Starlette Config can list: its env file and its environ,
    after its env_prefix; the error names the key as written there."""
    from starlette.config import Config

    env_file = tmp_path / ".env"
    env_file.write_text(
        "APP_CASHSOCIAL_CLIENT_ID=1\nAPP_CASHSOCIAL_CLIENT_SECRET=s\n"
        "APP_CASHSOCIAL_BASE_ULR=http://127.0.0.1:9\n"
    )
    with pytest.raises(ConfigurationError) as failure:
        _starlette_register(Config(env_file, environ={}, env_prefix="APP_"))
    assert failure.value.description.startswith("APP_CASHSOCIAL_BASE_ULR is not")
    assert "Did you mean APP_CASHSOCIAL_BASE_URL?" in failure.value.description
    environ = {
        "APP_CASHSOCIAL_CLIENT_ID": "1",
        "APP_CASHSOCIAL_CLIENT_SECRET": "s",
        "APP_CASHSOCIAL_TIMEUOT": "5",
    }
    with pytest.raises(ConfigurationError) as failure:
        _starlette_register(Config(environ=environ, env_prefix="APP_"))
    assert "Did you mean APP_CASHSOCIAL_TIMEOUT?" in failure.value.description
    # The environ wins over the file, as in Config.get; text is cast.
    env_file.write_text("CASHSOCIAL_CLIENT_ID=1\nCASHSOCIAL_CLIENT_SECRET=s\n")
    remote = _starlette_register(
        Config(
            env_file,
            environ={
                "CASHSOCIAL_BASE_URL": "http://127.0.0.1:9",
                "CASHSOCIAL_ALLOW_INSECURE": "false",
                "CASHSOCIAL_MAX_RESPONSE_SIZE": "4096",
            },
        )
    )
    settings = remote.dialect.settings
    assert settings.endpoints.base_url == "http://127.0.0.1:9"
    assert settings.max_response_size == 4096


def test_starlette_refuses_a_misspelt_prefix_in_its_environ():
    from starlette.config import Config

    environ = {
        "CASHSOCIAL_CLIENT_ID": "1",
        "CASHSOCIAL_CLIENT_SECRET": "s",
        "cashsocial_base_url": "http://127.0.0.1:9",
    }
    with pytest.raises(ConfigurationError) as failure:
        _starlette_register(Config(environ=environ))
    assert "Did you mean CASHSOCIAL_BASE_URL?" in failure.value.description


def test_a_config_that_cannot_be_listed_is_read_key_by_key():
    """An OAuth(config) whose config only has get() (not a Starlette
    Config): the options are still read, by key, as Authlib reads its own."""

    class KeyValueConfig:
        def __init__(self) -> None:
            self.values = {
                "CASHSOCIAL_CLIENT_ID": "1",
                "CASHSOCIAL_CLIENT_SECRET": "s",
                "CASHSOCIAL_BASE_URL": "http://127.0.0.1:9",
                "CASHSOCIAL_TIMEOUT": "2.5",
            }

        def get(self, key: str, default: Any = None) -> Any:
            return self.values.get(key, default)

    settings = _starlette_register(KeyValueConfig()).dialect.settings
    assert settings.endpoints.base_url == "http://127.0.0.1:9"
    assert settings.timeout == 2.5
