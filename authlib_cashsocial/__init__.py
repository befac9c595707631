"""Log in with Cash Social Network, or any Sngine site, on Authlib.

Example::

    import authlib_cashsocial

    session = authlib_cashsocial.CashSocialSession(APP_ID, APP_SECRET)
    url, _ = session.create_authorization_url()        # send the user there
    session.fetch_token(authorization_response=callback_url)
    profile = session.userinfo()                        # OpenID Connect claims
"""

from __future__ import annotations

from .compliance import compliance_fix
from .errors import (
    AccessTokenExpiredError,
    AccessTokenInvalidError,
    AuthKeyRejectedError,
    CallbackError,
    CashSocialError,
    ClientCredentialsError,
    ConfigurationError,
    MissingAuthKeyError,
    PendingLoginError,
    ProviderError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    UnexpectedResponseError,
)
from .provider import DEFAULT_BASE_URL, Endpoints, Settings
from .remote_app import register
from .requests_client import CashSocialSession
from .userinfo import normalize_userinfo

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_BASE_URL",
    "AccessTokenExpiredError",
    "AccessTokenInvalidError",
    "AuthKeyRejectedError",
    "CallbackError",
    "CashSocialError",
    "CashSocialSession",
    "ClientCredentialsError",
    "ConfigurationError",
    "Endpoints",
    "MissingAuthKeyError",
    "PendingLoginError",
    "ProviderError",
    "ProviderTimeoutError",
    "ProviderUnavailableError",
    "Settings",
    "UnexpectedResponseError",
    "__version__",
    "compliance_fix",
    "normalize_userinfo",
    "register",
]
