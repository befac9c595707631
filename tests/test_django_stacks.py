"""The django-allauth provider and the python-social-auth backend pass the
same behavioural checks as the Authlib frameworks, end to end over real
loopback HTTP: browser → Django project → fake site → Django project."""

from __future__ import annotations

import secrets
import time
from typing import Any

import pytest
import requests

from authlib_cashsocial import CashSocialError
from authlib_cashsocial.testing import FakeSite, Status

from . import test_login_csrf as login_csrf
from .apps import approve_at_site
from .django_stacks import CALLBACK_PATHS, RunningStack, recorded_errors


@pytest.mark.parametrize("release", ["4.2", "4.0.3"])
def test_full_login(site: FakeSite, make_stack, stack: str, release: str):
    site.fake.release = release
    app: RunningStack = make_stack()
    login_url = app.start(next_url="/me?from=test")
    assert login_url == f"{site.base_url}/api/oauth?app_id={site.app.app_id}"
    done = app.callback(app.at_site(login_url))
    assert done.status_code == 302, done.text
    assert done.headers["Location"] == "/me?from=test"
    user = app.me()
    assert user["username"] == "alice"
    assert user["email"] == "alice@example.org"
    assert (user["first_name"], user["last_name"]) == ("Alice", "Liddell")
    assert user["verified_emails"] == []  # the site does not verify e-mail
    account = user[stack]
    assert account["uid"] == "101"
    # "auto": one POST on a new server; on an old one the POST is refused
    # without using the key up, and the GET follows.
    assert app.exchanges() == (1 if release == "4.2" else 2)


def test_sparse_profile(site: FakeSite, make_stack, stack: str):
    app = make_stack()
    done = app.login("bob")
    assert done.status_code == 302, done.text
    user = app.me()
    assert user["username"] == "bob"
    assert (user["first_name"], user["last_name"]) == ("Bob", "")
    assert user[stack]["uid"] == "102"


def test_the_raw_row_and_claims_are_kept(site: FakeSite, make_stack, stack: str):
    app = make_stack()
    app.login()
    account = app.me()[stack]
    row = (
        account["extra_data"]
        if stack == "allauth"
        else account["extra_data"]["user_info"]
    )
    assert row["user_id"] == "101"
    assert row["user_name"] == "alice"
    if stack == "allauth":
        assert account["profile"] == f"{site.base_url}/alice"
        assert account["avatar"].startswith(site.base_url + "/content/uploads/")
        assert account["str"] == "alice"
    else:
        extra = account["extra_data"]
        assert extra["profile"] == f"{site.base_url}/alice"
        assert extra["name"] == "Alice Liddell"


# ------------------------------------------------------------------ hostility


def attackers_callback(app: RunningStack) -> str:
    """bob's own valid, unused auth_key (he stopped before the callback)."""
    return login_csrf.attackers_callback(app.site)


def last_error(stack: str) -> str:
    """Our error code behind the stack's last error page."""
    error = recorded_errors()[-1]
    if stack == "allauth":
        assert isinstance(error, CashSocialError)
        return str(error.error)
    return str(error.context["cashsocial_error"])


ERROR_STATUS = {"allauth": 401}  # allauth's page; social: by exception family


def test_forged_callback_sends_nothing(site: FakeSite, make_stack, stack: str):
    app = make_stack()
    forged = app.callback(attackers_callback(app))
    assert forged.status_code == ERROR_STATUS.get(stack, 403), forged.text
    assert last_error(stack) == "mismatching_state"
    assert app.exchanges() == 0
    assert app.me() is None


def test_forged_callback_while_a_login_is_pending(site: FakeSite, make_stack, stack):
    """The one forgery no client of this site can tell apart (see the
    Security page): it uses the victim's pending login, once."""
    app = make_stack()
    app.start()
    planted = app.callback(attackers_callback(app))
    assert planted.status_code == 302
    assert app.me()["username"] == "bob"
    assert app.exchanges() == 1


def test_replayed_callback_sends_nothing(site: FakeSite, make_stack, stack: str):
    app = make_stack()
    callback = app.at_site(app.start())
    assert app.callback(callback).status_code == 302
    app.logout()
    replay = app.callback(callback)
    assert replay.status_code == ERROR_STATUS.get(stack, 403)
    assert last_error(stack) == "mismatching_state"
    assert app.exchanges() == 1


def test_replay_with_an_old_copy_of_a_cookie_session(site: FakeSite, make_stack, stack):
    """Signed-cookie sessions: a replay can carry the cookie the victim had
    before the callback, pending login included. social-core's nonce storage
    is server-side, so it is single use anyway; allauth keeps its state in the
    session only, so the replay reaches the site once and the site's
    single-use key refuses it (see the docs: use a server-side session)."""
    app = make_stack()
    callback = app.at_site(app.start())
    before = app.browser.cookies.copy()
    assert app.callback(callback).status_code == 302
    replay = app.browser.get(
        callback, cookies=before, allow_redirects=False, timeout=10
    )
    assert replay.status_code == ERROR_STATUS.get(stack, 403)
    if stack == "social":
        assert last_error(stack) == "mismatching_state"
        assert app.exchanges() == 1
    else:
        assert last_error(stack) == "invalid_grant"
        assert app.exchanges() == 2


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("", "missing_auth_key"),
        ("?auth_key=", "missing_auth_key"),
        ("?auth_key=" + "a" * 129, "malformed_auth_key"),
        ("?auth_key=%3Cscript%3E", "malformed_auth_key"),
        ("?auth_key=a&auth_key=b", "malformed_auth_key"),
    ],
)
def test_keyless_callback_consumes_nothing(
    site: FakeSite, make_stack, stack, query, code
):
    app = make_stack()
    callback = app.at_site(app.start())
    bad = app.callback(app.callback_url + query)
    assert bad.status_code == ERROR_STATUS.get(stack, 400), bad.text
    assert last_error(stack) == code
    assert app.exchanges() == 0
    assert app.callback(callback).status_code == 302  # the real one still works
    assert app.me()["username"] == "alice"


def test_double_question_mark_callback(site: FakeSite, make_stack, stack: str):
    app = make_stack()
    callback = app.at_site(app.start())
    key = callback.rsplit("auth_key=", 1)[1]
    done = app.callback(f"{app.callback_url}?from=site?auth_key={key}")
    assert done.status_code == 302, done.text
    assert app.me()["username"] == "alice"


def test_forged_keys_drive_at_most_three_exchanges(site: FakeSite, make_stack, stack):
    app = make_stack()
    app.start()
    for attempt in range(5):
        forged = app.callback(f"{app.callback_url}?auth_key={attempt:032x}")
        assert forged.status_code == ERROR_STATUS.get(stack, 403)
    assert app.exchanges() == 3
    assert last_error(stack) == "mismatching_state"


def test_a_newer_tab_still_finishes(site: FakeSite, make_stack, stack: str):
    """Two login starts (tabs); the site replaces the first key. The older
    tab's callback fails at the site, and the newer one still logs in."""
    app = make_stack()
    first = app.at_site(app.start())
    second = app.at_site(app.start())
    assert app.callback(first).status_code == ERROR_STATUS.get(stack, 403)
    assert last_error(stack) == "invalid_grant"
    assert app.callback(second).status_code == 302
    assert app.me()["username"] == "alice"


# ------------------------------------------------------------------ login start


@pytest.mark.parametrize("stack", ["allauth"])
def test_allauth_login_start_is_a_post_with_csrf(site: FakeSite, make_stack):
    app = make_stack()
    page = app.browser.get(app.login_url, allow_redirects=False, timeout=10)
    assert page.status_code == 200  # allauth's confirmation form, no redirect
    assert 'method="post"' in page.text
    no_token = app.browser.post(app.login_url, allow_redirects=False, timeout=10)
    assert no_token.status_code == 403  # Django's CSRF check
    assert app.at_site(app.start())  # the form's POST starts the login


@pytest.mark.parametrize("stack", ["allauth"])
def test_allauth_login_on_get_still_refuses_other_sites(site: FakeSite, make_stack):
    from django.conf import settings

    app = make_stack()
    settings.SOCIALACCOUNT_LOGIN_ON_GET = True
    try:
        direct = app.browser.get(app.login_url, allow_redirects=False, timeout=10)
        assert direct.status_code == 302
        foreign = app.browser.get(
            app.login_url,
            headers={"Sec-Fetch-Site": "cross-site"},
            allow_redirects=False,
            timeout=10,
        )
        assert foreign.status_code == 200  # the confirmation form again
        assert 'method="post"' in foreign.text
    finally:
        del settings.SOCIALACCOUNT_LOGIN_ON_GET


@pytest.mark.parametrize("stack", ["social"])
def test_social_login_start_is_post_only(site: FakeSite, make_stack):
    app = make_stack()
    get = app.browser.get(app.login_url, allow_redirects=False, timeout=10)
    assert get.status_code == 405
    no_token = app.browser.post(app.login_url, allow_redirects=False, timeout=10)
    assert no_token.status_code == 403
    assert app.exchanges() == 0


# ------------------------------------------------------------------ allauth idiom


@pytest.mark.parametrize("stack", ["allauth"])
def test_allauth_signals_and_connecting_an_account(site: FakeSite, make_stack):
    app = make_stack()  # Django is set up from here on
    from allauth.socialaccount.signals import pre_social_login, social_account_added

    from authlib_cashsocial.testing import ScriptedBrowser

    seen: list[tuple[str, str]] = []

    def on_login(sender: object, request: object, sociallogin: object, **kw: object):
        seen.append(("pre_social_login", sociallogin.account.uid))  # type: ignore[attr-defined]

    def on_added(sender: object, request: object, sociallogin: object, **kw: object):
        seen.append(("added", sociallogin.account.uid))  # type: ignore[attr-defined]

    pre_social_login.connect(on_login)
    social_account_added.connect(on_added)
    try:
        app.login()
        assert seen == [("pre_social_login", "101")]
        # A signed-in user connects a second site account (process=connect),
        # signing in at the site in a fresh browser as olga.
        olga = ScriptedBrowser()
        try:
            callback = olga.log_in(
                app.start(process="connect"),
                username="olga",
                password=site.users["olga"].password,
            )
        finally:
            olga.close()
        assert callback is not None
        done = app.callback(callback)
        assert done.status_code == 302, done.text
        assert ("added", "103") in seen
    finally:
        pre_social_login.disconnect(on_login)
        social_account_added.disconnect(on_added)
    from allauth.socialaccount.models import SocialAccount

    assert sorted(SocialAccount.objects.values_list("uid", flat=True)) == ["101", "103"]
    assert app.me()["username"] == "alice"


@pytest.mark.parametrize("stack", ["allauth"])
def test_allauth_template_tag_links_the_login(site: FakeSite, make_stack):
    from django.template import Context, Template
    from django.test import RequestFactory

    make_stack()
    template = Template('{% load socialaccount %}{% provider_login_url "cashsocial" %}')
    request = RequestFactory().get("/")
    assert (
        template.render(Context({"request": request})) == "/accounts/cashsocial/login/"
    )


# ------------------------------------------------------------------ shared rules


def test_pending_record_age_and_exchanges():
    from authlib_cashsocial import PendingLoginError
    from authlib_cashsocial._login_state import MAX_EXCHANGES, PendingRecord

    record = PendingRecord(started_at=1000.0)
    record.check(600, now=1600.0)
    with pytest.raises(PendingLoginError, match="login_timeout"):
        record.check(600, now=1600.5)
    exchanges = 1
    while (record := record.after_rejected_key()) is not None:  # type: ignore[assignment]
        exchanges += 1
    assert exchanges == MAX_EXCHANGES
    assert PendingRecord.from_value({"started_at": True}) is None
    assert PendingRecord.from_value({"started_at": 1, "exchanges": "2"}) is None
    assert PendingRecord.from_value(None) is None


def test_unknown_option_is_refused(site: FakeSite):
    from authlib_cashsocial import ConfigurationError
    from authlib_cashsocial._stack_login import login_for

    with pytest.raises(ConfigurationError, match="base_url") as failure:
        login_for("1", "s", {"base_ulr": site.base_url})
    assert failure.value.option == "base_ulr"
    first = login_for("1", "s", {"base_url": site.base_url})
    assert login_for("1", "s", {"base_url": site.base_url}) is first


@pytest.mark.parametrize("stack", ["social"])
def test_social_launch_bridges_start_no_login(site: FakeSite, make_stack):
    """social-app-django's GET launch bridges (with their Fetch Metadata
    checks) are for OpenID Connect issuers: enabled, they still start no
    login for this backend, from another site or not."""
    app = make_stack()
    from django.conf import settings
    from social_django.models import Nonce

    settings.SOCIAL_AUTH_ENABLE_LAUNCH_BRIDGES = ["app_launch", "idp_launch"]
    try:
        for bridge in ("app-launch", "idp-launch"):
            for fetch_site in ("cross-site", "same-origin"):
                resp = app.browser.get(
                    f"{app.base_url}/social/{bridge}/cashsocial/",
                    headers={"Sec-Fetch-Site": fetch_site},
                    allow_redirects=False,
                    timeout=10,
                )
                assert resp.status_code == 400, (bridge, fetch_site)
    finally:
        del settings.SOCIAL_AUTH_ENABLE_LAUNCH_BRIDGES
    assert not Nonce.objects.exists()
    assert app.exchanges() == 0


# ------------------------------------------------------------------ start methods

START_METHODS = ("GET", "HEAD", "POST", "PUT", "OPTIONS")
FETCH_SITES = (None, "none", "same-origin", "same-site", "cross-site")


def start_with(
    app: RunningStack, method: str, fetch_site: str | None, process: str
) -> requests.Response:
    """A login start by ``method``, carrying Django's CSRF token (the worst
    case: as if the page that sent it could read the token) and the Fetch
    Metadata ``fetch_site`` (None: a client that sends none)."""
    token = app.browser.get(app.base_url + "/csrf", timeout=10).text
    headers = {"X-CSRFToken": token}
    if fetch_site is not None:
        headers["Sec-Fetch-Site"] = fetch_site
    form = {"process": process} if method in ("POST", "PUT") else None
    return app.browser.request(
        method,
        app.login_url,
        params=None if form else {"process": process},
        data=form,
        headers=headers,
        allow_redirects=False,
        timeout=10,
    )


def holds_a_pending_login(app: RunningStack) -> bool:
    """Whether the browser's session holds a pending login: a callback with a
    key the site has never issued reaches the site only then."""
    before = app.exchanges()
    app.callback(f"{app.callback_url}?auth_key={secrets.token_hex(16)}")
    return app.exchanges() > before


def expected_start(
    stack: str, method: str, fetch_site: str | None, login_on_get: bool
) -> tuple[int, bool]:
    """(status, pending login stored) for a login start, as issue 22 says:
    GET (the form, or LOGIN_ON_GET's redirect when not foreign) or POST with
    the CSRF token; any other method 405; foreign starts store nothing."""
    foreign = fetch_site in ("same-site", "cross-site")
    if stack == "social":  # social-app-django's begin view is POST only
        if method != "POST":
            return 405, False
        return 302, True  # Django's CSRF check is the guard (see below)
    if method == "GET":
        return (302, True) if login_on_get and not foreign else (200, False)
    if method == "POST":
        return (200, False) if foreign else (302, True)
    return 405, False


def check_every_start(app: RunningStack, process: str, login_on_get: bool) -> None:
    wrong: list[tuple[object, ...]] = []
    for method in START_METHODS:
        for fetch_site in FETCH_SITES:
            app.browser.cookies.clear()
            if process == "connect":  # the victim is logged in
                assert app.login().status_code == 302
            answer = start_with(app, method, fetch_site, process)
            stored = holds_a_pending_login(app)
            status, should_store = expected_start(
                app.stack, method, fetch_site, login_on_get
            )
            if (answer.status_code, stored) != (status, should_store):
                wrong.append((method, fetch_site, answer.status_code, stored))
            elif status == 200:  # allauth's confirmation form
                assert 'method="post"' in answer.text
            elif status == 302:
                assert answer.headers["Location"].startswith(app.site.base_url)
    assert wrong == []


@pytest.mark.parametrize("stack", ["allauth"])
@pytest.mark.parametrize("process", ["login", "connect"])
@pytest.mark.parametrize("login_on_get", [False, True], ids=["form", "login_on_get"])
def test_allauth_start_every_method_and_fetch_site(
    site: FakeSite, make_stack, process: str, login_on_get: bool
):
    """Issue 22.1: a HEAD (CORS-safelisted, unchecked by Django's CSRF
    middleware) from a sibling subdomain stashed a pending login, which the
    attacker's own callback then used: with process=connect, the attacker's
    site account was linked to the victim's."""
    app = make_stack()
    from django.conf import settings

    settings.SOCIALACCOUNT_LOGIN_ON_GET = login_on_get
    try:
        check_every_start(app, process, login_on_get)
    finally:
        del settings.SOCIALACCOUNT_LOGIN_ON_GET


@pytest.mark.parametrize("stack", ["allauth"])
@pytest.mark.parametrize("fetch_site", ["cross-site, none", "none, same-site", "?"])
def test_allauth_start_with_a_joined_or_unknown_fetch_site(
    site: FakeSite, make_stack, fetch_site: str
):
    """Repeated headers joined by the server, or a value no browser sends:
    a foreign start (LOGIN_ON_GET redirected and stashed a pending login)."""
    app = make_stack()
    from django.conf import settings

    settings.SOCIALACCOUNT_LOGIN_ON_GET = True
    try:
        answer = start_with(app, "GET", fetch_site, "login")
    finally:
        del settings.SOCIALACCOUNT_LOGIN_ON_GET
    assert answer.status_code == 200
    assert 'method="post"' in answer.text
    assert not holds_a_pending_login(app)


@pytest.mark.parametrize("stack", ["social"])
def test_social_start_every_method_and_fetch_site(site: FakeSite, make_stack):
    check_every_start(make_stack(), "login", login_on_get=False)


@pytest.mark.parametrize("stack", ["social"])
def test_social_foreign_post_start_is_refused_by_django_csrf(
    site: FakeSite, make_stack
):
    """A browser sends ``Origin`` with every POST; Django's CSRF middleware
    refuses another origin's even with a token the page could not have
    read, so a foreign POST stores nothing."""
    app = make_stack()
    token = app.browser.get(app.base_url + "/csrf", timeout=10).text
    for origin, fetch_site in (
        ("http://evil.example", "cross-site"),
        ("http://other.127.0.0.1.nip.io", "same-site"),
    ):
        answer = app.browser.post(
            app.login_url,
            data={"csrfmiddlewaretoken": token},
            headers={"Origin": origin, "Sec-Fetch-Site": fetch_site},
            allow_redirects=False,
            timeout=10,
        )
        assert answer.status_code == 403
        assert not holds_a_pending_login(app)


# ------------------------------------------------------------------ headless

HEADLESS_REDIRECT = "/_allauth/browser/v1/auth/provider/redirect"


def headless_start(app: RunningStack, callback_url: str = "/spa/callback") -> str:
    """A single-page app's login start: allauth's headless redirect form,
    POSTed with Django's CSRF token; returns the site's login link."""
    answer = app.browser.post(
        app.base_url + HEADLESS_REDIRECT,
        data={
            "provider": "cashsocial",
            "callback_url": callback_url,
            "process": "login",
            "csrfmiddlewaretoken": app.csrf_token(),
        },
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302, answer.text
    return str(answer.headers["Location"])


@pytest.mark.parametrize("stack", ["allauth"])
def test_headless_login_lands_on_the_spa(site: FakeSite, make_stack):
    app = make_stack()
    done = app.callback(app.at_site(headless_start(app)))
    assert done.status_code == 302, done.text
    assert done.headers["Location"] == "/spa/callback"
    assert app.me()["username"] == "alice"


@pytest.mark.parametrize("stack", ["allauth"])
@pytest.mark.parametrize("failure", ["rejected_key", "keyless", "site_down"])
def test_headless_failure_redirects_to_the_spa(
    site: FakeSite, make_stack, failure: str
):
    """Issue 24.5: after a headless start, a failed callback goes back to the
    app's callback_url with allauth's error parameters (as allauth's OAuth 2
    callback does), not to the HTML error page."""
    app = make_stack()
    login_url = headless_start(app)
    if failure == "rejected_key":
        url = f"{app.callback_url}?auth_key={secrets.token_hex(16)}"
    elif failure == "keyless":
        url = app.callback_url
    else:
        url = app.at_site(login_url)
        site.fake.inject("api/get_user_info", Status(500))
    failed = app.callback(url)
    assert failed.status_code == 302, failed.text
    assert failed.headers["Location"] == (
        "/spa/callback?error=unknown&error_process=login"
    )
    assert app.me() is None


@pytest.mark.parametrize("stack", ["allauth"])
@pytest.mark.parametrize("headless_only", [False, True])
def test_headless_forged_callback(site: FakeSite, make_stack, headless_only: bool):
    """With no login start to read, allauth's rule: under HEADLESS_ONLY the
    global error URL, else the HTML error page."""
    app = make_stack()
    from django.conf import settings

    settings.HEADLESS_ONLY = headless_only
    try:
        forged = app.callback(f"{app.callback_url}?auth_key={secrets.token_hex(16)}")
    finally:
        del settings.HEADLESS_ONLY
    if headless_only:
        assert forged.status_code == 302
        assert forged.headers["Location"] == (
            app.base_url + "/spa/error?error=unknown&error_process=login"
        )
    else:
        assert forged.status_code == 401
    assert app.exchanges() == 0


@pytest.mark.parametrize("stack", ["allauth"])
def test_headless_only_login_view_is_allauths_404(site: FakeSite, make_stack):
    """Issue 24.7: under HEADLESS_ONLY allauth's login views answer 404; the
    package's own checks ran first (a foreign GET got the form)."""
    app = make_stack()
    from django.conf import settings

    settings.HEADLESS_ONLY = True
    wrong = []
    try:
        for method in START_METHODS:
            for fetch_site in FETCH_SITES:
                answer = start_with(app, method, fetch_site, "login")
                if answer.status_code != 404 or holds_a_pending_login(app):
                    wrong.append((method, fetch_site, answer.status_code))
    finally:
        del settings.HEADLESS_ONLY
    assert wrong == []


@pytest.mark.parametrize("stack", ["allauth"])
def test_strict_samesite_bounce_keeps_the_key_and_happens_once(
    site: FakeSite, make_stack
):
    """The bounce page (allauth's ``login_redirect``) links to the same URL
    with ``_redir``, the site's double-``?`` form kept; the second arrival
    without a pending login gets the error page, not another bounce. (The
    cookie itself is tested in Chromium: the test client has no SameSite.)"""
    import html

    app = make_stack()
    from django.test import override_settings

    callback = app.at_site(app.start())
    key = callback.rsplit("auth_key=", 1)[1]
    with override_settings(SESSION_COOKIE_SAMESITE="Strict"):
        stranger = requests.Session()  # the browser, without its cookie
        path = f"{CALLBACK_PATHS['allauth']}?from=site?auth_key={key}"
        bounce = stranger.get(app.base_url + path, allow_redirects=False, timeout=10)
        assert bounce.status_code == 200
        target = f"{path}&amp;_redir="
        assert f'href="{target}"' in bounce.text
        again = stranger.get(
            app.base_url + html.unescape(target), allow_redirects=False, timeout=10
        )
        assert again.status_code == 401  # allauth's error page
        assert app.exchanges() == 0
        # The browser that holds the pending login follows the bounce.
        done = app.callback(app.base_url + html.unescape(target))
        assert done.status_code == 302, done.text
    assert app.me()["username"] == "alice"


# ------------------------------------------- the stacks' settings, read whole


def _allauth_stack_login(site: FakeSite, provider: dict) -> object:
    """The allauth provider's validated options for ``provider``
    (``SOCIALACCOUNT_PROVIDERS['cashsocial']``)."""
    from allauth.socialaccount.adapter import get_adapter
    from django.test import RequestFactory, override_settings

    with override_settings(SOCIALACCOUNT_PROVIDERS={"cashsocial": provider}):
        request = RequestFactory().get("/")
        return get_adapter().get_provider(request, "cashsocial").stack_login()


def _allauth_app(site: FakeSite, **more: object) -> dict:
    return {"client_id": site.app.app_id, "secret": site.app.app_secret, **more}


AT = "SOCIALACCOUNT_PROVIDERS['cashsocial']"


@pytest.mark.parametrize(
    ("provider", "words"),
    [
        (  # beside client_id, where allauth drops it: the default site
            lambda s: {"APPS": [_allauth_app(s, base_url=s.base_url)]},
            f"{AT}['APPS'][0]['base_url'] is not read there: this package's "
            f"options go in the app's settings, {AT}['APPS'][0]['settings']"
            "['base_url']",
        ),
        (
            lambda s: {"APPS": [_allauth_app(s, settings={"base_ulr": s.base_url})]},
            f"{AT}['APPS'][0]['settings']['base_ulr'] is not a setting",
        ),
        (
            lambda s: {"APP": _allauth_app(s, settings={"base_ulr": s.base_url})},
            f"Did you mean {AT}['APP']['settings']['base_url']?",
        ),
        (
            lambda s: {"APPS": [_allauth_app(s)], "BASE_URL": s.base_url},
            f"{AT}['BASE_URL'] is not read there",
        ),
        (
            lambda s: {"APPS": [_allauth_app(s)], "VERIFIED_EMIAL": True},
            f"{AT}['VERIFIED_EMIAL'] is not a setting of this registration: nothing "
            f"would read it. Did you mean {AT}['VERIFIED_EMAIL']?",
        ),
        (
            lambda s: {"APPS": [_allauth_app(s, settings={"token_method": "bogus"})]},
            f"{AT}['APPS'][0]['settings']['token_method'] must be one of",
        ),
        (
            lambda s: {"APPS": [_allauth_app(s, secret=b"bytes")]},
            f"{AT}['APPS'][0]['secret'] (the site's app_secret) must be text",
        ),
    ],
)
def test_allauth_settings_are_read_whole(site: FakeSite, provider, words):
    pytest.importorskip("allauth")
    from authlib_cashsocial import ConfigurationError
    from tests.apps import _configure_django

    _configure_django()
    with pytest.raises(ConfigurationError) as failure:
        _allauth_stack_login(site, provider(site))
    assert words in failure.value.description
    assert site.app.app_secret not in str(failure.value)


@pytest.mark.parametrize("stack", ["allauth"])
def test_allauths_own_settings_stay_accepted(site: FakeSite, make_stack):
    """allauth's own keys (VERIFIED_EMAIL, an app's hidden / verified_email)
    are not typos."""
    app = make_stack(hidden=False, verified_email=False, email_authentication=False)
    from django.conf import settings

    settings.SOCIALACCOUNT_PROVIDERS["cashsocial"]["VERIFIED_EMAIL"] = False
    app.login()
    assert app.me()["username"] == "alice"


def _social_backend() -> object:
    from social_django.utils import load_backend, load_strategy

    return load_backend(load_strategy(), "cashsocial", redirect_uri=None)


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        (
            {"SOCIAL_AUTH_CASHSOCIAL_BASE_ULR": "https://x.example"},
            "SOCIAL_AUTH_CASHSOCIAL_BASE_ULR is not read. Did you mean "
            "SOCIAL_AUTH_CASHSOCIAL_BASE_URL?",
        ),
        (
            {"SOCIAL_AUTH_CASHSOCIAL_TOKEN_METHOD": "get"},
            "SOCIAL_AUTH_CASHSOCIAL_TOKEN_METHOD is not read: put 'token_method' "
            "in SOCIAL_AUTH_CASHSOCIAL_OPTIONS",
        ),
        (
            {"SOCIAL_AUTH_CASHSOCIAL_OPTIONS": {"base_ulr": "https://x.example"}},
            "SOCIAL_AUTH_CASHSOCIAL_OPTIONS['base_ulr'] is not a setting of this "
            "registration: nothing would read it. Did you mean "
            "SOCIAL_AUTH_CASHSOCIAL_OPTIONS['base_url']?",
        ),
        (
            {"SOCIAL_AUTH_CASHSOCIAL_OPTIONS": {"timeout": 0}},
            "SOCIAL_AUTH_CASHSOCIAL_OPTIONS['timeout'] must be a number",
        ),
        (
            {"SOCIAL_AUTH_CASHSOCIAL_BASE_URL": "ftp://x.example"},
            "SOCIAL_AUTH_CASHSOCIAL_BASE_URL must be an absolute http(s) URL",
        ),
        (
            {"SOCIAL_AUTH_CASHSOCIAL_SECRET": b"bytes"},
            "SOCIAL_AUTH_CASHSOCIAL_SECRET (the site's app_secret) must be text",
        ),
    ],
)
def test_social_settings_are_read_whole(site: FakeSite, make_stack, settings, words):
    pytest.importorskip("social_django")
    from django.test import override_settings
    from social_core.exceptions import AuthConfigurationError

    make_stack_for_social(site)
    with override_settings(**settings), pytest.raises(AuthConfigurationError) as no:
        _social_backend().stack_login()
    assert words in str(no.value.detail)
    (setting,) = settings
    assert no.value.parameter == setting.removeprefix("SOCIAL_AUTH_CASHSOCIAL_")
    assert site.app.app_secret not in str(no.value.detail)


def test_a_misspelt_social_prefix_is_refused(site: FakeSite):
    """SOCIAL_AUTH_CASH_SOCIAL_BASE_URL beside the right KEY and SECRET was
    read by nothing: the login and the exchange went to the default site."""
    pytest.importorskip("social_django")
    from django.test import override_settings
    from social_core.exceptions import AuthConfigurationError

    make_stack_for_social(site)
    from django.conf import settings

    base_url = settings.SOCIAL_AUTH_CASHSOCIAL_BASE_URL
    del settings.SOCIAL_AUTH_CASHSOCIAL_BASE_URL
    try:
        with (
            override_settings(SOCIAL_AUTH_CASH_SOCIAL_BASE_URL=base_url),
            pytest.raises(AuthConfigurationError) as no,
        ):
            _social_backend().stack_login()
    finally:
        settings.SOCIAL_AUTH_CASHSOCIAL_BASE_URL = base_url
    assert (
        "SOCIAL_AUTH_CASH_SOCIAL_BASE_URL is not read. Did you mean "
        "SOCIAL_AUTH_CASHSOCIAL_BASE_URL?" in str(no.value.detail)
    )
    assert no.value.parameter == "SOCIAL_AUTH_CASH_SOCIAL_BASE_URL"


def make_stack_for_social(site: FakeSite) -> None:
    from .django_stacks import configure_stack

    configure_stack("social", site)


def test_social_cores_own_settings_and_longer_names_stay_accepted(site: FakeSite):
    """Under SOCIAL_AUTH_CASHSOCIAL_ social-core reads settings of its own,
    and a backend named cashsocial_eu has its keys: neither is a typo. A
    project's own BASE_URL is not the site's."""
    pytest.importorskip("social_django")
    from django.test import override_settings

    make_stack_for_social(site)
    with override_settings(
        SOCIAL_AUTH_CASHSOCIAL_SCOPE=[],
        SOCIAL_AUTH_CASHSOCIAL_LOGIN_ERROR_URL="/",
        SOCIAL_AUTH_CASHSOCIAL_EXTRA_DATA=[],
        SOCIAL_AUTH_CASHSOCIAL_EU_KEY="7",
        SOCIAL_AUTH_CASHSOCIAL_EU_BASE_URL="https://eu.example",
    ):
        login = _social_backend().stack_login()
    assert login.settings.endpoints.base_url == site.base_url
    from django.conf import settings

    del settings.SOCIAL_AUTH_CASHSOCIAL_BASE_URL
    try:
        with override_settings(BASE_URL="https://project.example"):
            login = _social_backend().stack_login()
        assert login.settings.endpoints.base_url == "https://cs.moneypoolscash.com"
    finally:
        settings.SOCIAL_AUTH_CASHSOCIAL_BASE_URL = site.base_url


# ------------------------------------------------------------------ allauth settings


@pytest.mark.parametrize("stack", ["allauth"])
@pytest.mark.parametrize("store", [False, True], ids=["not_stored", "stored"])
def test_allauth_social_token(site: FakeSite, make_stack, store: bool):
    """Issue 24.8: signal handlers see ``sociallogin.token`` (the site's
    access token and its expiry) as with allauth's OAuth 2 providers, and
    SOCIALACCOUNT_STORE_TOKENS stores it."""
    app = make_stack()
    from allauth.socialaccount.models import SocialToken
    from allauth.socialaccount.signals import pre_social_login
    from django.test import override_settings

    seen = []

    def on_login(sender: object, request: object, sociallogin: Any, **kw: object):
        seen.append(sociallogin.token)

    pre_social_login.connect(on_login)
    try:
        with override_settings(SOCIALACCOUNT_STORE_TOKENS=store):
            started = time.time()
            assert app.login().status_code == 302
    finally:
        pre_social_login.disconnect(on_login)
    (token,) = seen
    issued = site.fake.requests_to("api/get_user_info")[-1]
    assert token.token == issued.param("access_token")
    lifetime = token.expires_at.timestamp() - started
    assert 50 < lifetime < 70  # the site's tokens live 60 s
    stored = list(SocialToken.objects.values_list("token", flat=True))
    assert stored == ([token.token] if store else [])


@pytest.mark.parametrize("stack", ["allauth"])
@pytest.mark.parametrize("key", ["SCOPE", "AUTH_PARAMS", "OAUTH_PKCE_ENABLED"])
def test_allauth_oauth2_settings_are_refused(site: FakeSite, make_stack, key):
    """Issue 24.8: allauth's OAuth 2 settings do nothing on a Sngine site;
    set, they are refused at the login start, never silently ignored."""
    from authlib_cashsocial import ConfigurationError

    app = make_stack()
    from django.conf import settings

    settings.SOCIALACCOUNT_PROVIDERS["cashsocial"][key] = {"SCOPE": ["email"]}.get(
        key, True
    )
    from allauth.socialaccount.adapter import get_adapter
    from django.test import RequestFactory

    provider = get_adapter().get_provider(RequestFactory().get("/"), "cashsocial")
    with pytest.raises(ConfigurationError, match=key) as refused:
        provider.stack_login()
    assert refused.value.option == key
    assert app.start_response().status_code == 500  # loud, at the login start
    assert app.exchanges() == 0


@pytest.mark.parametrize("stack", ["allauth"])
def test_allauth_email_is_an_unverified_address(site: FakeSite, make_stack):
    app = make_stack()
    from allauth.account.models import EmailAddress

    app.login()
    (address,) = EmailAddress.objects.all()
    assert (address.email, address.verified, address.primary) == (
        "alice@example.org",
        False,
        True,
    )


def test_one_message_for_a_missing_pending_login(site: FakeSite, make_stack, stack):
    """Issue 23: the Authlib apps and both stacks say it in the same words,
    written once (``_login_state.no_pending_login``)."""
    from authlib_cashsocial._login_state import no_pending_login

    app = make_stack()
    app.callback(f"{app.callback_url}?auth_key={secrets.token_hex(16)}")
    error = recorded_errors()[-1]
    said = error.description if stack == "allauth" else error.detail
    assert no_pending_login().description in said


# ------------------------------------------------------------------ two sites


@pytest.mark.parametrize("stack", ["allauth"])
def test_allauth_two_sngine_sites_never_share_an_account(site: FakeSite, make_stack):
    """Issue 22.6: member 101 of each site is a person of their own. In
    allauth's idiom each site is a provider instance (its app's
    ``provider_id``, the ``SocialAccount.provider``), with its own login and
    callback URLs and its own pending login."""
    from authlib_cashsocial.testing.server import demo_site

    app = make_stack()
    from allauth.socialaccount.models import SocialAccount
    from django.conf import settings
    from django.template import Context, Template
    from django.test import RequestFactory

    def login_at(provider_id: str, at_site: FakeSite) -> requests.Response:
        start = app.browser.post(
            f"{app.base_url}/accounts/cashsocial/{provider_id}/login/",
            data={"csrfmiddlewaretoken": app.csrf_token()},
            allow_redirects=False,
            timeout=10,
        )
        assert start.status_code == 302, start.text
        assert start.headers["Location"].startswith(at_site.base_url)
        return app.callback(approve_at_site(at_site, start.headers["Location"]))

    def app_of(provider_id: str, at_site: FakeSite) -> dict[str, Any]:
        return {
            "provider_id": provider_id,
            "client_id": at_site.app.app_id,
            "secret": at_site.app.app_secret,
            "settings": {"base_url": at_site.base_url},
        }

    callback = app.base_url + "/accounts/cashsocial/{}/login/callback/"
    site.app.redirect_url = callback.format("first")
    with demo_site(redirect_url=callback.format("second")) as second:
        settings.SOCIALACCOUNT_PROVIDERS = {
            "cashsocial": {"APPS": [app_of("first", site), app_of("second", second)]}
        }
        tag = Template('{% load socialaccount %}{% provider_login_url "second" %}')
        request = RequestFactory().get("/")
        assert tag.render(Context({"request": request})) == (
            "/accounts/cashsocial/second/login/"
        )
        assert login_at("first", site).status_code == 302
        first_user = app.me()["username"]
        # A login started at one site is not the other's pending login.
        login_at("first", site)
        forged = app.callback(
            callback.format("second") + f"?auth_key={secrets.token_hex(16)}"
        )
        assert forged.status_code == 401
        assert len(second.fake.requests_to("api/authorize")) == 0
        app.logout()
        # The second site's member 101 (same name and e-mail, by the demo's
        # seed) is a new account: allauth's signup form, as for any
        # provider whose e-mail is taken; never the first site's user.
        done = login_at("second", second)
        assert done.status_code == 302, done.text
        assert done.headers["Location"] == "/accounts/3rdparty/signup/"
        assert app.me() is None
        assert first_user == "alice"
    accounts = list(SocialAccount.objects.values_list("provider", "uid"))
    assert accounts == [("first", "101")]
