"""The django-allauth provider and the social-auth backend in a real headless
Chromium (Debian's ``chromium`` and ``chromium-driver``): the site's own
template entry points, the POST login start with Django's CSRF token, the
fake site's sign-in and consent pages, and the forged callback's error page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from authlib_cashsocial.testing import FakeSite

from .browser import chromium, click, sign_in, text_of
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
