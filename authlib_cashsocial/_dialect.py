"""How one app speaks Sngine through Authlib's own pipeline.

Sngine's ``api/authorize`` wants ``app_id``, ``app_secret`` and ``auth_key``,
read from the form body (4.0.4 and later) or the query string (earlier
releases), and answers errors as HTTP 200 JSON. Authlib has no hook for the
token *request*, so :class:`SngineDialect` plugs into the two extension
points it does have:

* a client authentication method (:meth:`SngineDialect.encode_token_request`)
  that rewrites Authlib's ``grant_type=authorization_code&code=…`` request
  into Sngine's three parameters, in the body or the query;
* an ``access_token_response`` compliance hook
  (:meth:`SngineDialect.fix_token_response`) that turns the site's answer
  into a standard token, or into one of this package's typed errors.

It also learns which server generation it talks to (``token_method`` =
``auto``, kept per token URL and ``client_id``), reads user-info answers and
refuses redirects (one response hook per HTTP library).
:func:`compliance_fix` applies it to any Authlib ``OAuth2Session`` or httpx2
``OAuth2Client``, the way requests-oauthlib ships compliance fixes.
"""

from __future__ import annotations

import http.cookiejar
import inspect
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any, Literal, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit

from authlib.oidc.core import UserInfo

from ._callback import validate_auth_key
from ._claims import normalize_userinfo
from ._options import CLIENT_OPTIONS, Settings, reject_unknown
from ._redact import install_log_redaction
from ._responses import (
    HTTPResponse,
    access_token_from,
    is_app_id_unread,
    read_api_response,
)
from ._sngine import APP_ID_PARAM, APP_SECRET_PARAM, AUTH_KEY_PARAM, USERINFO_KEY
from ._transport import redirect_error
from .errors import (
    AccessTokenExpiredError,
    ClientCredentialsError,
    UnexpectedResponseError,
)

__all__ = ["AUTH_METHOD_NAME", "LEARNED", "SngineDialect", "compliance_fix"]

Placement = Literal["post", "get"]
T = TypeVar("T")

#: What Authlib's token endpoint auth method is called once registered.
AUTH_METHOD_NAME = "cashsocial_app_secret"


def _auth_key_from_token_request(uri: str, body: str | bytes | None) -> str:
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    # The body first (where Authlib puts the code); the query only without it.
    for source in (body or "", urlsplit(uri).query if "?" in uri else ""):
        for name, value in parse_qsl(source):
            if name in ("code", AUTH_KEY_PARAM):
                return validate_auth_key(value)
    return validate_auth_key(None)


class _TokenResponse:
    """The answer Authlib's ``parse_response_token`` reads after our hook."""

    status_code = 200

    def __init__(self, token: dict[str, Any]) -> None:
        self._token = token

    def json(self) -> dict[str, Any]:
        return self._token

    def raise_for_status(self) -> None:
        return None


class LearnedPlacements:
    """Which place (form body or query string) each server reads, as the
    ``auto`` exchanges of this process have found: keyed by the token URL and
    ``client_id``, never by a secret, and at most ``KEPT`` servers (the
    oldest forgotten first). Unknown servers get the form body (Sngine 4.0.4
    and later)."""

    KEPT = 64

    def __init__(self) -> None:
        self._places: dict[tuple[str, str], Placement] = {}
        self._lock = threading.Lock()

    def get(self, server: tuple[str, str]) -> Placement:
        return self._places.get(server, "post")

    def remember(self, server: tuple[str, str], place: Placement) -> None:
        with self._lock:
            self._places.pop(server, None)
            if len(self._places) >= self.KEPT:
                del self._places[next(iter(self._places))]
            self._places[server] = place

    def forget(self) -> None:
        """Forget every server (a test suite whose fake sites reuse ports)."""
        with self._lock:
            self._places.clear()


#: What this process has learned of each server under ``token_method="auto"``.
LEARNED = LearnedPlacements()


class _WrongTokenMethod(ClientCredentialsError):
    """``Bad Request, invalid app_id`` under ``token_method="auto"``: the server
    may read the other place. The auth_key was not used, so the exchange can be
    retried as is; the client has already switched."""


class SngineDialect:
    """Everything a session needs to speak Sngine for one app, shared by the
    sessions of one registered app; what ``auto`` learns of the server is
    kept in :data:`LEARNED`.

    Example::

        from authlib.integrations.requests_client import OAuth2Session

        dialect = SngineDialect(Settings.from_options(client_id="42",
                                                      client_secret="s"))
        session = dialect(OAuth2Session("42", "s"))
        token = session.fetch_token(dialect.settings.endpoints.token_url,
                                    code=auth_key)
    """

    auth_method_name = AUTH_METHOD_NAME

    def __init__(
        self, settings: Settings, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.settings = settings
        self._clock = clock
        install_log_redaction(settings.endpoints.base_url)
        # What is learned of the server is its own, not this app's secret's.
        self._server = (settings.endpoints.token_url, settings.client_id)

    def __repr__(self) -> str:
        return (
            f"<SngineDialect {self.settings.describe()} "
            f"token_method={self.settings.token_method!r} "
            f"learned={self._placement!r}>"
        )

    @property
    def _placement(self) -> Placement:
        """Where the exchange's three values go: fixed by ``token_method``, or
        (under ``auto``) what the server was last seen to read."""
        method = self.settings.token_method
        if method != "auto":
            return method
        return LEARNED.get(self._server)

    @property
    def http_method(self) -> str:
        """The method of the next exchange: GET (query string) or POST (form
        body). Fixed unless ``token_method`` is ``auto``."""
        return "GET" if self._placement == "get" else "POST"

    def __call__(self, session: Any) -> Any:
        """Make an Authlib OAuth 2 session (requests or httpx2) talk Sngine."""
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
        if getattr(session, "leeway", 0) >= self.settings.token_lifetime:
            # Authlib's default leeway (60 s) counts a token as expired that
            # long before its expires_at: a 60-second Sngine token would be
            # expired from the start, and Authlib would ask for a refresh
            # that the site does not have.
            session.leeway = 0
        if getattr(session, "default_timeout", False) is None:
            session.default_timeout = self.settings.timeout
        _refuse_redirects(session)
        _refuse_cookies(session)
        return session

    # -- the request

    def encode_token_request(
        self, client_auth: Any, method: str, uri: str, headers: Any, body: Any
    ) -> tuple[str, Any, Any]:
        """Authlib client auth method: ``code`` → Sngine's three parameters."""
        auth_key = _auth_key_from_token_request(uri, body)
        url, form = self.token_request(
            method, uri, client_auth.client_id, client_auth.client_secret, auth_key
        )
        if form is None:
            if "Content-Length" in headers:
                headers["Content-Length"] = "0"
            return url, headers, "" if body is not None else None
        if "Content-Length" in headers:
            headers["Content-Length"] = str(len(form))
        return url, headers, form

    def token_request(
        self,
        method: str,
        uri: str,
        client_id: str,
        client_secret: str | None,
        auth_key: str,
    ) -> tuple[str, str | None]:
        """The exchange's URL and form body: Sngine's three parameters in the
        body, or (``None`` for the body) in the query string."""
        params = urlencode(
            [
                (APP_ID_PARAM, client_id),
                (APP_SECRET_PARAM, client_secret or ""),
                (AUTH_KEY_PARAM, auth_key),
            ]
        )
        endpoint = uri.split("?", 1)[0]
        if method.upper() == "GET" or self._placement == "get":
            # Old servers read PHP's $_GET, which is the query whatever the method.
            return f"{endpoint}?{params}", None
        return endpoint, params

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
                "access_token": access_token_from(data),
                "token_type": "Bearer",
                "expires_in": lifetime,
                "expires_at": int(self._clock()) + lifetime,
            }
        )

    def _credentials_error(
        self, exc: ClientCredentialsError, resp: Any
    ) -> ClientCredentialsError:
        if not is_app_id_unread(exc):
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
        LEARNED.remember(self._server, "get" if sent == "post" else "post")
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


def _redirect_failure(response: Any) -> Exception | None:
    if not 300 <= response.status_code < 400:
        return None
    return redirect_error(
        response.status_code,
        response.headers.get("location"),
        str(getattr(response.request, "url", "") or ""),
    )


def _refuse_redirect(response: Any, *args: Any, **kwargs: Any) -> None:
    """A response hook (requests and httpx2 alike) that stops a redirect
    before the library follows it: the credentials would go along."""
    failure = _redirect_failure(response)
    if failure is not None:
        response.close()  # requests leaves a streamed answer open otherwise
        raise failure


async def _arefuse_redirect(response: Any) -> None:
    failure = _redirect_failure(response)
    if failure is not None:
        raise failure  # httpx2 closes the answer itself


def _refuse_redirects(session: Any) -> None:
    """Make a session (ours, or one given to :func:`compliance_fix`) refuse
    every redirect, with its library's own response hooks."""
    hooks = getattr(session, "hooks", None)  # requests
    if isinstance(hooks, dict) and _refuse_redirect not in hooks.get("response", []):
        hooks.setdefault("response", []).append(_refuse_redirect)
    event_hooks = getattr(session, "event_hooks", None)  # httpx2
    if isinstance(event_hooks, dict):
        is_async = inspect.iscoroutinefunction(session.send)
        hook = _arefuse_redirect if is_async else _refuse_redirect
        responses = list(event_hooks.get("response", []))
        if hook not in responses:
            session.event_hooks = {**event_hooks, "response": [*responses, hook]}


#: A cookie policy that accepts no cookie and returns none: every Sngine
#: answer sets PHPSESSID (3.13 also user_session, for 30 days), which the API
#: never reads; sent back, they would link all of an app's users at the site.
NO_COOKIES = http.cookiejar.DefaultCookiePolicy(allowed_domains=[])


def _refuse_cookies(session: Any) -> None:
    """Give a session's cookie jar (requests' is a ``CookieJar``, httpx2's
    ``Cookies`` holds one as ``jar``) the policy that keeps no cookie."""
    cookies = session.cookies
    getattr(cookies, "jar", cookies).set_policy(NO_COOKIES)


def _rejected_both_ways(exc: ClientCredentialsError) -> ClientCredentialsError:
    return ClientCredentialsError(
        exc.message,
        option="client_id",
        description="The site rejected the app_id both in the form body and in the "
        "query string: check client_id (the site's app_id) and base_url.",
    )


def compliance_fix(session: T, **options: Any) -> T:
    """Turn an Authlib ``OAuth2Session`` or httpx2 ``OAuth2Client`` into a Cash
    Social client, reading ``client_id``/``client_secret`` from the session.

    ``options`` are a client's (see *Configuration*: ``base_url``,
    ``token_method``, ``token_lifetime``, ``timeout``, ...); an unknown one
    raises :class:`~authlib_cashsocial.errors.ConfigurationError`.

    Afterwards ``session.fetch_token(code=auth_key)`` exchanges a key and
    ``session.get(userinfo_url)`` sends the token in the query. The session
    stays Authlib's own: transport errors stay the HTTP library's (wrap them
    yourself), and deadlines and body bounds are the library's defaults. Our
    clients, :class:`~authlib_cashsocial.CashSocialSession` and
    the httpx2 ones, add all of that. Redirects are refused in both: a 3xx
    answer raises :class:`~authlib_cashsocial.errors.ProviderRedirectError`
    before the library could follow it. Cookies too: the session's jar gets
    a policy that keeps none and sends none (the site sets ``PHPSESSID`` on
    every answer, which the API never reads). Under ``token_method="auto"`` the first
    exchange against a pre-4.0.4 server raises a ``ClientCredentialsError``
    saying to retry (the key is not used up); our clients retry by themselves.

    Example::

        >>> from authlib.integrations.requests_client import OAuth2Session
        >>> session = compliance_fix(OAuth2Session("42", "s3cret"))
        >>> session.metadata["token_endpoint"]
        'https://cs.moneypoolscash.com/api/authorize'
    """
    reject_unknown(options, CLIENT_OPTIONS, where="compliance_fix()")
    dialect = SngineDialect(
        Settings.from_options(
            client_id=getattr(session, "client_id", None),
            client_secret=getattr(session, "client_secret", None),
            **options,
        )
    )
    return dialect(session)  # type: ignore[no-any-return]
