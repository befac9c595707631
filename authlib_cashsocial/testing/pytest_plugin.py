"""pytest plugin (loaded through the ``pytest11`` entry point): fixtures that
serve the fake Sngine site for your own tests.

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

import pytest

from .server import FakeSite

__all__ = ["FakeSite", "cashsocial_provider"]

#: The demo app's App Redirect URL unless a test changes ``site.app.redirect_url``.
DEFAULT_REDIRECT_URL = "http://127.0.0.1:5000/auth"


@pytest.fixture
def cashsocial_provider() -> Iterator[FakeSite]:
    """A fresh fake Sngine 4.2 site on a free loopback port, for one test.

    Change ``site.fake.release`` for another server generation, use
    ``site.fake.inject(...)`` for faults and ``site.fake.requests`` to see what
    reached the site.
    """
    from .server import demo_site

    with demo_site(redirect_url=DEFAULT_REDIRECT_URL) as site:
        yield site
