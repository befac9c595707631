"""allauth's own provider test harness (``OAuth2TestsMixin`` of
``allauth.socialaccount.tests``), adapted to ``auth_key``: its login,
token and error tests, step by step as the mixin runs them (Django's test
client, ``reverse(provider.id + "_login")``, ``SOCIALACCOUNT_AUTO_SIGNUP``,
``STORE_TOKENS``), against the fake site over loopback instead of mocked
responses. The harness itself is not importable: allauth's releases ship
without their tests.

The mixin's other tests do not apply to a Sngine site, and say why here:

* the PKCE tests (``test_provider_has_pkce_params``,
  ``test_login_with_pkce_enabled`` / ``_disabled``): the site has no PKCE;
  ``OAUTH_PKCE_ENABLED`` is refused (see ``test_django_stacks``);
* ``login()``'s ``redirect_uri`` assertion: the site's login link takes
  ``app_id`` alone, and the site returns to the App Redirect URL registered
  with the app;
* ``get_complete_parameters``'s ``state``: the site echoes none; the pending
  login is found in the browser's session instead;
* ``test_account_refresh_token_saved_next_login``: the site issues no
  refresh token (``token_secret`` stays empty).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from authlib_cashsocial.testing import FakeSite

from .django_stacks import RunningStack

pytestmark = pytest.mark.parametrize("stack", ["allauth"])


def harness_login(app: RunningStack, client: Any, process: str = "login") -> Any:
    """The mixin's ``login()``: POST the login view, follow the redirect to
    the site (here: sign in there as alice), GET the callback."""
    from django.urls import reverse

    resp = client.post(reverse("cashsocial_login") + f"?process={process}")
    assert resp.status_code == 302
    callback = urlsplit(app.at_site(resp["location"]))
    complete_url = reverse("cashsocial_callback")
    assert callback.path == complete_url
    return client.get(complete_url, parse_qs(callback.query))


def test_login(site: FakeSite, make_stack):
    """The mixin's ``test_login``: with ``SOCIALACCOUNT_AUTO_SIGNUP=False`` a
    new user lands on allauth's social signup form."""
    app = make_stack()
    from django.test import Client, override_settings
    from django.urls import reverse

    with override_settings(SOCIALACCOUNT_AUTO_SIGNUP=False):
        resp = harness_login(app, Client())
    assert resp.status_code == 302
    assert resp["location"] == reverse("socialaccount_signup")


def test_account_tokens(site: FakeSite, make_stack):
    """The mixin's ``test_account_tokens``: a logged-in user connects the
    site's account (``process=connect``) with ``STORE_TOKENS``; the account
    and its provider account answer, and the stored token is the site's."""
    app = make_stack()
    from allauth.account.models import EmailAddress
    from allauth.socialaccount.models import SocialAccount
    from django.contrib.auth import get_user_model
    from django.test import Client, override_settings

    user = get_user_model().objects.create_user("user", "user@example.com", "test")
    EmailAddress.objects.create(
        user=user, email="user@example.com", primary=True, verified=True
    )
    client = Client()
    client.force_login(user)
    with override_settings(SOCIALACCOUNT_STORE_TOKENS=True):
        harness_login(app, client, process="connect")
    account = SocialAccount.objects.filter(user=user, provider="cashsocial").get()
    provider_account = account.get_provider_account()
    assert provider_account.get_avatar_url().startswith(site.base_url)
    assert provider_account.get_profile_url() == f"{site.base_url}/alice"
    assert provider_account.get_brand() == {
        "id": "cashsocial",
        "name": "Cash Social Network",
    }
    assert provider_account.to_str() == "alice"
    token = account.socialtoken_set.get()
    issued = site.fake.requests_to("api/get_user_info")[-1]
    assert token.token == issued.param("access_token")
    assert token.token_secret == ""  # the site issues no refresh token


def test_authentication_error(site: FakeSite, make_stack):
    """The mixin's ``test_authentication_error``: a bare callback renders
    allauth's authentication error template."""
    make_stack()
    from django.test import Client
    from django.urls import reverse

    resp = Client().get(reverse("cashsocial_callback"))
    assert resp.status_code == 401
    assert "Third-Party Login Failure" in resp.content.decode()
