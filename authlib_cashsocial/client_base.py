"""What the requests and httpx2 clients share, so each stays a thin subclass
of Authlib's own session class."""

from __future__ import annotations

import secrets
from typing import Any

from authlib.common.urls import add_params_to_uri

from .compliance import ComplianceFix, auth_key_from_callback, validate_auth_key
from .errors import AccessTokenInvalidError
from .provider import APP_ID_PARAM, Settings

__all__ = ["CLIENT_OPTIONS", "CashSocialClientMixin"]

#: Keyword options every client takes besides its HTTP library's own.
CLIENT_OPTIONS = (
    "app_id",
    "app_secret",
    "base_url",
    "uploads_url",
    "token_method",
    "token_lifetime",
    "timeout",
    "max_response_size",
    "allow_insecure",
)


class CashSocialClientMixin:
    """Sngine behaviour for an Authlib OAuth 2 client class.

    A subclass's ``__init__`` gets a
    :class:`~authlib_cashsocial.compliance.ComplianceFix` from
    ``_compliance_from()``, passes ``_authlib_kwargs()`` to Authlib's
    constructor, then applies the fix to itself.
    """

    compliance: ComplianceFix
    client_id: str
    token: Any
    leeway: int
    session: Any

    def _compliance_from(
        self, client_id: object, client_secret: object, kwargs: dict[str, Any]
    ) -> ComplianceFix:
        """Pop our options from ``kwargs`` (the rest is the library's)."""
        # Authlib's __del__ deletes self.session: it must exist even when a
        # bad option stops __init__ before Authlib's own __init__ runs.
        self.session = None
        fix = kwargs.pop("compliance", None)
        options = {name: kwargs.pop(name) for name in CLIENT_OPTIONS if name in kwargs}
        if isinstance(fix, ComplianceFix):
            return fix
        settings = Settings.from_options(
            client_id=client_id, client_secret=client_secret, **options
        )
        return ComplianceFix(settings)

    @staticmethod
    def _authlib_kwargs(fix: ComplianceFix, kwargs: dict[str, Any]) -> dict[str, Any]:
        # Authlib app classes pass their own endpoints; ours come from settings.
        for name in ("token_endpoint_auth_method", "token_placement"):
            kwargs.pop(name, None)
        kwargs.setdefault("leeway", 0)
        return {
            "client_id": fix.settings.client_id,
            "client_secret": fix.settings.client_secret,
            "token_endpoint_auth_method": fix.auth_method_name,
            "token_placement": "uri",
            **kwargs,
        }

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.compliance.settings.describe()}>"

    @property
    def userinfo_url(self) -> str:
        return self.compliance.settings.endpoints.userinfo_url

    def create_authorization_url(
        self, url: str | None = None, state: str | None = None, **kwargs: Any
    ) -> tuple[str, str]:
        """The login link, exactly ``{base}/api/oauth?app_id=…``, and a state.

        The site reads only ``app_id``: it sends the user back to the App
        Redirect URL registered with the app and echoes no ``state``, so
        ``redirect_uri``, ``scope`` and the like are ignored. The returned
        state is for your own records of the pending login.
        """
        endpoint = url or self.compliance.settings.endpoints.authorize_url
        link = add_params_to_uri(endpoint, [(APP_ID_PARAM, self.client_id)])
        return link, state or secrets.token_urlsafe(24)

    def _exchange_params(
        self,
        url: str | None,
        auth_key: str | None,
        authorization_response: str | None,
        kwargs: dict[str, Any],
    ) -> dict[str, Any]:
        """Authlib ``fetch_token`` arguments for one exchange; the key is
        checked before anything is sent."""
        code = kwargs.pop("code", None)
        kwargs.pop("method", None)  # the compliance fix picks GET or POST
        if auth_key is None and code is not None:
            auth_key = code
        if auth_key is not None:
            key = validate_auth_key(auth_key)
        else:
            key = auth_key_from_callback(authorization_response or "")
        return {
            "url": url or self.compliance.settings.endpoints.token_url,
            "grant_type": "authorization_code",
            "code": key,
            **kwargs,
        }

    def _check_token(self, *, withhold_token: bool, default_auth: bool) -> None:
        """Fail before sending when the request needs a token we lack."""
        if withhold_token or not default_auth:
            return
        if not self.token:
            raise AccessTokenInvalidError(
                "", "No access token yet: call fetch_token() first."
            )
        if self.token.is_expired(leeway=self.leeway):
            raise self.compliance.expired_token_error()
