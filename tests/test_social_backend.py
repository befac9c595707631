"""The python-social-auth backend in social-core's own conventions, end to end
over real loopback HTTP (browser → Django project → fake site): what an
existing user keeps, ``ID_KEY``, errors inside social-core's families,
``title`` and social-core's HTTP settings, and two Sngine sites side by side."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from authlib_cashsocial.testing import FakeSite

from .django_stacks import RunningStack, recorded_errors

pytestmark = pytest.mark.parametrize("stack", ["social"])


@pytest.fixture
def social_settings() -> Iterator[Any]:
    """Set Django settings for one test (``social_settings(NAME=value)``),
    put back as they were afterwards."""
    from django.conf import settings

    missing = object()
    saved: dict[str, Any] = {}

    def set_settings(**values: Any) -> None:
        for name, value in values.items():
            saved.setdefault(name, getattr(settings, name, missing))
            setattr(settings, name, value)

    yield set_settings
    for name, value in saved.items():
        if value is missing:
            delattr(settings, name)
        else:
            setattr(settings, name, value)


def last_error() -> Any:
    return recorded_errors()[-1]


def user_model() -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model()


# ------------------------------------------------------------------ 24.1


@pytest.mark.parametrize("firstlast_from_full", [True, False])
def test_an_existing_users_names_survive_a_login(
    site: FakeSite, make_stack, social_settings, firstlast_from_full: bool
):
    """social-core 7 writes every detail that is not None: a name the site
    does not give must be None, or each login blanks the user's own."""
    app: RunningStack = make_stack()
    social_settings(SOCIAL_AUTH_FIRSTLAST_FROM_FULL=firstlast_from_full)
    if not firstlast_from_full:
        site.users["bob"].firstname = None  # no name at all at the site
    assert app.login("bob").status_code == 302
    user = user_model().objects.get(username="bob")
    user.first_name, user.last_name = "Robert", "Builder"  # set in the app
    user.save()
    app.logout()
    assert app.login("bob").status_code == 302
    user.refresh_from_db()
    expected_first = "Bob" if firstlast_from_full else "Robert"
    assert (user.first_name, user.last_name) == (expected_first, "Builder")
    assert user.email == "bob@example.org"


# ------------------------------------------------------------------ 24.2


@pytest.mark.parametrize(
    ("id_key", "uid"), [(None, "101"), ("sub", "101"), ("preferred_username", "alice")]
)
def test_id_key_setting_is_honoured(
    site: FakeSite, make_stack, social_settings, id_key: str | None, uid: str
):
    app = make_stack()
    if id_key is not None:
        social_settings(SOCIAL_AUTH_CASHSOCIAL_ID_KEY=id_key)
    assert app.login().status_code == 302
    assert app.me()["social"]["uid"] == uid


def test_id_key_of_a_missing_claim_is_social_cores_error(
    site: FakeSite, make_stack, social_settings
):
    app = make_stack()
    social_settings(SOCIAL_AUTH_CASHSOCIAL_ID_KEY="website")  # bob has none
    done = app.login("bob")
    assert done.status_code == 502, done.text
    from social_core.exceptions import AuthResponseError

    error = last_error()
    assert isinstance(error, AuthResponseError)
    assert (error.code, error.claim) == ("missing_claim", "website")
    assert app.me() is None
