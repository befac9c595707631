"""The django-allauth provider and the social-auth backend in a real headless
Chromium (Debian's ``chromium`` and ``chromium-driver``): the site's own
template entry points, the POST login start with Django's CSRF token, the
fake site's sign-in and consent pages, and the forged callback's error page."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from authlib_cashsocial.testing import FakeSite

from . import test_login_csrf as login_csrf
from .apps import serve_wsgi
from .browser import chromium, click, sign_in, text_of, url_starts
from .conftest import system_program
from .django_stacks import RunningStack

ENTRY = {"allauth": "#allauth-login", "social": "#social-login"}
ERROR_PAGE = {"allauth": "Third-Party Login Failure", "social": "Authentication failed"}


@pytest.fixture(autouse=True)
def _chromium_installed() -> None:
    system_program("chromium")
    system_program("chromedriver")


@pytest.mark.slow
def test_login_in_chromium(site: FakeSite, make_stack, stack: str, tmp_path: Path):
    app: RunningStack = make_stack()
    with chromium(tmp_path / "profile") as driver:
        driver.get(app.base_url + "/")
        click(driver, ENTRY[stack])
        if stack == "allauth":  # allauth's confirmation form: POST with CSRF
            assert app.exchanges() == 0
            click(driver, "form[method=post] button")
        sign_in(driver, "alice", "wonderland")  # waits for the site's form
        assert driver.current_url.startswith(site.base_url)
        click(driver, "#approve")
        # Back on the project, at LOGIN_REDIRECT_URL (then read that page).
        WebDriverWait(driver, 10).until(
            lambda d: d.current_url.startswith(app.base_url + "/me")
        )
        me = json.loads(driver.find_element(By.TAG_NAME, "body").text)
        assert me["username"] == "alice"
        assert me[stack]["uid"] == "101"
        assert app.exchanges() == 1


@pytest.mark.slow
def test_forged_callback_in_chromium(
    site: FakeSite, make_stack, stack: str, tmp_path: Path
):
    app: RunningStack = make_stack()
    with chromium(tmp_path / "profile") as driver:
        driver.get(app.callback_url + "?auth_key=" + "0" * 32)
        assert ERROR_PAGE[stack] in driver.find_element(By.TAG_NAME, "body").text
        driver.get(app.base_url + "/me")
        assert json.loads(text_of(driver, "body")) is None
    assert app.exchanges() == 0


#: Two host names of one site (example.test), both on loopback: the app, and
#: a sibling subdomain run by an attacker (shared hosting, user pages).
HOSTS = "--host-resolver-rules=MAP *.example.test 127.0.0.1"
APP_HOST = "app.example.test"

_ATTACK_PAGE = """<!DOCTYPE html><title>attack</title><script>
fetch({login}, {{method: "HEAD", mode: "no-cors", credentials: "include"}})
  .then(() => {{ document.title = "sent"; location.href = {callback}; }});
</script>"""


def _attack_site(login_url: str, callback_url: str):
    """The sibling subdomain's page: a HEAD of the login start (CORS-
    safelisted: no preflight, the victim's cookies go along, and Django's CSRF
    middleware does not check it), then the attacker's own callback."""
    page = _ATTACK_PAGE.format(
        login=json.dumps(login_url), callback=json.dumps(callback_url)
    ).encode()

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [page]

    return serve_wsgi(app)


@pytest.mark.slow
@pytest.mark.parametrize("stack", ["allauth"])
def test_a_sibling_subdomains_head_links_no_account_in_chromium(
    site: FakeSite, make_stack, tmp_path: Path
):
    """Issue 22.1, as an attacker runs it: the victim, logged in as alice,
    opens a page on a sibling subdomain, which HEADs the login start with
    process=connect and then delivers bob's callback. Before the fix, bob's
    site account was linked to alice's and bob could log in as her."""
    app: RunningStack = make_stack()
    from django.conf import settings
    from django.test import override_settings

    port = urlsplit(app.base_url).port
    app_origin = f"http://{APP_HOST}:{port}"
    site.app.redirect_url = app_origin + app.callback_path("allauth")
    planted = login_csrf.attackers_callback(site)  # bob's own unused key
    login = f"{app_origin}{urlsplit(app.login_url).path}?process=connect"
    with (
        override_settings(ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, APP_HOST]),
        _attack_site(login, planted) as attacker,
        chromium(tmp_path / "profile", HOSTS) as driver,
    ):
        driver.get(app_origin + "/")  # alice logs in, as a user does
        click(driver, ENTRY["allauth"])
        click(driver, "form[method=post] button")
        sign_in(driver, "alice", "wonderland")
        click(driver, "#approve")
        assert url_starts(driver, app_origin + "/me")
        evil = "http://evil.example.test:" + str(urlsplit(attacker).port)
        driver.get(evil + "/")
        assert url_starts(driver, app_origin)  # the HEAD was sent, then
        assert ERROR_PAGE["allauth"] in text_of(driver, "body")
    from allauth.socialaccount.models import SocialAccount

    assert list(SocialAccount.objects.values_list("uid", flat=True)) == ["101"]
    assert app.exchanges() == 1  # alice's own login only


@pytest.mark.slow
@pytest.mark.parametrize("stack", ["allauth"])
def test_login_with_a_strict_session_cookie_in_chromium(
    site: FakeSite, make_stack, tmp_path: Path
):
    """Issue 24.6: with ``SESSION_COOKIE_SAMESITE = "Strict"`` the browser
    comes back from the site (another site: 127.0.0.1) without the session
    cookie; the callback bounces through allauth's same-site
    ``login_redirect`` page, whose navigation carries it."""
    app: RunningStack = make_stack()
    from django.conf import settings
    from django.test import override_settings

    app_origin = f"http://{APP_HOST}:{urlsplit(app.base_url).port}"
    site.app.redirect_url = app_origin + app.callback_path("allauth")
    with (
        override_settings(
            ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, APP_HOST],
            SESSION_COOKIE_SAMESITE="Strict",
        ),
        chromium(tmp_path / "profile", HOSTS) as driver,
    ):
        driver.get(app_origin + "/")
        click(driver, ENTRY["allauth"])
        click(driver, "form[method=post] button")
        sign_in(driver, "alice", "wonderland")
        click(driver, "#approve")
        assert url_starts(driver, app_origin + "/me"), driver.page_source
        me = json.loads(text_of(driver, "body"))
        assert me["username"] == "alice"
        cookie = driver.get_cookie(settings.SESSION_COOKIE_NAME)
        assert cookie is not None
        assert cookie["sameSite"] == "Strict"
    assert app.exchanges() == 1
