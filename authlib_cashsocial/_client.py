"""What the requests and httpx2 clients share, so that each client module
keeps only what its HTTP library does differently (Authlib keeps the sync and
async twins apart; so do we).

The exchange is Authlib's own ``fetch_token``: the dialect's client
authentication method writes Sngine's three parameters and its
``access_token_response`` hook reads the answer (see ``_dialect``). The user
info is the client's own ``get``, signed by Authlib's token holder.
"""

from __future__ import annotations

import inspect
import secrets
from collections.abc import Iterable
from typing import Any

from authlib.common.urls import add_params_to_uri
from authlib.oidc.core import UserInfo

from ._callback import auth_key_from_callback, validate_auth_key
from ._dialect import SngineDialect
from ._options import CLIENT_OPTIONS, Settings, reject_unknown
from ._responses import transport_error
from ._sngine import APP_ID_PARAM
from ._transport import deadline, time_left
from .errors import AccessTokenInvalidError, CashSocialError

__all__ = [
    "AsyncClientMixin",
    "ClientMixin",
    "token_request_keywords",
    "without_traceback",
]

# Authlib OAuth 2 client metadata that the framework apps pass to every
# per-call client; the dialect fills them from base_url otherwise.
_METADATA = ("authorization_endpoint", "token_endpoint", "userinfo_endpoint")
# Arguments of the login link and the exchange that this site has no use for
# (it reads only app_id and echoes nothing), accepted for Authlib's sake.
_IGNORED_BY_SITE = frozenset({"redirect_uri", "scope", "state", "code_verifier"})
# Token-request options that would let a credential leave base_url's origin.
_NEVER_FORWARDED = frozenset({"allow_redirects", "follow_redirects", "auth"})


def _named_parameters(cls: type) -> frozenset[str]:
    """The keyword arguments of the Authlib classes ``cls`` builds on."""
    names: set[str] = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None or not klass.__module__.startswith("authlib."):
            continue
        for parameter in inspect.signature(init).parameters.values():
            if parameter.kind in (
                parameter.POSITIONAL_OR_KEYWORD,
                parameter.KEYWORD_ONLY,
            ):
                names.add(parameter.name)
    return frozenset(names - {"self", "session"})


def token_request_keywords(
    kwargs: dict[str, Any], session_params: Iterable[str], *, where: str
) -> dict[str, Any]:
    """``kwargs`` for Authlib's ``fetch_token`` if each is a request option
    it forwards to the HTTP library (``headers``, ``timeout``, ...); anything
    else would land in the token request's body, so it is refused."""
    accepted = ({"headers", *session_params} - _NEVER_FORWARDED) | _IGNORED_BY_SITE
    reject_unknown(kwargs, accepted, where=where)
    return {k: v for k, v in kwargs.items() if k not in _IGNORED_BY_SITE}


def without_traceback(error: CashSocialError) -> CashSocialError:
    """``error`` with the frames it was raised through dropped, to raise again
    from the caller's frame. Below a client's public methods, Authlib's and
    the HTTP library's frames hold the request as signed (the exchange's URL
    or form with ``app_secret``, the user-info URL with the access token),
    and error trackers (Sentry, Django's debug page) print every frame's
    locals: the traceback starts where the caller called."""
    error.__traceback__ = None
    return error


class _ClientBase:
    """Construction, the login link and the exchange's arguments."""

    #: What the HTTP library's client takes besides Authlib's named arguments.
    http_keywords: Iterable[str] = ()
    #: The Authlib keyword that sets the default timeout of every request.
    timeout_keyword = "timeout"
    #: The ``auth`` value that means "the session's token" to Authlib.
    default_auth: Any = None
    #: ``request()`` options that make the library read the answer whole
    #: (within ``max_response_size``), whatever the client's own settings:
    #: the exchange and the user info read the JSON they get.
    read_whole_options: tuple[tuple[str, Any], ...] = ()
    #: The HTTP library's exceptions for a failed request, and for a timeout.
    transport_errors: tuple[type[BaseException], ...] = ()
    timeout_errors: tuple[type[BaseException], ...] = ()
    SESSION_REQUEST_PARAMS: Iterable[str]

    dialect: SngineDialect
    client_id: str
    client_secret: str | None
    token: Any
    leeway: int

    def __init__(
        self,
        client_id: str | None = None,
        client_secret: str | None = None,
        **kwargs: Any,
    ) -> None:
        dialect = kwargs.pop("dialect", None)
        options = {name: kwargs.pop(name) for name in CLIENT_OPTIONS if name in kwargs}
        if not isinstance(dialect, SngineDialect):
            dialect = SngineDialect(
                Settings.from_options(
                    client_id=client_id, client_secret=client_secret, **options
                )
            )
        reject_unknown(kwargs, self.accepted_keywords(), where=type(self).__name__)
        # The dialect decides how the exchange is sent and where tokens go.
        for name in ("token_endpoint_auth_method", "token_placement"):
            kwargs.pop(name, None)
        kwargs.setdefault("leeway", 0)
        kwargs.setdefault(self.timeout_keyword, dialect.settings.timeout)
        super().__init__(  # type: ignore[call-arg]
            client_id=dialect.settings.client_id,
            client_secret=dialect.settings.client_secret,
            token_endpoint_auth_method=dialect.auth_method_name,
            token_placement="uri",
            **kwargs,
        )
        self.dialect = dialect
        dialect(self)

    def __del__(self) -> None:
        # Authlib's OAuth2Client.__del__ (1.4 and later; 1.3 has none) deletes
        # self.session, which its __init__ sets: a client refused before that
        # (a bad option) has none.
        authlib_del = getattr(super(), "__del__", None)
        if authlib_del is not None and "session" in vars(self):
            authlib_del()

    @classmethod
    def accepted_keywords(cls) -> frozenset[str]:
        """Every keyword the constructor takes: this package's options,
        Authlib's and the HTTP library's."""
        return frozenset(
            {
                *CLIENT_OPTIONS,
                *_named_parameters(cls),
                *cls.http_keywords,
                *_METADATA,
                "connections",
                "dialect",
            }
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.dialect.settings.describe()}>"

    @property
    def userinfo_url(self) -> str:
        return self.dialect.settings.endpoints.userinfo_url

    def create_authorization_url(
        self, url: str | None = None, state: str | None = None, **kwargs: Any
    ) -> tuple[str, str]:
        """The login link, exactly ``{base}/api/oauth?app_id=…``, and a state.

        The site reads only ``app_id``: it sends the user back to the App
        Redirect URL registered with the app and echoes no ``state``, so
        ``redirect_uri``, ``scope`` and ``code_verifier`` are accepted and
        ignored, and anything else is refused. The returned state is for your
        own records of the pending login.
        """
        reject_unknown(kwargs, _IGNORED_BY_SITE, where="create_authorization_url()")
        endpoint = url or self.dialect.settings.endpoints.authorize_url
        link = add_params_to_uri(endpoint, [(APP_ID_PARAM, self.client_id)])
        return link, state or secrets.token_urlsafe(24)

    def _exchange_params(
        self,
        url: str | None,
        auth_key: str | None,
        authorization_response: str | None,
        kwargs: dict[str, Any],
    ) -> dict[str, Any]:
        """Authlib ``fetch_token`` arguments for one exchange (all but the
        method, which the dialect picks); the key is checked before anything
        is sent."""
        code = kwargs.pop("code", None)
        kwargs.pop("method", None)
        if auth_key is None and code is not None:
            auth_key = code
        if auth_key is not None:
            key = validate_auth_key(auth_key)
        else:
            key = auth_key_from_callback(authorization_response or "")
        return {
            "url": url or self.dialect.settings.endpoints.token_url,
            "grant_type": "authorization_code",
            "code": key,
            **token_request_keywords(
                kwargs, self.SESSION_REQUEST_PARAMS, where="fetch_token()"
            ),
            **dict(self.read_whole_options),
        }

    def _check_token(self, *, withhold_token: bool, auth: Any) -> None:
        """Fail before sending when the request needs a token we lack."""
        if withhold_token or auth is not self.default_auth:
            return
        if not self.token:
            raise AccessTokenInvalidError(
                "", "No access token yet: call fetch_token() first."
            )
        if self.token.is_expired(leeway=self.leeway):
            raise self.dialect.expired_token_error()

    def _call_timeout(self, kwargs: dict[str, Any]) -> float:
        """The deadline of one call: its own ``timeout`` when it is a number,
        else the client's."""
        timeout = kwargs.get("timeout")
        if isinstance(timeout, (int, float)) and not isinstance(timeout, bool):
            return float(timeout)
        return self.dialect.settings.timeout

    def _transport_failure(self, exc: BaseException) -> CashSocialError:
        return transport_error(
            exc,
            timed_out=isinstance(exc, (*self.timeout_errors, TimeoutError))
            or _deadline_passed(),
        )


def _deadline_passed() -> bool:
    try:
        time_left(None)
    except TimeoutError:
        return True
    return False


_LIBRARY_DEFAULT: Any = object()


class ClientMixin(_ClientBase):
    """Sngine behaviour for Authlib's synchronous OAuth 2 clients (requests'
    ``OAuth2Session``, httpx2's ``OAuth2Client``)."""

    def request(
        self,
        method: str,
        url: Any,
        withhold_token: bool = False,
        auth: Any = _LIBRARY_DEFAULT,
        **kwargs: Any,
    ) -> Any:
        """Authlib's ``request``, after checking the token, within the call's
        deadline, with the HTTP library's failures turned into typed errors
        (that name no URL)."""
        auth = self.default_auth if auth is _LIBRARY_DEFAULT else auth
        self._check_token(withhold_token=withhold_token, auth=auth)
        with deadline(self._call_timeout(kwargs)):
            try:
                return super().request(  # type: ignore[misc]
                    method, url, withhold_token=withhold_token, auth=auth, **kwargs
                )
            except self.transport_errors as exc:
                failure = self._transport_failure(exc)
            except CashSocialError as exc:  # a refused redirect, a bounded body...
                failure = without_traceback(exc)
        raise failure  # outside the handler: nothing quoting the URL is chained

    def fetch_token(
        self,
        url: str | None = None,
        *,
        auth_key: str | None = None,
        authorization_response: str | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Exchange an ``auth_key`` (or the callback URL that carries it) for
        an access token: ``{"access_token", "token_type", "expires_in",
        "expires_at"}``."""
        params = self._exchange_params(url, auth_key, authorization_response, kwargs)
        fetch = super().fetch_token  # type: ignore[misc]
        try:
            token: dict[str, Any] = self.dialect.token_exchange(
                lambda method: fetch(method=method, **params)
            )
        except CashSocialError as exc:  # the site's answer, read in Authlib's frames
            failure = without_traceback(exc)
        else:
            return token
        raise failure

    def userinfo(self, **kwargs: Any) -> UserInfo:
        """The signed-in user's normalized claims (see *Normalized claims*)."""
        response = self.get(  # type: ignore[attr-defined]
            self.userinfo_url, **{**kwargs, **dict(self.read_whole_options)}
        )
        return self.dialect.userinfo_from_response(response)


class AsyncClientMixin(_ClientBase):
    """The asynchronous twin of :class:`ClientMixin` (httpx2's
    ``AsyncOAuth2Client``)."""

    async def request(
        self,
        method: str,
        url: Any,
        withhold_token: bool = False,
        auth: Any = _LIBRARY_DEFAULT,
        **kwargs: Any,
    ) -> Any:
        """:meth:`ClientMixin.request`, as a coroutine."""
        import anyio  # httpx2's own dependency; import authlib_cashsocial needs none

        auth = self.default_auth if auth is _LIBRARY_DEFAULT else auth
        self._check_token(withhold_token=withhold_token, auth=auth)
        failures: tuple[type[BaseException], ...] = (
            *self.transport_errors,
            TimeoutError,
        )
        try:
            # The cancel scope bounds the whole call; cancelling it closes the
            # connection (httpx2 does not reuse a half-read one).
            with anyio.fail_after(self._call_timeout(kwargs)):
                return await super().request(  # type: ignore[misc]
                    method, url, withhold_token=withhold_token, auth=auth, **kwargs
                )
        except failures as exc:
            failure = self._transport_failure(exc)
        except CashSocialError as exc:  # a refused redirect, a bounded body...
            failure = without_traceback(exc)
        raise failure  # outside the handler: nothing quoting the URL is chained

    async def fetch_token(
        self,
        url: str | None = None,
        *,
        auth_key: str | None = None,
        authorization_response: str | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Exchange an ``auth_key`` (or the callback URL that carries it)."""
        params = self._exchange_params(url, auth_key, authorization_response, kwargs)
        fetch = super().fetch_token  # type: ignore[misc]
        try:
            token: dict[str, Any] = await self.dialect.async_token_exchange(
                lambda method: fetch(method=method, **params)
            )
        except CashSocialError as exc:  # the site's answer, read in Authlib's frames
            failure = without_traceback(exc)
        else:
            return token
        raise failure

    async def userinfo(self, **kwargs: Any) -> UserInfo:
        """The signed-in user's normalized claims."""
        response = await self.get(  # type: ignore[attr-defined]
            self.userinfo_url, **{**kwargs, **dict(self.read_whole_options)}
        )
        return self.dialect.userinfo_from_response(response)
