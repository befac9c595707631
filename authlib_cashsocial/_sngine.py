"""What every Sngine site has in common: paths, parameter names, answer keys
and the literal messages of its developer API.

Constants only, and no imports from this package: every other module reads
the provider's vocabulary from here (see the docs, *Provider facts*).
"""

from __future__ import annotations

__all__ = [
    "ACCESS_TOKEN_PARAM",
    "API_PATH",
    "APP_ID_PARAM",
    "APP_SECRET_PARAM",
    "AUTHORIZE_PATH",
    "AUTH_KEY_PARAM",
    "DEFAULT_BASE_URL",
    "DEFAULT_SITE_NAME",
    "ERROR_KEY",
    "MESSAGE_EXPIRED_ACCESS_TOKEN",
    "MESSAGE_INVALID_ACCESS_TOKEN",
    "MESSAGE_INVALID_APP_ID",
    "MESSAGE_INVALID_APP_SECRET",
    "MESSAGE_INVALID_AUTH_KEY",
    "MESSAGE_INVALID_PARAMETERS",
    "MESSAGE_KEY",
    "MESSAGE_PREFIX",
    "MESSAGE_UNKNOWN_APP",
    "SECRET_PARAMETERS",
    "TOKEN_PATH",
    "UPLOADS_PATH",
    "USERINFO_KEY",
    "USERINFO_PATH",
]

#: Cash Social Network, the site this package is named after.
DEFAULT_BASE_URL = "https://cs.moneypoolscash.com"
#: Its name, as pages shown to its members call it.
DEFAULT_SITE_NAME = "Cash Social Network"

AUTHORIZE_PATH = "api/oauth"
TOKEN_PATH = "api/authorize"
USERINFO_PATH = "api/get_user_info"
API_PATH = "api/"
UPLOADS_PATH = "content/uploads/"

APP_ID_PARAM = "app_id"
APP_SECRET_PARAM = "app_secret"
AUTH_KEY_PARAM = "auth_key"
ACCESS_TOKEN_PARAM = "access_token"
#: Parameters whose values must never reach a log, an error text or a repr.
SECRET_PARAMETERS = (APP_SECRET_PARAM, AUTH_KEY_PARAM, ACCESS_TOKEN_PARAM)

USERINFO_KEY = "user_info"
ERROR_KEY = "error"
MESSAGE_KEY = "message"

# The literal messages every Sngine release answers (as HTTP 200 bodies),
# exactly as sent (measured on 2.7 and 3.13). An earlier reading of the code
# dropped the prefix: a client recognizes both forms.
MESSAGE_PREFIX = "Bad Request, "
MESSAGE_INVALID_APP_ID = "Bad Request, invalid app_id"
MESSAGE_INVALID_APP_SECRET = "Bad Request, invalid app_secret"
MESSAGE_INVALID_AUTH_KEY = "Bad Request, invalid auth_key"
MESSAGE_INVALID_ACCESS_TOKEN = "Bad Request, invalid access_token"
MESSAGE_EXPIRED_ACCESS_TOKEN = "Bad Request, expired access_token"
MESSAGE_INVALID_PARAMETERS = "Bad Request, invalid parameters"
#: An ``app_id`` that is present but names no app (``999``, ``abc``), in the
#: English of a stock site. It goes through the site's translation table, so
#: another site may answer it in its own language: then it stays the site's
#: message. Every other error is translated too: never match on those.
MESSAGE_UNKNOWN_APP = (
    "We're sorry, but the application you're trying to use doesn't exist "
    "or has been disabled"
)
