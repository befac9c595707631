"""Every provider fault of the fault matrix, through the django-allauth
provider and the social-auth backend: the stack's own error page (allauth's
authentication error; social-app-django's error page with the status of the
mapped exception family) for the documented error, the project stays up and
the next login works, and no secret reaches a log record or the page."""

from __future__ import annotations

import pytest

from authlib_cashsocial import ClientCredentialsError
from authlib_cashsocial.testing import FakeSite

from .django_stacks import recorded_errors
from .test_fault_matrix import CASES, _assert_clean, callback_under_fault, timeout_for

# social-app-django's statuses for the families social.social_error maps to.
SOCIAL_STATUS = {
    "invalid_client": 500,  # a misconfigured app: AuthConfigurationError
    "invalid_grant": 403,
    "invalid_token": 403,
    "token_expired": 403,
    "timeout": 504,
    "temporarily_unavailable": 503,
    "provider_error": 503,
    "invalid_response": 502,
    "unexpected_redirect": 502,
}


@pytest.mark.parametrize("name", CASES)
def test_fault_django_stack(
    site: FakeSite, make_stack, stack: str, all_logs, name: str
):
    case = CASES[name]
    app = make_stack(timeout=timeout_for(case))
    resp, peak = callback_under_fault(site, app, case)
    error = recorded_errors()[-1]
    if stack == "allauth":
        assert resp.status_code == 401, resp.text
        assert "Third-Party Login Failure" in resp.text
        assert type(error) is case.expected
    else:
        expected = SOCIAL_STATUS[case.expected.error]
        assert resp.status_code == expected, resp.text
        assert "Authentication failed" in resp.text
        assert error.context["cashsocial_error"] == case.expected.error
        if case.expected is ClientCredentialsError:
            assert error.code == "invalid_setting"
    app.login()  # the project stayed up, and the next login works
    assert app.me()[stack]["uid"] == "101"
    _assert_clean(site, all_logs, resp.text, peak, browser_to=app.base_url)
