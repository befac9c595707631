"""The python-social-auth backend through social-core's own backend test
harness (``social_core.tests.backends.base.BaseBackendTest``): its login
test and its partial-pipeline test, as social-core runs them for its own
backends, against the fake site over loopback.

The harness mocks HTTP with ``responses`` (started in its ``setUp``, for
every requests session of the process). Here that mocking lets the
backend's traffic through to the fake site (``responses.add_passthru``):
the exchange and the user info are real requests over loopback, and only
the harness's own pipeline pages (``/password``, ``/slug``) stay mocked, as
they are for every backend social-core tests.
"""

from __future__ import annotations

import unittest
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from authlib_cashsocial.testing import FakeSite

from .apps import approve_at_site

pytest.importorskip("social_core", reason="the social extra is not installed here")


def harness_test_case(site: FakeSite) -> type[unittest.TestCase]:
    """social-core's ``BaseBackendTest`` for this backend and ``site``."""
    import responses

    from .social_core_harness import load_harness

    load_harness()
    from social_core.tests.backends.base import (  # type: ignore[import-not-found]
        BaseBackendTest,
    )

    class CashSocialBackendTest(BaseBackendTest):  # type: ignore[misc]
        backend_path = "authlib_cashsocial.social.CashSocialAuth"
        expected_username = "alice"
        raw_complete_url = "/complete/{0}/"

        def setUp(self) -> None:
            super().setUp()
            responses.add_passthru(site.base_url)

        def extra_settings(self) -> dict[str, Any]:
            return {
                "SOCIAL_AUTH_CASHSOCIAL_KEY": site.app.app_id,
                "SOCIAL_AUTH_CASHSOCIAL_SECRET": site.app.app_secret,
                "SOCIAL_AUTH_CASHSOCIAL_BASE_URL": site.base_url,
            }

        def do_start(self) -> Any:
            """The browser's round trip: the login link, the site's sign-in
            and consent pages, the callback's query as the request data."""
            start_url = self.backend.start().url
            assert start_url == f"{site.base_url}/api/oauth?app_id={site.app.app_id}"
            callback = approve_at_site(site, start_url)
            self.strategy.set_request_data(
                dict(parse_qsl(urlsplit(callback).query)), self.backend
            )
            return self.backend.complete()

        def test_login(self) -> None:
            user = self.do_login()
            assert user.social[0].uid == "101"
            assert len(site.fake.requests_to("api/authorize")) == 1

        def test_partial_pipeline(self) -> None:
            self.do_partial_pipeline()
            assert len(site.fake.requests_to("api/get_user_info")) == 1

    return CashSocialBackendTest


@pytest.fixture
def fresh_backend_cache() -> Any:
    """The harness loads its two backends into social-core's process-wide
    cache; empty it afterwards, so that the next strategy loads its own."""
    from social_core.backends.utils import load_backends

    yield
    load_backends((), force_load=True)


@pytest.mark.parametrize("name", ["test_login", "test_partial_pipeline"])
def test_social_cores_backend_harness(site: FakeSite, fresh_backend_cache, name: str):
    case = harness_test_case(site)(name)
    result = unittest.TestResult()
    case.run(result)
    problems = [text for _test, text in (*result.errors, *result.failures)]
    assert not problems, "\n".join(problems)
    assert result.testsRun == 1
