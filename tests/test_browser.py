"""``make demo`` in a real headless Chromium: sign in, approve, see the
profile; deny consent and find the demo still usable."""

from __future__ import annotations

from pathlib import Path

import pytest

from .browser import (
    chromium,
    click,
    picture_loaded,
    running_demo,
    sign_in,
    text_of,
    title_is,
    url_starts,
)
from .conftest import system_program


@pytest.fixture(autouse=True)
def _chromium_installed() -> None:
    system_program("chromium")
    system_program("chromedriver")


def test_login_shows_the_profile(tmp_path: Path):
    with running_demo() as app, chromium(tmp_path / "profile") as driver:
        driver.get(app + "/")
        click(driver, "#login")
        assert title_is(driver, "Sign in")
        assert "alice" in driver.page_source  # the seeded members are listed
        sign_in(driver, "alice", "wonderland")
        click(driver, "#approve")
        assert text_of(driver, "#name") == "Alice Liddell"
        assert text_of(driver, "#email") == "alice@example.org"
        assert picture_loaded(driver)
        claims = text_of(driver, "#claims")
        assert "preferred_username" in claims
        assert "sub" in claims
        screenshot = tmp_path / "profile.png"
        assert driver.save_screenshot(str(screenshot))
        assert screenshot.stat().st_size > 10_000
        click(driver, "#logout")
        assert text_of(driver, "#login") == "Log in with Cash Social Network"


def test_denied_consent_leaves_the_demo_usable(tmp_path: Path):
    with running_demo() as app, chromium(tmp_path / "profile") as driver:
        driver.get(app + "/")
        click(driver, "#login")
        sign_in(driver, "bob", "builder")
        assert title_is(driver, "Log in With Cash Social Network")
        click(driver, "#cancel")  # the site sends the user home; the app hears nothing
        assert "sends the app nothing" in text_of(driver, "#cancelled")
        click(driver, "#back")  # the fake's link back to the demo app
        assert text_of(driver, "#login") == "Log in with Cash Social Network"
        assert url_starts(driver, app + "/")
        click(driver, "#login")  # signed in at the site already: consent again
        click(driver, "#approve")
        assert text_of(driver, "#name") == "Bob"


def test_forged_callback_shows_the_error_page(tmp_path: Path):
    with running_demo() as app, chromium(tmp_path / "profile") as driver:
        driver.get(app + "/auth?auth_key=" + "0" * 32)
        assert text_of(driver, "#error-code") == "mismatching_state"
        assert "Nothing was sent" in text_of(driver, "#error-description")


def test_a_login_started_from_another_site_needs_a_click_here(tmp_path: Path):
    """Real Chromium, real Fetch Metadata: a link on another site (localhost
    is another site than 127.0.0.1) opens our confirmation page, not the
    provider; a forged callback then finds no pending login."""
    from .apps import serve_wsgi

    def attacker(environ, start_response):
        page = f'<a id=attack href="{demo}/login">Win a prize</a>'.encode()
        start_response("200 OK", [("Content-Type", "text/html")])
        return [page]

    with running_demo() as demo, serve_wsgi(attacker) as evil:
        evil_site = evil.replace("127.0.0.1", "localhost")
        with chromium(tmp_path / "profile") as driver:
            driver.get(evil_site + "/")
            click(driver, "#attack")
            assert text_of(driver, "#continue").startswith("Continue to")
            assert url_starts(driver, demo + "/login")
            driver.get(demo + "/auth?auth_key=" + "0" * 32)  # the attacker's callback
            assert text_of(driver, "#error-code") == "mismatching_state"
            driver.back()
            click(driver, "#continue")  # the user's own click starts the login
            assert title_is(driver, "Sign in")
