"""The ``cashsocial`` provider: a plain allauth ``Provider`` (the site's
callback carries ``auth_key``, not ``code``, so allauth's OAuth 2 views do not
fit) with its own login and callback views, as allauth's Telegram provider.

Configuration, in allauth's own places::

    SOCIALACCOUNT_PROVIDERS = {
        "cashsocial": {
            "APPS": [{"client_id": "APP_ID", "secret": "APP_SECRET",
                      "settings": {"base_url": "https://cs.moneypoolscash.com"}}],
        },
    }

(or a ``SocialApp`` row whose ``settings`` hold the same options). The
``settings`` take the options of the *Configuration* page (``base_url``,
``token_method``, ``timeout``, ``login_timeout``, ...); an unknown one is a
:class:`~authlib_cashsocial.errors.ConfigurationError`. So are allauth's
OAuth 2 settings ``SCOPE``, ``AUTH_PARAMS`` and ``OAUTH_PKCE_ENABLED``: a
Sngine site has no scopes, takes no parameters and has no PKCE.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from allauth.socialaccount.providers.base import Provider, ProviderAccount
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from .._claims import RAW_CLAIM, normalize_userinfo
from .._client import without_traceback
from .._config import allauth_options
from .._login_state import PendingRecord
from .._stack_login import StackLogin, login_for
from ..errors import CashSocialError, ConfigurationError

if TYPE_CHECKING:  # allauth's models load once Django is set up
    from allauth.account.models import EmailAddress
    from allauth.socialaccount.models import SocialToken

__all__ = ["PENDING_KEY", "STATE_ID", "CashSocialAccount", "CashSocialProvider"]

#: The id under which the pending login is stashed in allauth's state
#: storage (the site echoes no state, so there is one per browser session:
#: a new login start replaces the older one, as the site replaces keys).
STATE_ID = "cashsocial-pending"
#: The key of the pending login's record inside allauth's stashed state.
PENDING_KEY = "cashsocial"
#: allauth's OAuth 2 provider settings, which a Sngine site has no use for.
_OAUTH2_ONLY = {
    "SCOPE": "a Sngine site has no scopes: the app's permissions are set at the site",
    "AUTH_PARAMS": "the site's login link takes app_id alone",
    "OAUTH_PKCE_ENABLED": "the site has no PKCE (its auth_key is single use)",
}


class CashSocialAccount(ProviderAccount):  # type: ignore[misc]
    """A connected account; ``extra_data`` is the site's ``user_info`` row."""

    def _claims(self) -> dict[str, Any]:
        provider = self.account.get_provider()
        try:
            base_url = provider.stack_login().settings.endpoints
            return dict(normalize_userinfo(self.account.extra_data, base_url=base_url))
        except CashSocialError:  # a row without user_id, an app's bad settings
            return {}

    def get_profile_url(self) -> str | None:
        return self._claims().get("profile")

    def get_avatar_url(self) -> str | None:
        return self._claims().get("picture")

    def to_str(self) -> str:
        row = self.account.extra_data
        name = row.get("user_name") if isinstance(row, dict) else None
        return str(name) if name else str(super().to_str())


class CashSocialProvider(Provider):  # type: ignore[misc]
    """Log in with Cash Social Network (any Sngine site)."""

    id = "cashsocial"
    name = "Cash Social Network"
    account_class = CashSocialAccount
    supports_redirect = True

    def stack_login(self) -> StackLogin:
        """This app's settings (validated, with SOCIALACCOUNT_PROVIDERS'
        keys: a key allauth would drop is an error), learned token method
        and pool. allauth's OAuth 2 settings (``SCOPE``, ``AUTH_PARAMS``,
        ``OAUTH_PKCE_ENABLED``) are refused with why: they do nothing here."""
        for key, why in _OAUTH2_ONLY.items():
            if key in self.get_settings():
                raise ConfigurationError(
                    f"SOCIALACCOUNT_PROVIDERS['cashsocial'][{key!r}] has no effect: "
                    f"{why}. Remove it.",
                    option=key,
                )
        try:
            return login_for(*allauth_options(self.id, self.get_settings(), self.app))
        except ConfigurationError as exc:  # found at a login start, in a request
            # The frames below hold the secret (the settings, login_for's
            # arguments): error trackers print frame locals.
            failure = without_traceback(exc)
        raise failure

    def social_token(self, token: dict[str, Any]) -> SocialToken:
        """allauth's ``SocialToken`` for the exchange's token (stored when
        ``SOCIALACCOUNT_STORE_TOKENS`` is on; ``sociallogin.token`` either
        way). It expires ``token_lifetime`` seconds after the login and
        cannot be refreshed."""
        from allauth.socialaccount.models import SocialToken

        social_token = SocialToken(token=token["access_token"])
        expires_at = token.get("expires_at")
        if isinstance(expires_at, (int, float)):
            social_token.expires_at = datetime.fromtimestamp(expires_at, timezone.utc)
        if self.app.pk:
            social_token.app = self.app
        return social_token

    @property
    def state_id(self) -> str:
        """The id of this app's pending login in allauth's state storage:
        :data:`STATE_ID`, with the app's ``provider_id`` when it has one (one
        pending login per site)."""
        sub_id = self.sub_id
        return STATE_ID if sub_id == self.id else f"{STATE_ID}:{sub_id}"

    def get_login_url(self, request: HttpRequest, **kwargs: Any) -> str:
        """The login view of this app (``cashsocial/<provider_id>/login/``
        when the app has a ``provider_id``, as allauth's provider instances)."""
        provider_id = self.app.provider_id
        url = reverse(
            "cashsocial_login",
            kwargs={"provider_id": provider_id} if provider_id else None,
        )
        return f"{url}?{urlencode(kwargs)}" if kwargs else url

    def redirect(
        self,
        request: HttpRequest,
        process: Any,
        next_url: str | None = None,
        data: Any = None,
        **kwargs: Any,
    ) -> HttpResponse:
        """Stash a pending login (allauth's state storage, under
        :data:`STATE_ID`) and send the browser to the site's login link."""
        login = self.stack_login()
        kwargs.pop("state_id", None)
        kwargs[PENDING_KEY] = PendingRecord(time.time()).as_dict()
        self.stash_redirect_state(
            request, process, next_url, data, state_id=self.state_id, **kwargs
        )
        endpoints = login.settings.endpoints
        return HttpResponseRedirect(
            endpoints.authorization_url(login.settings.client_id)
        )

    def extract_uid(self, data: dict[str, Any]) -> str:
        return str(data["sub"])

    def extract_email_addresses(self, data: dict[str, Any]) -> list[EmailAddress]:
        """The site's e-mail address, never marked verified: the site does
        not verify it for this purpose (set allauth's ``VERIFIED_EMAIL`` for
        this provider if you decide to trust it)."""
        from allauth.account.models import EmailAddress

        email = data.get("email")
        if not email:
            return []
        return [EmailAddress(email=email, verified=False, primary=True)]

    def extract_common_fields(self, data: dict[str, Any]) -> dict[str, Any]:
        """The user's fields (the e-mail as :meth:`extract_email_addresses`
        says)."""
        fields = {
            "username": data.get("preferred_username"),
            "email": data.get("email"),
            "first_name": data.get("given_name"),
            "last_name": data.get("family_name"),
            "name": data.get("name"),
        }
        return {k: v for k, v in fields.items() if v}

    def extract_extra_data(self, data: dict[str, Any]) -> dict[str, Any]:
        """The site's raw ``user_info`` row, as sent."""
        raw = data.get(RAW_CLAIM)
        return dict(raw) if isinstance(raw, dict) else {}


provider_classes = [CashSocialProvider]
