"""Errors raised by authlib-cashsocial.

Every error subclasses :class:`CashSocialError`, itself a subclass of Authlib's
``OAuthError``, so ``except OAuthError`` written for other providers still
catches them. Each carries an OAuth-style ``error`` code and a human
``description``; neither ever contains ``app_secret``, ``auth_key`` or
``access_token`` values, and neither does any chained ``__cause__`` or
``__context__``.

The hierarchy::

    authlib OAuthError
    └── CashSocialError
        ├── ConfigurationError          a setting is wrong or missing (a ValueError)
        ├── CrossSiteLoginError         another site asked to start a login
        ├── CallbackError               the callback request cannot be used
        │   ├── MissingAuthKeyError     no ``auth_key`` in the callback
        │   ├── MalformedAuthKeyError   an ``auth_key`` the site never issues
        │   └── PendingLoginError       no pending login matches: forged, replayed
        ├── ProviderError               the site answered with an error of its own
        │   ├── ClientCredentialsError  ``app_id`` or ``app_secret`` rejected
        │   ├── AuthKeyRejectedError    ``auth_key`` unknown, used or replaced
        │   └── AccessTokenInvalidError ``access_token`` unknown
        │       └── AccessTokenExpiredError  ``access_token`` too old
        ├── ProviderUnavailableError    unreachable, HTML page, 5xx
        │   └── ProviderTimeoutError    no answer within ``timeout``
        └── UnexpectedResponseError     an answer of the wrong shape
            └── ProviderRedirectError   a redirect, never followed
"""

from __future__ import annotations

from authlib.integrations.base_client import OAuthError

from ._redact import redact_text

__all__ = [
    "AccessTokenExpiredError",
    "AccessTokenInvalidError",
    "AuthKeyRejectedError",
    "CallbackError",
    "CashSocialError",
    "ClientCredentialsError",
    "ConfigurationError",
    "CrossSiteLoginError",
    "MalformedAuthKeyError",
    "MissingAuthKeyError",
    "PendingLoginError",
    "ProviderError",
    "ProviderRedirectError",
    "ProviderTimeoutError",
    "ProviderUnavailableError",
    "UnexpectedResponseError",
]


class CashSocialError(OAuthError):  # type: ignore[misc]
    """Base of every error this package raises.

    Example::

        try:
            token = client.fetch_token(authorization_response=callback_url)
        except authlib_cashsocial.CashSocialError as exc:
            log.warning("login failed: %s (%s)", exc.error, exc.description)
    """

    error = "cashsocial_error"
    description = "Cash Social login failed."

    def __init__(self, description: str | None = None, *, error: str | None = None):
        # Descriptions may quote URLs or provider text: scrub them once, here.
        if description is not None:
            description = redact_text(description)
        super().__init__(error=error, description=description)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} error={self.error!r}>"


class ConfigurationError(CashSocialError, ValueError):
    """A setting is missing or wrong; ``option`` names the one to fix.

    Example::

        >>> import authlib_cashsocial
        >>> authlib_cashsocial.CashSocialSession("42", "s", base_url="http://example.com")
        Traceback (most recent call last):
        ...
        authlib_cashsocial.errors.ConfigurationError: invalid_configuration: ...
    """

    error = "invalid_configuration"

    def __init__(self, description: str, *, option: str) -> None:
        self.option = option
        super().__init__(description)


class CallbackError(CashSocialError):
    """The request that reached the App Redirect URL cannot be used."""

    error = "invalid_callback"
    description = "The login callback is not usable."


class CrossSiteLoginError(CashSocialError):
    """The browser says another site asked for this login start
    (``Sec-Fetch-Site: cross-site`` or ``same-site``), so no pending login was
    created: ``authorize_redirect`` answers with a page whose link starts the
    login from this site instead. See *Security* in the docs."""

    error = "cross_site_login"
    description = "Another site asked to start this login; none was started."


class MissingAuthKeyError(CallbackError):
    """The callback carries no ``auth_key`` (or an empty one). Nothing was
    sent to the site, and a pending login stays in place."""

    error = "missing_auth_key"
    description = "The callback has no auth_key parameter."


class MalformedAuthKeyError(CallbackError):
    """The callback's ``auth_key`` cannot be one the site issued: too long,
    characters the site never uses, or several different values. Nothing was
    sent to the site, and a pending login stays in place."""

    error = "malformed_auth_key"
    description = "The callback's auth_key is not one the site issues."


class PendingLoginError(CallbackError):
    """No pending login in this browser session matches the callback: it was
    forged, replayed, or arrived after ``login_timeout``. Nothing was sent."""

    error = "mismatching_state"
    description = "No login was started from this browser session, or it expired."


class ProviderError(CashSocialError):
    """The site answered ``{"error": true, "message": ...}``.

    ``message`` keeps the site's text (often translated into the site's
    language), so an unknown error can be shown or logged as the site said it.
    """

    error = "provider_error"

    def __init__(self, message: str, description: str | None = None) -> None:
        self.message = redact_text(message)
        super().__init__(description or f"The site answered: {self.message}")


class ClientCredentialsError(ProviderError):
    """The site rejected the app's credentials; ``option`` says which one
    (``client_id`` for ``app_id``, ``client_secret`` for ``app_secret``)."""

    error = "invalid_client"

    def __init__(self, message: str, *, option: str, description: str) -> None:
        self.option = option
        super().__init__(message, description)


class AuthKeyRejectedError(ProviderError):
    """The site does not know the ``auth_key``: already used, replaced by a
    newer login of the same user, or never issued. Start the login again."""

    error = "invalid_grant"


class AccessTokenInvalidError(ProviderError):
    """The site does not know the ``access_token``. Log the user in again."""

    error = "invalid_token"


class AccessTokenExpiredError(AccessTokenInvalidError):
    """The ``access_token`` is past its lifetime (stock Sngine: 60 seconds).
    There is no refresh token: log the user in again."""

    error = "token_expired"


class ProviderUnavailableError(CashSocialError):
    """The site could not be used right now: no connection, a 5xx status, or
    an HTML page where the API should answer (site offline, maintenance, this
    server's IP banned, or a base URL that is not an Sngine site)."""

    error = "temporarily_unavailable"


class ProviderTimeoutError(ProviderUnavailableError):
    """The site did not answer within ``timeout`` seconds."""

    error = "timeout"


class UnexpectedResponseError(CashSocialError):
    """The site answered with something this package cannot read: not JSON,
    or JSON of the wrong shape (``[]``, a token that is not a string, ...)."""

    error = "invalid_response"


class ProviderRedirectError(UnexpectedResponseError):
    """The site answered an API call with a redirect, which is never followed:
    the credentials would go wherever it points. ``location_origin`` is the
    target's scheme, host and port (never its path or query; empty when the
    ``Location`` cannot be read as a URL). A site that moved (to https, to
    another host) needs a new ``base_url``."""

    error = "unexpected_redirect"

    def __init__(self, description: str, *, location_origin: str) -> None:
        self.location_origin = location_origin
        super().__init__(description)
