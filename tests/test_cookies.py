"""No client keeps or sends a cookie the site sets. Every Sngine API answer
sets ``PHPSESSID`` (3.13 also ``user_session``, for 30 days); the API needs
none, and a client that sends them back links all of an app's users together
at the site. Here the fake site answers every API call with both cookies and
records the ``Cookie`` header each API call brings."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from authlib_cashsocial import compliance_fix
from authlib_cashsocial._dialect import LEARNED
from authlib_cashsocial.testing import FakeSite, FakeSngine, ThreadedWSGIServer
from authlib_cashsocial.testing.server import seed_demo

from .conftest import log_in

API_CALLS = ("/api/authorize", "/api/get_user_info")
SITE_COOKIES = (
    "PHPSESSID=0123456789abcdefghijklmnop; path=/",
    "user_session=d41d8cd98f00b204e9800998ecf8427e; Max-Age=2592000; path=/",
)


class CookieSettingSite:
    """The fake site behind a layer that sets the site's cookies on every API
    answer and records the ``Cookie`` header of every API request."""

    def __init__(self, fake: FakeSngine) -> None:
        self.fake = fake
        self.cookies_sent: list[tuple[str, str | None]] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ["PATH_INFO"]
        if path not in API_CALLS:
            return self.fake(environ, start_response)
        self.cookies_sent.append((path, environ.get("HTTP_COOKIE")))

        def with_cookies(status: str, headers: list[Any], *exc_info: Any) -> Any:
            cookies = [("Set-Cookie", cookie) for cookie in SITE_COOKIES]
            return start_response(status, [*headers, *cookies], *exc_info)

        return self.fake(environ, with_cookies)


@pytest.fixture
def cookie_site() -> Iterator[CookieSettingSite]:
    # 4.0.3 reads the query string: under token_method="auto" the first
    # exchange is refused and retried, a second call after a first answer.
    fake = FakeSngine(release="4.0.3")
    wrapped = CookieSettingSite(fake)
    with ThreadedWSGIServer(wrapped) as server:
        app, users = seed_demo(fake, redirect_url="http://127.0.0.1:5000/auth")
        wrapped.site = FakeSite(  # type: ignore[attr-defined]
            fake=fake,
            base_url=server.base_url,
            app=app,
            users={u.user_name: u for u in users},
        )
        try:
            yield wrapped
        finally:
            wrapped.site.browser.close()  # type: ignore[attr-defined]
            LEARNED.forget()


@pytest.fixture
def site(cookie_site: CookieSettingSite) -> FakeSite:
    """The fixtures of conftest (``make_driver``, ``make_app``) use this site."""
    return cookie_site.site  # type: ignore[attr-defined,no-any-return]


def _assert_no_cookie_went_back(cookie_site: CookieSettingSite, calls: int) -> None:
    assert len(cookie_site.cookies_sent) == calls, cookie_site.cookies_sent
    assert [cookie for _path, cookie in cookie_site.cookies_sent] == [None] * calls


def test_a_client_sends_no_cookie_back(cookie_site, site, make_driver):
    driver = make_driver()
    for user in ("alice", "bob"):
        driver.fetch_token(authorization_response=log_in(site, driver, user))
        driver.userinfo()
    # alice: POST refused, GET, user info; bob: GET, user info.
    _assert_no_cookie_went_back(cookie_site, 5)
    cookies = driver.client.cookies
    assert not list(getattr(cookies, "jar", cookies))  # none kept either


def test_a_framework_app_sends_no_cookie_back(cookie_site, site, make_app):
    app = make_app()
    for user in ("alice", "bob"):
        assert app.login(user).status_code in (302, 307)
    assert app.me()["sub"] == "102"
    _assert_no_cookie_went_back(cookie_site, 5)


@pytest.mark.parametrize("library", ["requests", "httpx"])
def test_a_compliance_fixed_session_sends_no_cookie_back(cookie_site, site, library):
    from authlib.integrations.httpx_client import OAuth2Client
    from authlib.integrations.requests_client import OAuth2Session

    from .apps import approve_at_site

    cls = OAuth2Session if library == "requests" else OAuth2Client
    session = compliance_fix(
        cls(site.app.app_id, site.app.app_secret),
        base_url=site.base_url,
        token_method="get",
    )
    try:
        for user in ("alice", "bob"):
            login_url = f"{site.base_url}/api/oauth?app_id={site.app.app_id}"
            callback = approve_at_site(site, login_url, user)
            session.fetch_token(code=callback.rsplit("auth_key=", 1)[1])
            answer = session.get(session.metadata["userinfo_endpoint"])
            assert answer.json()["user_info"]["user_name"] == user
    finally:
        session.close()
    _assert_no_cookie_went_back(cookie_site, 4)


def test_a_django_login_stack_sends_no_cookie_back(cookie_site, site, make_stack):
    """django-allauth and python-social-auth exchange through
    CashSocialSession: the same holds."""
    app = make_stack()
    for user in ("alice", "bob"):
        assert app.login(user).status_code in (302, 303), app.me()
        app.logout()
    _assert_no_cookie_went_back(cookie_site, 5)
