"""The pytest plugin of authlib-cashsocial: the ``cashsocial_provider`` fixture.

pytest loads this module (the ``pytest11`` entry point ``cashsocial``) at the
start of every run of every project that has authlib-cashsocial installed, so
it imports nothing that pytest has not imported already. The fake site, and
with it authlib, requests and werkzeug, is imported when a test first asks for
the fixture. The module lives outside the ``authlib_cashsocial`` package
because importing any module of a package first runs the package's
``__init__``, which imports authlib and requests.

Turn the plugin off with ``pytest -p no:cashsocial`` (or ``addopts``).

Example::

    def test_login(cashsocial_provider):
        site = cashsocial_provider
        session = CashSocialSession(site.app.app_id, site.app.app_secret,
                                    base_url=site.base_url)
        url, _ = session.create_authorization_url()
        callback = site.browser.log_in(url, username="alice", password="wonderland")
        session.fetch_token(authorization_response=callback)
        assert session.userinfo()["preferred_username"] == "alice"
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from authlib_cashsocial.testing import FakeSite

__all__ = ["DEFAULT_REDIRECT_URL", "cashsocial_provider"]

#: The demo app's App Redirect URL unless a test changes ``site.app.redirect_url``.
DEFAULT_REDIRECT_URL = "http://127.0.0.1:5000/auth"


@pytest.fixture
def cashsocial_provider() -> Iterator[FakeSite]:
    """A fresh fake Sngine 4.2 site on a free loopback port, for one test.

    Change ``site.fake.release`` for another server generation, use
    ``site.fake.inject(...)`` for faults and ``site.fake.requests`` to see what
    reached the site. ``site.browser`` keeps one cookie jar per member, so
    logging in as bob after alice signs bob in.
    """
    import contextlib

    from authlib_cashsocial._extras import MissingExtraError

    with contextlib.ExitStack() as stack:
        try:
            from authlib_cashsocial.testing.server import demo_site

            site = stack.enter_context(demo_site(redirect_url=DEFAULT_REDIRECT_URL))
        except MissingExtraError as exc:
            missing = str(exc)
        else:
            missing = ""
        if missing:  # the command line's one line, without a traceback
            pytest.fail(missing, pytrace=False)
        yield site
