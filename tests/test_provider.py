"""Provider mapping: endpoints, option validation, the Authlib config dict."""

from __future__ import annotations

import pytest

from authlib_cashsocial import ConfigurationError
from authlib_cashsocial._options import Endpoints, Settings


@pytest.mark.parametrize(
    "base",
    [
        "https://cs.moneypoolscash.com",
        "https://cs.moneypoolscash.com/",
        "https://cs.moneypoolscash.com///",
        " HTTPS://cs.moneypoolscash.com ",
    ],
)
def test_endpoints_tolerate_trailing_slashes(base):
    ep = Endpoints.from_base_url(base)
    assert ep.base_url.lower() == "https://cs.moneypoolscash.com"
    assert ep.authorize_url.endswith("cs.moneypoolscash.com/api/oauth")
    assert ep.token_url.endswith("/api/authorize")
    assert ep.userinfo_url.endswith("/api/get_user_info")
    assert ep.api_base_url.endswith("/api/")
    assert ep.uploads_url.endswith("/content/uploads/")


def test_site_in_a_subfolder():
    ep = Endpoints.from_base_url("https://example.org/social/")
    assert ep.token_url == "https://example.org/social/api/authorize"
    assert ep.profile_url("ann") == "https://example.org/social/ann"


@pytest.mark.parametrize(
    "base", ["http://127.0.0.1:8080", "http://localhost", "http://[::1]:9"]
)
def test_http_allowed_on_loopback(base):
    assert Endpoints.from_base_url(base).base_url.startswith("http://")


def test_http_refused_elsewhere_and_names_the_option():
    with pytest.raises(ConfigurationError) as failure:
        Endpoints.from_base_url("http://cs.moneypoolscash.com")
    assert isinstance(failure.value, ValueError)
    assert failure.value.option == "base_url"
    assert "allow_insecure=True" in str(failure.value)
    ep = Endpoints.from_base_url("http://cs.moneypoolscash.com", allow_insecure=True)
    assert ep.base_url == "http://cs.moneypoolscash.com"


@pytest.mark.parametrize(
    "base",
    [
        "",
        "cs.moneypoolscash.com",
        "ftp://x.org",
        "https://x.org/?a=1",
        "https://u:p@x.org",
        None,
    ],
)
def test_bad_base_urls(base):
    with pytest.raises(ConfigurationError) as failure:
        Endpoints.from_base_url(base)
    assert failure.value.option == "base_url"


def test_settings_defaults_and_aliases():
    s = Settings.from_options(app_id=42, app_secret="s")
    assert (s.client_id, s.client_secret, s.token_method, s.token_lifetime) == (
        "42",
        "s",
        "auto",
        60,
    )
    assert (s.login_timeout, s.timeout) == (600, 10.0)
    assert (
        Settings.from_options(client_id="1", app_id="1", client_secret="s").client_id
        == "1"
    )


@pytest.mark.parametrize(
    ("options", "option"),
    [
        ({"client_secret": "s"}, "client_id"),
        ({"client_id": "1"}, "client_secret"),
        ({"client_id": " ", "client_secret": "s"}, "client_id"),
        ({"client_id": "1", "app_id": "2", "client_secret": "s"}, "client_id"),
        (
            {"client_id": "1", "client_secret": "s", "token_method": "put"},
            "token_method",
        ),
        (
            {"client_id": "1", "client_secret": "s", "token_lifetime": 0},
            "token_lifetime",
        ),
        ({"client_id": "1", "client_secret": "s", "timeout": -1}, "timeout"),
        (
            {"client_id": "1", "client_secret": "s", "login_timeout": True},
            "login_timeout",
        ),
    ],
)
def test_settings_errors_name_the_option(options, option):
    with pytest.raises(ConfigurationError) as failure:
        Settings.from_options(**options)
    assert failure.value.option == option
    assert option in str(failure.value)


def test_clients_refuse_bad_configuration_before_any_request():
    from authlib_cashsocial import CashSocialSession

    with pytest.raises(ConfigurationError) as failure:
        CashSocialSession("1", "s", base_url="http://example.org")
    assert failure.value.option == "base_url"
    with pytest.raises(ConfigurationError) as failure:
        CashSocialSession(None, "s")
    assert failure.value.option == "client_id"


def test_importing_the_package_needs_authlib_and_requests_alone():
    import subprocess
    import sys

    code = (
        "import sys, authlib_cashsocial\n"
        "heavy = {'flask', 'starlette', 'django', 'httpx2', 'httpx', 'werkzeug',"
        " 'waitress', 'allauth', 'social_core', 'social_django'}\n"
        "print(sorted(heavy & {m.split('.')[0] for m in sys.modules}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"
