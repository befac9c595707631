"""Hostile and odd callbacks reaching each framework app, and configuration
mistakes: each is rejected before any request to the site, or accepted when
legitimate; the site's request log is the witness."""

from __future__ import annotations

from urllib.parse import quote

import pytest
import requests

from authlib_cashsocial import ClientCredentialsError, ProviderUnavailableError
from authlib_cashsocial.testing import FakeSite

from .apps import serve_wsgi
from .conftest import Driver, log_in, make_client


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("auth_key=", "missing_auth_key"),
        ("auth_key=" + "a" * 10_000, "malformed_auth_key"),
        ("auth_key=" + quote("ключ"), "malformed_auth_key"),
        ("auth_key=abc%00def", "malformed_auth_key"),
        ("auth_key=k1&auth_key=k2", "malformed_auth_key"),
        ("other=1", "missing_auth_key"),
    ],
    ids=["empty", "10kB", "non-ascii", "nul", "two-different", "missing"],
)
def test_unusable_auth_key_sends_nothing(site: FakeSite, make_app, query, error):
    app = make_app()
    app.start()  # a login is pending in this browser
    resp = app.callback(f"{app.base_url}/auth?{query}")
    assert resp.status_code == 400
    assert error in resp.text
    assert app.exchanges() == 0


def test_repeated_identical_auth_key_is_accepted(site: FakeSite, make_app):
    app = make_app()
    callback = app.at_site(app.start())
    key = callback.rsplit("auth_key=", 1)[1]
    assert app.callback(f"{callback}&auth_key={key}").status_code in (302, 307)
    assert app.me()["sub"] == "101"


def test_double_question_mark_callback_is_accepted(site: FakeSite, make_app):
    app = make_app(callback_path="/auth?from=site")
    callback = app.at_site(app.start())
    assert callback.count("?") == 2
    assert app.callback(callback).status_code in (302, 307)
    assert app.me()["sub"] == "101"


def test_callback_from_another_browser_session(site: FakeSite, make_app):
    app = make_app()
    callback = app.at_site(app.start())
    with requests.Session() as other_browser:
        stolen = other_browser.get(callback, allow_redirects=False, timeout=10)
    assert stolen.status_code == 400
    assert "mismatching_state" in stolen.text
    assert app.exchanges() == 0
    # The rightful browser still finishes its own login.
    assert app.callback(callback).status_code in (302, 307)
    assert app.me()["sub"] == "101"


def _html_site(environ, start_response):
    """Any web site that is not Sngine: an HTML page on every path."""
    body = b"<!DOCTYPE html><html><body><h1>Welcome to my blog</h1></body></html>"
    start_response(
        "200 OK", [("Content-Type", "text/html"), ("Content-Length", str(len(body)))]
    )
    return [body]


def test_base_url_of_a_site_that_is_not_sngine(site: FakeSite, client_kind):
    with serve_wsgi(_html_site) as blog:
        driver = Driver(client_kind, make_client(client_kind, "1", "s", base_url=blog))
        try:
            with pytest.raises(ProviderUnavailableError) as failure:
                driver.fetch_token(auth_key="a" * 32)
        finally:
            driver.close()
    assert "base_url is not an Sngine site" in failure.value.description
    assert "text/html" in failure.value.description


def test_wrong_secret_and_app_id_name_the_setting(site: FakeSite, make_driver):
    driver = make_driver(client_secret="wrong")
    with pytest.raises(ClientCredentialsError) as failure:
        driver.fetch_token(authorization_response=log_in(site, driver))
    assert "client_secret" in failure.value.description
    other = make_driver(client_id="wrong")
    with pytest.raises(ClientCredentialsError) as failure:
        other.fetch_token(authorization_response=log_in(site, make_driver()))
    assert "client_id" in failure.value.description
