"""A Django project with the django-allauth provider and the social-auth
backend side by side (the one Django configuration of the test process, see
``tests.apps._configure_django``), served over real loopback HTTP, and a
browser that logs in through either stack the way a user does: the login
start is a POST with Django's CSRF token in both."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests

from authlib_cashsocial.testing import FakeSite

from .apps import (
    DjangoURLs,
    _configure_django,
    approve_at_site,
    installed_stacks,
    serve_wsgi,
)

STACKS = ("allauth", "social")
LOGIN_PATHS = {
    "allauth": "/accounts/cashsocial/login/",
    "social": "/social/login/cashsocial/",
}
CALLBACK_PATHS = {
    "allauth": "/accounts/cashsocial/login/callback/",
    "social": "/social/complete/cashsocial/",
}


def configure_stack(stack: str, site: FakeSite, **options: Any) -> None:
    """Point ``stack`` at the fake site (allauth's ``SOCIALACCOUNT_PROVIDERS``,
    social-core's ``SOCIAL_AUTH_CASHSOCIAL_*``); ``options`` are the
    package's other options."""
    _configure_django()
    from django.conf import settings
    from django.contrib.auth import get_user_model

    # Each test starts with no user and no pending nonce (accounts and
    # e-mail addresses go with their users).
    get_user_model().objects.all().delete()
    if "social" in installed_stacks():
        from social_django.models import Nonce

        Nonce.objects.all().delete()

    if stack == "allauth":
        settings.SOCIALACCOUNT_PROVIDERS = {
            "cashsocial": {
                "APPS": [
                    {
                        "client_id": site.app.app_id,
                        "secret": site.app.app_secret,
                        "settings": {"base_url": site.base_url, **options},
                    }
                ]
            }
        }
    else:
        settings.SOCIAL_AUTH_CASHSOCIAL_KEY = site.app.app_id
        settings.SOCIAL_AUTH_CASHSOCIAL_SECRET = site.app.app_secret
        settings.SOCIAL_AUTH_CASHSOCIAL_BASE_URL = site.base_url
        settings.SOCIAL_AUTH_CASHSOCIAL_OPTIONS = options


def django_stacks_server():
    """Serve the project; its URLs: ``accounts/`` and ``_allauth/`` (allauth,
    its headless API), ``social/``
    (social-app-django), ``me``, ``csrf``, ``logout``."""
    _configure_django()
    from django.core.handlers.wsgi import WSGIHandler
    from django.urls import clear_url_caches, include, path

    from . import django_hooks

    stacks = installed_stacks()
    DjangoURLs.urlpatterns = [
        *(
            [
                path("accounts/", include("allauth.urls")),
                path("_allauth/", include("allauth.headless.urls")),
            ]
            if "allauth" in stacks
            else []
        ),
        *(
            [path("social/", include("social_django.urls", namespace="social"))]
            if "social" in stacks
            else []
        ),
        path("", django_hooks.home),
        path("me", django_hooks.me),
        path("csrf", django_hooks.csrf),
        path("logout", django_hooks.logout),
    ]
    clear_url_caches()
    return serve_wsgi(WSGIHandler())


def recorded_errors() -> list[BaseException]:
    from . import django_hooks

    return django_hooks.ERRORS


@dataclass
class RunningStack:
    """One stack of the project, and a browser (cookie jar) that uses it."""

    stack: str
    site: FakeSite
    base_url: str
    browser: requests.Session

    @staticmethod
    def callback_path(stack: str) -> str:
        return CALLBACK_PATHS[stack]

    @property
    def login_url(self) -> str:
        return self.base_url + LOGIN_PATHS[self.stack]

    @property
    def callback_url(self) -> str:
        return self.base_url + CALLBACK_PATHS[self.stack]

    def csrf_token(self) -> str:
        return self.browser.get(self.base_url + "/csrf", timeout=10).text

    def start_response(self, *, next_url: str | None = None, **data: str):
        """The login start as the stack's own form sends it: a POST with the
        CSRF token."""
        form = {"csrfmiddlewaretoken": self.csrf_token(), **data}
        if next_url:
            form["next"] = next_url
        return self.browser.post(
            self.login_url, data=form, allow_redirects=False, timeout=10
        )

    def start(self, *, next_url: str | None = None, **data: str) -> str:
        """Start a login; return where the app sends the browser (the site)."""
        resp = self.start_response(next_url=next_url, **data)
        assert resp.status_code == 302, resp.text
        return resp.headers["Location"]

    def at_site(self, login_url: str, user: str = "alice") -> str:
        return approve_at_site(self.site, login_url, user)

    def callback(self, url: str, **kwargs: Any) -> requests.Response:
        return self.browser.get(url, allow_redirects=False, timeout=10, **kwargs)

    def login(self, user: str = "alice", **kwargs: Any) -> requests.Response:
        return self.callback(self.at_site(self.start(**kwargs), user))

    def me(self) -> Any:
        return self.browser.get(self.base_url + "/me", timeout=10).json()

    def logout(self) -> None:
        self.browser.get(self.base_url + "/logout", timeout=10)

    def exchanges(self) -> int:
        return len(self.site.fake.requests_to("api/authorize"))
