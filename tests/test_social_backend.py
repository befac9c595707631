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


# ------------------------------------------------------------------ 24.3


def test_a_configuration_error_at_login_start_is_social_cores(
    site: FakeSite, make_stack
):
    from social_core.exceptions import AuthConfigurationError

    app = make_stack(token_method="bogus")
    page = app.start_response()
    assert page.status_code == 500, page.text
    assert "Authentication failed" in page.text  # social-app-django's page
    error = last_error()
    assert isinstance(error, AuthConfigurationError)
    assert (error.code, error.stage) == ("invalid_setting", "begin")
    assert error.context["cashsocial_error"] == "invalid_configuration"
    assert error.parameter == "OPTIONS"
    assert "token_method" in error.detail


def test_options_not_a_dict_is_social_cores_error(site: FakeSite, make_stack):
    from social_core.exceptions import AuthConfigurationError

    app = make_stack()
    from django.conf import settings

    settings.SOCIAL_AUTH_CASHSOCIAL_OPTIONS = ["timeout"]
    page = app.start_response()
    assert page.status_code == 500, page.text
    assert isinstance(last_error(), AuthConfigurationError)


class _NonceWithoutConsume:
    """A nonce storage written before social-core had ``consume`` (``use``,
    ``get`` and ``delete`` only)."""

    @classmethod
    def use(cls, server_url: str, timestamp: int, salt: str) -> Any:
        from social_django.models import Nonce

        return Nonce.use(server_url, timestamp, salt)

    @classmethod
    def consume(cls, server_url: str, timestamp: int, salt: str) -> bool:
        from social_core.storage import NonceMixin

        return bool(NonceMixin.consume(server_url, timestamp, salt))


def _storage_without_consume() -> Any:
    from social_django.models import DjangoStorage

    return type(
        "StorageWithoutConsume", (DjangoStorage,), {"nonce": _NonceWithoutConsume}
    )


def _with_views_on_a_storage_without_consume() -> None:
    """``/legacy/login/<backend>/`` and ``/legacy/complete/<backend>/``:
    social-app-django's views on that storage."""
    from django.urls import clear_url_caches, path
    from social_core.actions import do_auth, do_complete
    from social_django.strategy import DjangoStrategy
    from social_django.utils import psa
    from social_django.views import _do_login

    from .apps import DjangoURLs

    def strategy(request: Any = None) -> Any:
        return DjangoStrategy(_storage_without_consume(), request)

    @psa("/legacy/complete/cashsocial/", load_strategy=strategy)
    def begin(request: Any, backend: str) -> Any:
        return do_auth(request.backend, redirect_name="next")

    @psa("/legacy/complete/cashsocial/", load_strategy=strategy)
    def complete(request: Any, backend: str) -> Any:
        return do_complete(
            request.backend, _do_login, user=request.user, redirect_name="next"
        )

    DjangoURLs.urlpatterns = [
        path("legacy/login/<str:backend>/", begin),
        path("legacy/complete/<str:backend>/", complete),
        *DjangoURLs.urlpatterns,
    ]
    clear_url_caches()


def test_a_nonce_storage_without_consume_is_a_configuration_error(
    site: FakeSite, make_stack
):
    """Through SocialAuthExceptionMiddleware: social-app-django's error page
    (500, a configuration error), nothing sent to the site."""
    from social_core.exceptions import AuthConfigurationError

    app = make_stack()
    _with_views_on_a_storage_without_consume()
    start = app.browser.get(
        app.base_url + "/legacy/login/cashsocial/", allow_redirects=False, timeout=10
    )
    assert start.status_code == 302, start.text
    callback = app.at_site(start.headers["Location"])
    legacy = callback.replace("/social/complete/", "/legacy/complete/")
    page = app.callback(legacy)
    assert page.status_code == 500, page.text
    assert "Authentication failed" in page.text
    error = last_error()
    assert isinstance(error, AuthConfigurationError)
    assert (error.code, error.parameter) == ("invalid_setting", "storage.nonce.consume")
    assert error.__cause__ is None
    assert error.__context__ is None
    assert app.exchanges() == 0
    assert app.me() is None
