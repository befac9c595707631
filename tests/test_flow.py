"""The whole login over real loopback HTTP: both server generations, every
token method, every client kind."""

from __future__ import annotations

import asyncio

import pytest

from authlib_cashsocial import ClientCredentialsError
from authlib_cashsocial.testing import FakeSite

from .conftest import log_in

GENERATIONS = {"4.2": "post", "4.0.3": "get"}


@pytest.mark.parametrize("release", ["4.2", "4.0.3"])
@pytest.mark.parametrize("token_method", ["auto", "post", "get"])
def test_login_on_each_generation(site: FakeSite, make_driver, release, token_method):
    site.fake.release = release
    driver = make_driver(token_method=token_method)
    server_reads = GENERATIONS[release]

    url = driver.authorization_url()
    assert url == f"{site.base_url}/api/oauth?app_id={site.app.app_id}"
    callback = log_in(site, driver)

    if token_method not in ("auto", server_reads):
        with pytest.raises(ClientCredentialsError) as failure:
            driver.fetch_token(authorization_response=callback)
        assert failure.value.error == "invalid_client"
        assert failure.value.option == "client_id"
        assert f"token_method={server_reads!r}" in failure.value.description
        return

    token = driver.fetch_token(authorization_response=callback)
    assert set(token) == {"access_token", "token_type", "expires_in", "expires_at"}
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 60  # what every Sngine release keeps it

    claims = driver.userinfo()
    assert (claims["iss"], claims["sub"]) == (site.base_url, "101")
    assert claims["preferred_username"] == "alice"
    assert claims["name"] == "Alice Liddell"
    assert claims["email"] == "alice@example.org"
    assert claims["profile"] == f"{site.base_url}/alice"

    exchanges = site.fake.requests_to("api/authorize")
    last = exchanges[-1]
    assert last.param("auth_key") == callback.rsplit("=", 1)[1]
    if server_reads == "post":
        # New servers: one round trip, the secret only in the body.
        assert len(exchanges) == 1
        assert last.method == "POST"
        assert last.query == {}
        assert last.form["app_secret"] == [site.app.app_secret]
        sent = last.form
    else:
        assert last.method == "GET"
        assert last.query["app_secret"] == [site.app.app_secret]
        assert last.form == {}
        assert len(exchanges) == (2 if token_method == "auto" else 1)
        sent = last.query
    # Sngine's three parameters, once each, and nothing of OAuth's.
    assert {name: len(values) for name, values in sent.items()} == {
        "app_id": 1,
        "app_secret": 1,
        "auth_key": 1,
    }
    userinfo_calls = site.fake.requests_to("api/get_user_info")
    assert [r.param("access_token") for r in userinfo_calls] == [token["access_token"]]


def test_auto_remembers_the_generation_per_client(site: FakeSite, make_driver):
    site.fake.release = "4.0.3"
    driver = make_driver()
    for _ in range(2):
        driver.fetch_token(authorization_response=log_in(site, driver))
    methods = [r.method for r in site.fake.requests_to("api/authorize")]
    # First login: POST refused without consuming the key, then GET. Second: GET.
    assert methods == ["POST", "GET", "GET"]


def test_auth_key_keyword_and_code_alias(site: FakeSite, make_driver):
    driver = make_driver()
    callback = log_in(site, driver, "bob")
    key = callback.rsplit("auth_key=", 1)[1]
    token = driver.fetch_token(auth_key=key)
    assert driver.userinfo()["sub"] == "102"
    callback = log_in(site, driver, "bob")
    again = driver.fetch_token(code=callback.rsplit("auth_key=", 1)[1])
    # Inside the site's 60 s window a new exchange returns the same token.
    assert again["access_token"] == token["access_token"]


def test_double_question_mark_callback(site: FakeSite, make_driver):
    site.app.redirect_url = "http://127.0.0.1:5000/auth?next=/welcome"
    driver = make_driver()
    callback = log_in(site, driver, "olga")
    assert callback.count("?") == 2
    driver.fetch_token(authorization_response=callback)
    claims = driver.userinfo()
    assert claims["name"] == "Ольга Петрова"
    assert claims["gender"] == "female"


def test_already_approved_user_is_redirected_at_once(site: FakeSite, make_driver):
    driver = make_driver()
    log_in(site, driver)
    first_key = site.fake.issued_auth_key(site.users["alice"], site.app)
    callback = log_in(site, driver)  # no consent page the second time
    second_key = callback.rsplit("=", 1)[1]
    assert second_key != first_key
    driver.fetch_token(auth_key=second_key)
    assert driver.userinfo()["sub"] == "101"


def test_clients_are_context_managers(site: FakeSite):
    from authlib_cashsocial import CashSocialSession
    from authlib_cashsocial.httpx_client import AsyncCashSocialClient, CashSocialClient

    options = {"base_url": site.base_url}
    creds = (site.app.app_id, site.app.app_secret)
    login_url = f"{site.base_url}/api/oauth?app_id={site.app.app_id}"

    def callback() -> str:
        url = site.browser.log_in(login_url, username="bob", password="builder")
        assert url is not None
        return url

    with CashSocialSession(*creds, **options) as session:
        session.fetch_token(authorization_response=callback())
        assert session.userinfo()["sub"] == "102"
    with CashSocialClient(*creds, **options) as client:
        client.fetch_token(authorization_response=callback())
        assert client.userinfo()["sub"] == "102"
    assert client.is_closed

    async def async_login() -> str:
        async with AsyncCashSocialClient(*creds, **options) as client:
            await client.fetch_token(authorization_response=callback())
            claims = await client.userinfo()
        assert client.is_closed
        return claims["sub"]

    assert asyncio.run(async_login()) == "102"


def test_a_client_keeps_one_connection_across_logins(site: FakeSite, make_driver):
    driver = make_driver()
    for user in ("alice", "bob", "alice"):
        driver.fetch_token(authorization_response=log_in(site, driver, user))
        driver.userinfo()
    calls = site.fake.requests_to("api/authorize") + site.fake.requests_to(
        "api/get_user_info"
    )
    assert len(calls) == 6
    assert len({r.remote_port for r in calls}) == 1
