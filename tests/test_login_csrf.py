"""Login CSRF, as an attacker runs it: the victim's browser is made to start a
login (a link, a form, an ``<img>`` on another site) and then to deliver the
attacker's own callback. Each framework, through the route helpers and the
README-style routes alike; the site's request log is the witness."""

from __future__ import annotations

import html
import re
import secrets

import pytest

from authlib_cashsocial.testing import FakeSite, ScriptedBrowser

from .conftest import RunningApp

# (login route, callback route): the route helpers, and the two lines of the
# README (authorize_redirect / authorize_access_token).
ROUTES = [("/login", "/auth"), ("/manual/login", "/manual/auth")]
ROUTE_IDS = ["helpers", "readme"]


def attackers_callback(site: FakeSite) -> str:
    """The attacker signs in with their own account and stops before the
    callback: a valid, unused auth_key of theirs."""
    attacker = ScriptedBrowser()
    try:
        callback = attacker.log_in(
            f"{site.base_url}/api/oauth?app_id={site.app.app_id}",
            username="bob",
            password="builder",
        )
    finally:
        attacker.close()
    assert callback is not None
    return callback


def signed_in(app: RunningApp, callback: str, response) -> str | None:
    """Whom the callback's answer logged in: the route helpers keep the user
    in the session; the README-style route answers with the claims."""
    if callback == "/manual/auth":
        return response.json()["sub"] if response.status_code == 200 else None
    user = app.me()
    return user["sub"] if user else None


def visit(app: RunningApp, path_or_url: str, fetch_site: str | None):
    """The victim's browser opens a URL, with the Fetch Metadata a browser
    sends for it (None: an old browser or a test client, which sends none)."""
    url = path_or_url if "://" in path_or_url else app.base_url + path_or_url
    headers = {} if fetch_site is None else {"Sec-Fetch-Site": fetch_site}
    return app.browser.get(url, headers=headers, allow_redirects=False, timeout=10)


@pytest.mark.parametrize(("login", "callback"), ROUTES, ids=ROUTE_IDS)
@pytest.mark.parametrize("fetch_site", ["cross-site", "same-site"])
def test_forced_login_then_attackers_callback_logs_nobody_in(
    site: FakeSite, make_app, login, callback, fetch_site
):
    app = make_app(callback_path=callback)
    planted = attackers_callback(site)
    forced = visit(app, login, fetch_site)
    assert forced.status_code == 200  # a page of ours, not a redirect to the site
    assert "Location" not in forced.headers
    landed = visit(app, planted, "cross-site")
    assert landed.status_code == 400
    assert "mismatching_state" in landed.text
    assert app.exchanges() == 0
    assert app.me() is None


@pytest.mark.parametrize(("login", "callback"), ROUTES, ids=ROUTE_IDS)
def test_the_confirmation_page_continues_the_login(
    site: FakeSite, make_app, login, callback
):
    app = make_app(callback_path=callback)
    page = visit(app, login + "?next=/welcome", "cross-site")
    assert page.headers["Content-Type"].startswith("text/html")
    # It cannot be framed (clickjacking) nor cached.
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert "no-store" in page.headers["Cache-Control"]
    link = re.search(r'<a id=continue[^>]* href="([^"]+)"', page.text)
    assert link is not None
    target = html.unescape(link.group(1))
    assert target == login + "?next=/welcome"
    # The user's click on our own page is a same-origin navigation.
    started = visit(app, target, "same-origin")
    assert started.status_code in (302, 303, 307)
    done = app.callback(app.at_site(started.headers["Location"]))
    assert signed_in(app, callback, done) == "101"
    if callback == "/auth":
        assert done.headers["Location"].endswith("/welcome")


@pytest.mark.parametrize(("login", "callback"), ROUTES, ids=ROUTE_IDS)
@pytest.mark.parametrize("fetch_site", ["same-origin", "none", None])
def test_own_pages_typed_urls_and_old_browsers_start_at_once(
    site: FakeSite, make_app, login, callback, fetch_site
):
    app = make_app(callback_path=callback)
    started = visit(app, login, fetch_site)
    assert started.status_code in (302, 303, 307)
    assert started.headers["Location"].startswith(f"{site.base_url}/api/oauth?")
    done = app.callback(app.at_site(started.headers["Location"]))
    assert signed_in(app, callback, done) == "101"


@pytest.mark.parametrize(
    "forced",
    ["", "?other=1", "?auth_key=", "?auth_key=%00", "?auth_key=" + "a" * 500],
    ids=["bare", "no-key", "empty", "nul", "too-long"],
)
def test_a_callback_without_a_usable_key_leaves_the_pending_login(
    site: FakeSite, make_app, forced
):
    app = make_app()
    login_url = app.start()
    refused = visit(app, "/auth" + forced, "cross-site")
    assert refused.status_code == 400
    assert app.exchanges() == 0
    app.callback(app.at_site(login_url))  # the victim's real callback
    assert app.me()["sub"] == "101"


def test_a_wrong_state_leaves_the_pending_login(site: FakeSite, make_app):
    app = make_app()
    callback = app.at_site(app.start())
    assert visit(app, callback + "&state=forged", "cross-site").status_code == 400
    assert app.exchanges() == 0
    assert app.callback(callback).status_code in (302, 307)
    assert app.me()["sub"] == "101"


def test_forged_keys_drive_a_bounded_number_of_exchanges(site: FakeSite, make_app):
    app = make_app()
    app.start()
    for _ in range(20):
        forged = visit(app, f"/auth?auth_key={secrets.token_hex(16)}", "cross-site")
        assert forged.status_code == 400
    assert app.exchanges() <= 3
    assert app.me() is None


START_METHODS = ("GET", "HEAD", "POST", "PUT", "OPTIONS")
FETCH_SITES = (None, "none", "same-origin", "same-site", "cross-site")


def expected_answer(framework: str, method: str, foreign: bool) -> int:
    """The status of a login start: a GET starts (302) or gets the
    confirmation page (200); a HEAD reaches ``authorize_redirect`` (Flask and
    Starlette add it to GET routes) and gets 405; the other methods are
    refused before it by the framework (its routing, Django's CSRF check) or
    by it."""
    if method == "GET":
        return 200 if foreign else 302
    if method == "HEAD":
        return 405
    if framework == "django":  # every method reaches the view
        return 403 if method in ("POST", "PUT") else 405  # CSRF, then ours
    if framework == "flask" and method == "OPTIONS":
        return 200  # Flask's automatic OPTIONS answer; the view never runs
    return 405


@pytest.mark.parametrize(("login", "callback"), ROUTES, ids=ROUTE_IDS)
def test_login_start_every_method_and_fetch_site(
    site: FakeSite, make_app, framework: str, login, callback
):
    """Issue 22.1 for the Authlib apps: only a GET starts a login, never a
    HEAD (CORS-safelisted: another site's page sends it with the user's
    cookies); a foreign start stores nothing whatever its method."""
    app = make_app(callback_path=callback)
    wrong = []
    for method in START_METHODS:
        for fetch_site in FETCH_SITES:
            app.browser.cookies.clear()
            headers = {} if fetch_site is None else {"Sec-Fetch-Site": fetch_site}
            answer = app.browser.request(
                method,
                app.base_url + login,
                headers=headers,
                allow_redirects=False,
                timeout=10,
            )
            before = app.exchanges()
            forged = visit(app, f"{callback}?auth_key={secrets.token_hex(16)}", None)
            assert forged.status_code == 400
            stored = app.exchanges() > before
            foreign = fetch_site in ("same-site", "cross-site")
            expected = (
                expected_answer(framework, method, foreign),
                method == "GET" and not foreign,
            )
            if (answer.status_code, stored) != expected:
                wrong.append((method, fetch_site, answer.status_code, stored))
            if answer.status_code == 405 and method == "HEAD":
                assert answer.headers["Allow"] == "GET, POST"
    assert wrong == []


@pytest.mark.parametrize(("login", "callback"), ROUTES, ids=ROUTE_IDS)
def test_the_confirmation_page_names_this_site_and_the_provider_apart(
    site: FakeSite, make_app, login, callback
):
    """The demo app and the fake site are both on 127.0.0.1: "Log in with
    127.0.0.1?" said neither which site the visitor logs in to nor with which
    account. The app is "this site"; the provider is named with its address."""
    app = make_app(callback_path=callback)
    page = visit(app, login, "cross-site").text
    address = site.base_url.removeprefix("http://")
    assert f"<h1>Log in to this site with {address}?</h1>" in page
    assert f"with your account at {address}." in page
    assert f"Continue to {address}</a>" in page


def test_the_confirmation_page_calls_cash_social_by_its_name():
    from authlib.integrations.flask_client import OAuth
    from flask import Flask

    import authlib_cashsocial

    app = Flask("confirmation")
    app.secret_key = secrets.token_urlsafe(32)
    app.config.update(CASHSOCIAL_CLIENT_ID="42", CASHSOCIAL_CLIENT_SECRET="s")
    cashsocial = authlib_cashsocial.register(OAuth(app))  # the default site
    app.add_url_rule("/login", "login", lambda: cashsocial.authorize_redirect())
    page = app.test_client().get("/login", headers={"Sec-Fetch-Site": "cross-site"})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "<h1>Log in to this site with Cash Social Network?</h1>" in text
    assert "your account at cs.moneypoolscash.com." in text
    cashsocial.close()


def _start_with_raw_headers(app: RunningApp, path: str, headers: list[tuple[str, str]]):
    """A GET of ``path`` with ``headers`` as written, repeats included (an
    HTTP library would merge them), in the browser's cookie jar."""
    import http.client
    from urllib.parse import urlsplit

    where = urlsplit(app.base_url)
    assert where.hostname
    assert where.port
    conn = http.client.HTTPConnection(where.hostname, where.port, timeout=10)
    try:
        conn.putrequest("GET", path)
        for name, value in headers:
            conn.putheader(name, value)
        conn.endheaders()
        answer = conn.getresponse()
        answer.read()
    finally:
        conn.close()
    cookie = answer.getheader("Set-Cookie")
    if cookie:
        name, _, rest = cookie.partition("=")
        app.browser.cookies.set(name, rest.split(";")[0])
    return answer


@pytest.mark.parametrize(("login", "callback"), ROUTES, ids=ROUTE_IDS)
@pytest.mark.parametrize(
    "values",
    [("none", "cross-site"), ("cross-site, none",), ("?",)],
    ids=["repeated", "joined", "unknown"],
)
def test_a_fetch_site_that_is_not_one_own_value_starts_no_login(
    site: FakeSite, make_app, login, callback, values
):
    """WSGI servers join repeated headers (``cross-site, none``: that
    stored a pending login) or keep the last (cheroot, here); Starlette's
    ``headers.get`` read the first only. Whatever reaches the app, only
    ``same-origin`` or ``none`` (or no header) starts a login."""
    app = make_app(callback_path=callback)
    headers = [("Sec-Fetch-Site", value) for value in values]
    answer = _start_with_raw_headers(app, login, headers)
    assert answer.status == 200  # the confirmation page
    forged = visit(app, f"{callback}?auth_key={secrets.token_hex(16)}", None)
    assert forged.status_code == 400
    assert app.exchanges() == 0
