"""The Sngine exchange on Authlib's own pipeline.

Sngine's ``api/authorize`` wants ``app_id``, ``app_secret`` and ``auth_key``,
read from the form body (4.0.4 and later) or the query string (earlier
releases), and answers errors as HTTP 200 JSON. Authlib has no hook for the
token *request*, so this module plugs into the two extension points it does
have:

* a client authentication method (:meth:`ComplianceFix.encode_token_request`)
  that rewrites Authlib's ``grant_type=authorization_code&code=…`` request
  into Sngine's three parameters, in the body or the query;
* an ``access_token_response`` compliance hook
  (:meth:`ComplianceFix.fix_token_response`) that turns the site's answer
  into a standard token, or into one of this package's typed errors.

:func:`compliance_fix` applies both to any Authlib ``OAuth2Session`` or httpx2
``OAuth2Client``, the way requests-oauthlib ships compliance fixes.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Mapping
from typing import Any, Literal, Protocol, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit

from authlib.oidc.core import UserInfo

from .errors import (
    AccessTokenExpiredError,
    AccessTokenInvalidError,
    AuthKeyRejectedError,
    CashSocialError,
    ClientCredentialsError,
    MissingAuthKeyError,
    ProviderError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    UnexpectedResponseError,
)
from .provider import (
    ACCESS_TOKEN_PARAM,
    APP_ID_PARAM,
    APP_SECRET_PARAM,
    AUTH_KEY_PARAM,
    ERROR_KEY,
    MAX_AUTH_KEY_LENGTH,
    MESSAGE_EXPIRED_ACCESS_TOKEN,
    MESSAGE_INVALID_ACCESS_TOKEN,
    MESSAGE_INVALID_APP_ID,
    MESSAGE_INVALID_APP_SECRET,
    MESSAGE_INVALID_AUTH_KEY,
    MESSAGE_INVALID_PARAMETERS,
    MESSAGE_KEY,
    USERINFO_KEY,
    Settings,
)
from .redact import install_log_redaction
from .userinfo import normalize_userinfo

__all__ = [
    "ComplianceFix",
    "auth_key_from_callback",
    "compliance_fix",
    "error_from_message",
    "read_api_response",
    "validate_auth_key",
]

Placement = Literal["post", "get"]
T = TypeVar("T")

#: What Authlib's token endpoint auth method is called once registered.
AUTH_METHOD_NAME = "cashsocial_app_secret"
_AUTH_KEY_SHAPE = re.compile(r"[A-Za-z0-9._~-]+")
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


# ---------------------------------------------------------------- callbacks


def validate_auth_key(auth_key: object) -> str:
    """Return ``auth_key`` if it can be a key the site issued, else raise
    :class:`~authlib_cashsocial.errors.MissingAuthKeyError`.

    Example::

        >>> validate_auth_key("9f86d081884c7d659a2feaa0c55ad015")
        '9f86d081884c7d659a2feaa0c55ad015'
    """
    if not isinstance(auth_key, str) or not auth_key:
        raise MissingAuthKeyError(
            "The callback has no auth_key: it was not sent by the site's "
            "login page, or the user opened the callback URL by hand."
        )
    if len(auth_key) > MAX_AUTH_KEY_LENGTH:
        raise MissingAuthKeyError(
            f"The callback's auth_key is {len(auth_key)} characters long; the "
            f"site issues keys of at most {MAX_AUTH_KEY_LENGTH}."
        )
    if not _AUTH_KEY_SHAPE.fullmatch(auth_key):
        raise MissingAuthKeyError(
            "The callback's auth_key has characters the site never puts in a key."
        )
    return auth_key


def auth_key_from_callback(url: str) -> str:
    """Read the ``auth_key`` from a callback URL (or its query string).

    The site joins its registered redirect URL and ``?auth_key=`` as strings,
    so a URL that already had a query arrives with two ``?``; both forms work.

    Example::

        >>> auth_key_from_callback("https://app.example/cb?next=/x?auth_key=k1")
        'k1'
    """
    if not isinstance(url, str):
        raise MissingAuthKeyError("The callback URL is not text.")
    query = url.split("#", 1)[0]
    if "?" in query or "://" in query:
        query = query.split("?", 1)[1] if "?" in query else ""
    values = {
        value
        for name, value in parse_qsl(query.replace("?", "&"), keep_blank_values=True)
        if name == AUTH_KEY_PARAM
    }
    if len(values) > 1:
        raise MissingAuthKeyError(
            "The callback carries several different auth_key values; the site "
            "sends exactly one."
        )
    return validate_auth_key(values.pop() if values else None)


def _auth_key_from_token_request(uri: str, body: str | bytes | None) -> str:
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    pairs = parse_qsl(body or "") + parse_qsl(urlsplit(uri).query)
    for name, value in pairs:
        if name in ("code", AUTH_KEY_PARAM):
            return validate_auth_key(value)
    return validate_auth_key(None)


# ---------------------------------------------------------------- responses


def read_bounded(chunks: Iterable[bytes], limit: int) -> bytes:
    """Join ``chunks`` of an answer body, refusing to hold more than ``limit``
    bytes: a huge or endless answer costs bounded memory and a typed error."""
    parts: list[bytes] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise answer_too_large(limit)
        parts.append(chunk)
    return b"".join(parts)


async def aread_bounded(chunks: AsyncIterable[bytes], limit: int) -> bytes:
    """:func:`read_bounded` for an asynchronous stream."""
    parts: list[bytes] = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise answer_too_large(limit)
        parts.append(chunk)
    return b"".join(parts)


def answer_too_large(limit: int) -> UnexpectedResponseError:
    return UnexpectedResponseError(
        f"The site's answer is larger than max_response_size ({limit} bytes); "
        "it was not read further. Sngine answers are a few kilobytes: check "
        "base_url."
    )


def _is_error_flag(value: object) -> bool:
    # PHP truthiness, as the site means it: "0" and "" are false, "1"/"yes" true.
    if isinstance(value, str):
        return value.strip().lower() not in _FALSE_FLAGS
    return bool(value)


def error_from_message(message: object) -> ProviderError:
    """The typed error for an ``{"error": true, "message": …}`` answer.

    The literal messages of every Sngine release get their own class; any
    other message (often translated) becomes a
    :class:`~authlib_cashsocial.errors.ProviderError` that keeps it.

    Example::

        >>> type(error_from_message("expired access_token")).__name__
        'AccessTokenExpiredError'
    """
    if isinstance(message, (str, int, float)) and not isinstance(message, bool):
        text = str(message).strip()[:300]
    else:
        text = ""
    key = text.lower()
    if key == MESSAGE_INVALID_APP_ID.lower():
        return ClientCredentialsError(
            text,
            option="client_id",
            description="The site rejected the app_id: check client_id (the "
            "app_id from the site's app dashboard) and that base_url is that "
            "site.",
        )
    if key == MESSAGE_INVALID_APP_SECRET.lower():
        return ClientCredentialsError(
            text,
            option="client_secret",
            description="The site rejected the app_secret: check client_secret "
            "(the app_secret from the site's app dashboard).",
        )
    if key == MESSAGE_INVALID_AUTH_KEY.lower():
        return AuthKeyRejectedError(
            text,
            "The site rejected the auth_key: it was already used, replaced by a "
            "newer login of the same user, or never issued. Start the login again.",
        )
    if key == MESSAGE_EXPIRED_ACCESS_TOKEN.lower():
        return AccessTokenExpiredError(
            text,
            "The access token has expired (stock Sngine sites keep tokens for 60 "
            "seconds, whatever their page says). Log the user in again.",
        )
    if key == MESSAGE_INVALID_ACCESS_TOKEN.lower():
        return AccessTokenInvalidError(
            text, "The site does not know this access token. Log the user in again."
        )
    if key == MESSAGE_INVALID_PARAMETERS.lower():
        return ProviderError(
            text,
            "The site answered 'invalid parameters': the API path is unknown "
            "there. Check that base_url is the site's root address.",
        )
    if not text:
        return ProviderError("", "The site reported an error without a message.")
    return ProviderError(text)


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


def _access_token(data: Mapping[str, Any]) -> str:
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


class _TokenResponse:
    """The answer Authlib's ``parse_response_token`` reads after our hook."""

    status_code = 200

    def __init__(self, token: dict[str, Any]) -> None:
        self._token = token

    def json(self) -> dict[str, Any]:
        return self._token

    def raise_for_status(self) -> None:
        return None


class _WrongTokenMethod(ClientCredentialsError):
    """``Bad Request, invalid app_id`` under ``token_method="auto"``: the server
    may read the other place. The auth_key was not used, so the exchange can be
    retried as is; the client has already switched."""


# ---------------------------------------------------------------- the fix


class ComplianceFix:
    """Everything a session needs to speak Sngine, shared by the sessions of
    one client or one registered app (so the server generation it learns is
    remembered across them).

    Example::

        from authlib.integrations.requests_client import OAuth2Session
        from authlib_cashsocial.compliance import ComplianceFix
        from authlib_cashsocial.provider import Settings

        fix = ComplianceFix(Settings.from_options(client_id="42", client_secret="s"))
        session = fix(OAuth2Session("42", "s"))
        token = session.fetch_token(fix.settings.endpoints.token_url, code=auth_key)
    """

    auth_method_name = AUTH_METHOD_NAME

    def __init__(
        self, settings: Settings, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.settings = settings
        self._clock = clock
        self._placement: Placement = "get" if settings.token_method == "get" else "post"
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return (
            f"<ComplianceFix {self.settings.describe()} "
            f"token_method={self.settings.token_method!r} "
            f"placement={self._placement!r}>"
        )

    @property
    def placement(self) -> Placement:
        """Where the exchange's parameters go now: ``post`` (form body) or
        ``get`` (query string). Fixed unless ``token_method`` is ``auto``."""
        return self._placement

    @property
    def http_method(self) -> str:
        return "GET" if self._placement == "get" else "POST"

    def __call__(self, session: Any) -> Any:
        """Make an Authlib OAuth 2 session (requests or httpx2) talk Sngine."""
        install_log_redaction()
        endpoints = self.settings.endpoints
        session.register_client_auth_method(
            (self.auth_method_name, self.encode_token_request)
        )
        session.token_endpoint_auth_method = self.auth_method_name
        session.token_auth.token_placement = "uri"
        session.register_compliance_hook(
            "access_token_response", self.fix_token_response
        )
        session.metadata.setdefault("token_endpoint", endpoints.token_url)
        session.metadata.setdefault("authorization_endpoint", endpoints.authorize_url)
        session.metadata.setdefault("userinfo_endpoint", endpoints.userinfo_url)
        if getattr(session, "default_timeout", False) is None:
            session.default_timeout = self.settings.timeout
        return session

    # -- the request

    def encode_token_request(
        self, client_auth: Any, method: str, uri: str, headers: Any, body: Any
    ) -> tuple[str, Any, Any]:
        """Authlib client auth method: ``code`` → Sngine's three parameters."""
        auth_key = _auth_key_from_token_request(uri, body)
        params = urlencode(
            [
                (APP_ID_PARAM, client_auth.client_id),
                (APP_SECRET_PARAM, client_auth.client_secret or ""),
                (AUTH_KEY_PARAM, auth_key),
            ]
        )
        endpoint = uri.split("?", 1)[0]
        if method.upper() == "GET" or self._placement == "get":
            # Old servers read PHP's $_GET, which is the query whatever the method.
            if "Content-Length" in headers:
                headers["Content-Length"] = "0"
            return f"{endpoint}?{params}", headers, "" if body is not None else None
        if "Content-Length" in headers:
            headers["Content-Length"] = str(len(params))
        return endpoint, headers, params

    # -- the response

    def fix_token_response(self, resp: Any) -> _TokenResponse:
        """Authlib ``access_token_response`` hook: a standard token or an error."""
        try:
            data = read_api_response(resp, what="token exchange")
        except ClientCredentialsError as exc:
            raise self._credentials_error(exc, resp) from None
        lifetime = self.settings.token_lifetime
        return _TokenResponse(
            {
                "access_token": _access_token(data),
                "token_type": "Bearer",
                "expires_in": lifetime,
                "expires_at": int(self._clock()) + lifetime,
            }
        )

    def _credentials_error(
        self, exc: ClientCredentialsError, resp: Any
    ) -> ClientCredentialsError:
        if exc.option != "client_id":
            return exc
        sent: Placement = "get" if APP_ID_PARAM in str(resp.request.url) else "post"
        where = "the query string" if sent == "get" else "the form body"
        if self.settings.token_method != "auto":
            other = "get" if sent == "post" else "post"
            return ClientCredentialsError(
                exc.message,
                option="client_id",
                description=f"The site rejected the app_id sent in {where}. Check "
                f"client_id; if it is right, this server reads the other place: set "
                f"token_method={other!r} (or 'auto'). Sngine before 4.0.4 reads the "
                "query string, later releases the form body.",
            )
        with self._lock:
            self._placement = "get" if sent == "post" else "post"
        return _WrongTokenMethod(
            exc.message,
            option="client_id",
            description=f"The site rejected the app_id sent in {where}. The "
            "auth_key was not used: retry the exchange, which now uses the other "
            "place. If both are rejected, client_id is wrong.",
        )

    def token_exchange(self, attempt: Callable[[str], T]) -> T:
        """Run ``attempt(http_method)``; under ``auto``, once more the other way
        when the first answer shows the server reads the other place."""
        try:
            return attempt(self.http_method)
        except _WrongTokenMethod:
            pass
        try:
            return attempt(self.http_method)
        except _WrongTokenMethod as exc:
            failure = _rejected_both_ways(exc)
        raise failure

    async def async_token_exchange(self, attempt: Callable[[str], Awaitable[T]]) -> T:
        """:meth:`token_exchange` for coroutines."""
        try:
            return await attempt(self.http_method)
        except _WrongTokenMethod:
            pass
        try:
            return await attempt(self.http_method)
        except _WrongTokenMethod as exc:
            failure = _rejected_both_ways(exc)
        raise failure

    def userinfo_from_response(self, resp: HTTPResponse) -> UserInfo:
        """Normalized claims from an ``api/get_user_info`` answer."""
        data = read_api_response(resp, what="user info")
        if USERINFO_KEY not in data:
            raise UnexpectedResponseError(
                f"The site's user info answer has no {USERINFO_KEY!r} object."
            )
        return normalize_userinfo(data[USERINFO_KEY], base_url=self.settings.endpoints)

    def expired_token_error(self) -> AccessTokenExpiredError:
        return AccessTokenExpiredError(
            "",
            f"The access token is past its expires_at (token_lifetime="
            f"{self.settings.token_lifetime} s). There is no refresh token: log the "
            "user in again.",
        )


def _rejected_both_ways(exc: ClientCredentialsError) -> ClientCredentialsError:
    return ClientCredentialsError(
        exc.message,
        option="client_id",
        description="The site rejected the app_id both in the form body and in the "
        "query string: check client_id (the site's app_id) and base_url.",
    )


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


def compliance_fix(
    session: T,
    *,
    base_url: str | None = None,
    token_method: str = "auto",
    token_lifetime: int | None = None,
    timeout: float | None = None,
    allow_insecure: bool = False,
    uploads_url: str | None = None,
) -> T:
    """Turn an Authlib ``OAuth2Session`` or httpx2 ``OAuth2Client`` into a Cash
    Social client, reading ``client_id``/``client_secret`` from the session.

    Afterwards ``session.fetch_token(code=auth_key)`` exchanges a key and
    ``session.get(userinfo_url)`` sends the token in the query. Transport
    errors stay the HTTP library's own (wrap them yourself); our clients,
    :class:`~authlib_cashsocial.CashSocialSession` and the httpx2 ones, turn
    them into typed errors. Under ``token_method="auto"`` the first exchange
    against a pre-4.0.4 server raises a ``ClientCredentialsError`` saying to
    retry (the key is not used up); our clients retry by themselves.

    Example::

        >>> from authlib.integrations.requests_client import OAuth2Session
        >>> session = compliance_fix(OAuth2Session("42", "s3cret"))
        >>> session.metadata["token_endpoint"]
        'https://cs.moneypoolscash.com/api/authorize'
    """
    options: dict[str, Any] = {
        "client_id": getattr(session, "client_id", None),
        "client_secret": getattr(session, "client_secret", None),
        "token_method": token_method,
        "allow_insecure": allow_insecure,
        "uploads_url": uploads_url,
    }
    if base_url is not None:
        options["base_url"] = base_url
    if token_lifetime is not None:
        options["token_lifetime"] = token_lifetime
    if timeout is not None:
        options["timeout"] = timeout
    fix = ComplianceFix(Settings.from_options(**options))
    return fix(session)  # type: ignore[no-any-return]
