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
