"""Reading the site's answers: Sngine's HTTP-200 errors, HTML pages where
JSON should be, answers of the wrong shape, and transport failures, each
mapped to one typed error from :mod:`authlib_cashsocial.errors`.

No error text ever quotes an answer's body or a request URL: only the
status, content type and size, or the exception's class name.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Protocol

from ._sngine import (
    ACCESS_TOKEN_PARAM,
    ERROR_KEY,
    MESSAGE_EXPIRED_ACCESS_TOKEN,
    MESSAGE_INVALID_ACCESS_TOKEN,
    MESSAGE_INVALID_APP_ID,
    MESSAGE_INVALID_APP_SECRET,
    MESSAGE_INVALID_AUTH_KEY,
    MESSAGE_INVALID_PARAMETERS,
    MESSAGE_KEY,
    MESSAGE_PREFIX,
    MESSAGE_UNKNOWN_APP,
)
from .errors import (
    AccessTokenExpiredError,
    AccessTokenInvalidError,
    AuthKeyRejectedError,
    CashSocialError,
    ClientCredentialsError,
    ProviderError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    UnexpectedResponseError,
)

__all__ = [
    "HTTPResponse",
    "access_token_from",
    "error_from_message",
    "is_app_id_unread",
    "read_api_response",
    "transport_error",
]

_MAX_ACCESS_TOKEN_LENGTH = 512
_FALSE_FLAGS = frozenset({"", "0", "false", "no", "off"})


class HTTPResponse(Protocol):
    """What this module reads of a requests or httpx2 response."""

    @property
    def status_code(self) -> int: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    @property
    def content(self) -> bytes: ...


def _is_error_flag(value: object) -> bool:
    # PHP truthiness, as the site means it: "0" and "" are false, "1"/"yes" true.
    if isinstance(value, str):
        return value.strip().lower() not in _FALSE_FLAGS
    return bool(value)


def _bare(message: str) -> str:
    """A literal message without the ``Bad Request, `` prefix, lower-cased:
    real servers send the prefix on each one, an earlier reading of the code
    had it on ``invalid app_id`` only, so both forms are recognized."""
    key = message.lower()
    prefix = MESSAGE_PREFIX.lower()
    return key[len(prefix) :].lstrip() if key.startswith(prefix) else key


_BARE_INVALID_APP_ID = _bare(MESSAGE_INVALID_APP_ID)


def error_from_message(message: object) -> ProviderError:
    """The typed error for an ``{"error": true, "message": …}`` answer.

    The literal messages of every Sngine release get their own class, with
    or without their ``Bad Request, `` prefix; so does the English text for
    an unknown ``app_id``. Any other message (often translated) becomes a
    :class:`~authlib_cashsocial.errors.ProviderError` that keeps it.

    Example::

        >>> type(error_from_message("Bad Request, expired access_token")).__name__
        'AccessTokenExpiredError'
        >>> type(error_from_message("expired access_token")).__name__
        'AccessTokenExpiredError'
    """
    if isinstance(message, (str, int, float)) and not isinstance(message, bool):
        text = str(message).strip()[:300]
    else:
        text = ""
    key = _bare(text)
    if key == _BARE_INVALID_APP_ID:
        return ClientCredentialsError(
            text,
            option="client_id",
            description="The site rejected the app_id: check client_id (the "
            "app_id from the site's app dashboard) and that base_url is that "
            "site.",
        )
    if key == MESSAGE_UNKNOWN_APP.lower():
        return ClientCredentialsError(
            text,
            option="client_id",
            description="The site has no app with this app_id: check client_id "
            "(the app_id from the site's app dashboard) and that base_url is the "
            "site the app was registered on.",
        )
    if key == _bare(MESSAGE_INVALID_APP_SECRET):
        return ClientCredentialsError(
            text,
            option="client_secret",
            description="The site rejected the app_secret; check client_secret "
            "(the app_secret from the site's app dashboard).",
        )
    if key == _bare(MESSAGE_INVALID_AUTH_KEY):
        return AuthKeyRejectedError(
            text,
            "The site rejected the auth_key, which was already used, replaced by a "
            "newer login of the same user, or never issued. Start the login again.",
        )
    if key == _bare(MESSAGE_EXPIRED_ACCESS_TOKEN):
        return AccessTokenExpiredError(
            text,
            "The access token has expired (stock Sngine sites keep tokens for 60 "
            "seconds, whatever their page says). Log the user in again.",
        )
    if key == _bare(MESSAGE_INVALID_ACCESS_TOKEN):
        return AccessTokenInvalidError(
            text, "The site does not know this access token. Log the user in again."
        )
    if key == _bare(MESSAGE_INVALID_PARAMETERS):
        return ProviderError(
            text,
            "The site answered 'invalid parameters': the API path is unknown "
            "there. Check that base_url is the site's root address.",
        )
    if not text:
        return ProviderError("", "The site reported an error without a message.")
    return ProviderError(text)


def is_app_id_unread(error: ProviderError) -> bool:
    """True for ``Bad Request, invalid app_id``: the server found no
    ``app_id`` where it reads (the query before 4.0.4, the form body from
    4.0.4), so the other place may work. An unknown ``app_id`` was read:
    sending it elsewhere changes nothing."""
    return _bare(error.message) == _BARE_INVALID_APP_ID


def _describe(resp: HTTPResponse) -> str:
    content_type = resp.headers.get("content-type") or "no content type"
    kind = content_type.split(";")[0]
    return f"HTTP {resp.status_code}, {kind}, {len(resp.content)} bytes"


def _looks_like_html(resp: HTTPResponse) -> bool:
    content_type = (resp.headers.get("content-type") or "").lower()
    head = resp.content[:256].lstrip().lower()
    return "html" in content_type or head.startswith((b"<!doctype", b"<html", b"<"))


_NOT_JSON = object()


def _json_or_marker(content: bytes) -> Any:
    # The decoder's exception keeps the whole body (``doc``): never chain it.
    try:
        return json.loads(content)
    except (ValueError, RecursionError):  # ValueError includes UnicodeDecodeError
        return _NOT_JSON


def read_api_response(resp: HTTPResponse, *, what: str) -> dict[str, Any]:
    """The JSON object of an ``api/`` answer, or the typed error it stands for.

    ``what`` names the call in error texts ("token exchange", "user info").
    No error text ever quotes the body: only its status, type and size.
    """
    if resp.status_code >= 500:
        raise ProviderUnavailableError(
            f"The site failed the {what} ({_describe(resp)}). Try again later."
        )
    data = _json_or_marker(resp.content)
    if data is _NOT_JSON:
        if _looks_like_html(resp):
            raise ProviderUnavailableError(
                f"The site answered the {what} with an HTML page ({_describe(resp)}) "
                "instead of JSON: it may be offline or in maintenance, it may block "
                "this server's IP address, or base_url is not an Sngine site."
            )
        raise UnexpectedResponseError(
            f"The site answered the {what} with something that is not JSON "
            f"({_describe(resp)})."
        )
    if isinstance(data, dict) and _is_error_flag(data.get(ERROR_KEY)):
        raise error_from_message(data.get(MESSAGE_KEY))
    if not 200 <= resp.status_code < 300:
        raise UnexpectedResponseError(
            f"The site answered the {what} with an unexpected status "
            f"({_describe(resp)})."
        )
    if not isinstance(data, dict):
        shape = (
            "an empty list, as for a missing user" if data == [] else "not an object"
        )
        raise UnexpectedResponseError(
            f"The site answered the {what} with JSON that is {shape} "
            f"({_describe(resp)})."
        )
    return data


def access_token_from(data: Mapping[str, Any]) -> str:
    """The ``access_token`` of a token answer, if it is a usable string."""
    token = data.get(ACCESS_TOKEN_PARAM)
    if (
        not isinstance(token, str)
        or not token
        or len(token) > _MAX_ACCESS_TOKEN_LENGTH
        or not token.isprintable()
        or " " in token
    ):
        raise UnexpectedResponseError(
            "The site's token answer has no usable access_token string."
        )
    return token


def transport_error(exc: BaseException, *, timed_out: bool) -> CashSocialError:
    """A typed error for a failed connection, naming no URL.

    The HTTP libraries' exception texts quote the request URL, which holds
    secrets: only the exception's class name is kept.
    """
    if timed_out:
        return ProviderTimeoutError(
            f"The site did not answer in time ({type(exc).__name__}). Try again "
            "later, or raise timeout."
        )
    return ProviderUnavailableError(
        f"Could not reach the site ({type(exc).__name__}). Check base_url and "
        "this server's network access."
    )
