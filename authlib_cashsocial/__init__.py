"""Log in with Cash Social Network, or any Sngine site, on Authlib.

Example::

    import authlib_cashsocial

    session = authlib_cashsocial.CashSocialSession(APP_ID, APP_SECRET)
    url, _ = session.create_authorization_url()        # send the user there
    session.fetch_token(authorization_response=callback_url)
    profile = session.userinfo()                        # OpenID Connect claims
"""

from __future__ import annotations

from . import errors
from ._claims import normalize_userinfo
from ._dialect import compliance_fix
from ._redact import redact_access_logs, redact_sentry_event
from ._register import register
from ._sngine import DEFAULT_BASE_URL
from .errors import *  # noqa: F403  (every name in errors.__all__)
from .requests_client import CashSocialSession

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_BASE_URL",
    "CashSocialSession",
    "__version__",
    "compliance_fix",
    "normalize_userinfo",
    "redact_access_logs",
    "redact_sentry_event",
    "register",
]
__all__ += errors.__all__
