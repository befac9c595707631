"""What the requests and httpx2 clients share, so that each client module
keeps only what its HTTP library does differently (Authlib keeps the sync and
async twins apart; so do we)."""

from __future__ import annotations

import functools
import inspect
import secrets
import threading
import weakref
from collections.abc import Iterable
from typing import Any

from authlib.common.urls import add_params_to_uri
from authlib.oauth2.auth import TokenAuth
from authlib.oauth2.client import DEFAULT_HEADERS as TOKEN_REQUEST_HEADERS
from authlib.oidc.core import UserInfo

from ._callback import auth_key_from_callback, validate_auth_key
from ._dialect import SngineDialect
from ._options import CLIENT_OPTIONS, Settings, reject_unknown
from ._responses import transport_error
from ._sngine import ACCESS_TOKEN_PARAM, APP_ID_PARAM
from ._transport import deadline, time_left
from .errors import AccessTokenInvalidError

__all__ = ["AsyncClientMixin", "ClientMixin", "token_request_keywords"]

# Authlib OAuth 2 client metadata that the framework apps pass to every
# per-call client; the dialect fills them from base_url otherwise.
_METADATA = ("authorization_endpoint", "token_endpoint", "userinfo_endpoint")
# Arguments of the login link and the exchange that this site has no use for
# (it reads only app_id and echoes nothing), accepted for Authlib's sake.
_IGNORED_BY_SITE = frozenset({"redirect_uri", "scope", "state", "code_verifier"})
# Token-request options that would let a credential leave base_url's origin.
_NEVER_FORWARDED = frozenset({"allow_redirects", "follow_redirects", "auth"})


def _named_parameters(cls: type) -> frozenset[str]:
    names: set[str] = set()
    for klass in cls.__mro__:
        if not klass.__module__.startswith("authlib."):
            continue
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        for parameter in inspect.signature(init).parameters.values():
            if parameter.kind in (
                parameter.POSITIONAL_OR_KEYWORD,
                parameter.KEYWORD_ONLY,
            ):
                names.add(parameter.name)
    return frozenset(names - {"self", "session"})


# Worked out once per client class: clients are built on every call.
_ACCEPTED: dict[type, frozenset[str]] = {}


def _accepted_keywords(cls: type[_ClientBase]) -> frozenset[str]:
    accepted = _ACCEPTED.get(cls)
    if accepted is None:
        accepted = frozenset(
            {
                *CLIENT_OPTIONS,
                *_named_parameters(cls),
                *cls.http_keywords,
                *_METADATA,
                "connections",
                "dialect",
            }
        )
        _ACCEPTED[cls] = accepted
    return accepted


@functools.lru_cache(maxsize=8)
def _token_request_accepted(session_params: tuple[str, ...]) -> frozenset[str]:
    return frozenset(
        ({"headers", *session_params} - _NEVER_FORWARDED) | _IGNORED_BY_SITE
    )


# Clients built with the same options share one dialect: its settings are
# validated once, and what it learns of the server is remembered by all.
_DIALECTS: dict[tuple[Any, ...], SngineDialect] = {}
_DIALECTS_KEPT = 64
_DIALECTS_LOCK = threading.Lock()


def _dialect_for(
    client_id: Any, client_secret: Any, options: dict[str, Any]
) -> SngineDialect:
    """The dialect for these options: a kept one, or a new one (kept when
    every value is a plain str, number, bool or None)."""
    plain = (
        type(client_id) in _PLAIN
        and type(client_secret) in _PLAIN
        and all(type(v) in _PLAIN for v in options.values())
    )
    key: tuple[Any, ...] = ()
    dialect = None
    if plain:
        # The type is part of the key: 1, 1.0 and True are equal dict keys.
        key = (
            client_id,
            type(client_id),
            client_secret,
            type(client_secret),
            frozenset((k, type(v), v) for k, v in options.items()),
        )
        dialect = _DIALECTS.get(key)
    if dialect is None:
        dialect = SngineDialect(
            Settings.from_options(
                client_id=client_id, client_secret=client_secret, **options
            )
        )
        if plain:
            with _DIALECTS_LOCK:
                if len(_DIALECTS) >= _DIALECTS_KEPT:
                    _DIALECTS.clear()
                _DIALECTS[key] = dialect
    return dialect


_PLAIN = (str, int, float, bool, type(None))


def token_request_keywords(
    kwargs: dict[str, Any], session_params: Iterable[str], *, where: str
) -> dict[str, Any]:
    """``kwargs`` for Authlib's ``fetch_token`` if each is a request option
    it forwards to the HTTP library (``headers``, ``timeout``, ...); anything
    else would land in the token request's body, so it is refused."""
    if not kwargs:
        return {}
    accepted = _token_request_accepted(tuple(session_params))
    reject_unknown(kwargs, accepted, where=where)
    return {k: v for k, v in kwargs.items() if k not in _IGNORED_BY_SITE}


class _ClientBase:
    """Construction, the login link and the exchange's arguments."""

    #: What the HTTP library's client takes besides Authlib's named arguments.
    http_keywords: tuple[str, ...] = ()
    #: The Authlib keyword that sets the default timeout of every request.
    timeout_keyword = "timeout"
    #: The ``auth`` value that means "the session's token" to Authlib.
    default_auth: Any = None
    #: The ``auth`` of a request that carries its credentials already (the
    #: exchange's form, the user info's signed URL): nothing is added.
    carried_credentials_auth: Any = None
    #: The ``request()`` keyword that sends a ready form body.
    form_body_keyword = "data"
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
    token_auth: Any

    def __init__(
        self,
        client_id: str | None = None,
        client_secret: str | None = None,
        **kwargs: Any,
    ) -> None:
        dialect = kwargs.pop("dialect", None)
        options = {name: kwargs.pop(name) for name in CLIENT_OPTIONS if name in kwargs}
        if not isinstance(dialect, SngineDialect):
            dialect = _dialect_for(client_id, client_secret, options)
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
        # Authlib's token holder refers back to the client (to check expiry
        # before signing); a weak reference keeps that check without a cycle.
        self.token_auth.client = weakref.proxy(self)

    @property
    def session(self) -> Any:
        """What Authlib's client sends through: the session itself. Authlib
        stores it as an attribute, a reference from the session to itself
        that only the cyclic garbage collector can free; as a property (and
        with the token holder's reference back a weak one, see ``__init__``)
        a session is freed as soon as it is dropped. Setting it to anything
        else is refused; deleting it (Authlib's ``__del__``) does nothing."""
        return self

    @session.setter
    def session(self, value: Any) -> None:
        if value is not None and value is not self:
            raise TypeError(f"a {type(self).__name__} sends through itself only")

    @session.deleter
    def session(self) -> None:
        pass

    @classmethod
    def accepted_keywords(cls) -> frozenset[str]:
        """Every keyword the constructor takes: this package's options,
        Authlib's and the HTTP library's (worked out once per class)."""
        return _accepted_keywords(cls)

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
        """Authlib ``fetch_token`` arguments for one exchange; the key is
        checked before anything is sent."""
        code = kwargs.pop("code", None)
        kwargs.pop("method", None)  # the dialect picks GET or POST
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
        }

    def _exchange_request(
        self, method: str, params: dict[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        """The exchange as one request (URL, ``request()`` keywords): what
        Authlib's ``fetch_token`` sends for this grant, with Sngine's form
        (or query) written once. Authlib would encode OAuth's form, decode
        it for the HTTP library to encode again, and the client
        authentication method would parse that and write Sngine's."""
        options = dict(params)
        url, form = self.dialect.token_request(
            method,
            options.pop("url"),
            self.client_id,
            self.client_secret,
            options.pop("code"),
        )
        del options["grant_type"]
        headers = options.pop("headers", None)
        if headers is None:
            headers = TOKEN_REQUEST_HEADERS
        elif form is not None and not any(
            name.lower() == "content-type" for name in headers
        ):
            # Authlib sends the caller's headers instead of its own, and the
            # HTTP library typed the form it encoded; a ready form is typed here.
            headers = {
                **headers,
                "Content-Type": TOKEN_REQUEST_HEADERS["Content-Type"],
            }
        options[self.form_body_keyword] = form
        options["headers"] = headers
        options.update(self.read_whole_options)
        options["withhold_token"] = True
        options["auth"] = self.carried_credentials_auth
        return url, options

    def _token_from_exchange(self, response: Any) -> Any:
        """What Authlib's ``fetch_token`` does with the answer: the
        ``access_token_response`` compliance hooks, then
        ``parse_response_token``."""
        for hook in self.compliance_hook["access_token_response"]:  # type: ignore[attr-defined]
            response = hook(response)
        return self.parse_response_token(response)  # type: ignore[attr-defined]

    def _userinfo_request(
        self, kwargs: dict[str, Any]
    ) -> tuple[str, dict[str, Any]] | None:
        """The user-info call as a signed URL and ``request()`` keywords, or
        None for the token holder's way. Without options of the caller's,
        hooks or another token type, the URL is signed here once, as
        Authlib's token holder signs it (the token in the query): the holder
        would build the request a second time around the signed URL."""
        holder = self.token_auth
        if (
            kwargs
            or holder.hooks
            or holder.token_placement != "uri"
            or type(holder).prepare is not TokenAuth.prepare
        ):
            return None
        self._check_token(withhold_token=False, auth=self.default_auth)
        access_token = self.token.get("access_token")
        if str(
            self.token.get("token_type", "bearer")
        ).lower() != "bearer" or not isinstance(access_token, str):
            return None  # the holder's way, and its errors
        url = add_params_to_uri(self.userinfo_url, [(ACCESS_TOKEN_PARAM, access_token)])
        return url, {
            "withhold_token": True,
            "auth": self.carried_credentials_auth,
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

    def _async_failures(self) -> tuple[type[BaseException], ...]:
        return (*self.transport_errors, TimeoutError)

    def _transport_failure(self, exc: BaseException) -> Exception:
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
        """Authlib's ``request``, after checking the token, with the HTTP
        library's failures turned into typed errors (that name no URL)."""
        auth = self.default_auth if auth is _LIBRARY_DEFAULT else auth
        self._check_token(withhold_token=withhold_token, auth=auth)
        with deadline(self._call_timeout(kwargs)):
            try:
                return super().request(  # type: ignore[misc]
                    method, url, withhold_token=withhold_token, auth=auth, **kwargs
                )
            except self.transport_errors as exc:
                failure = self._transport_failure(exc)
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
        return self.dialect.token_exchange(
            lambda method: self._send_exchange(method, params)
        )

    def _send_exchange(self, method: str, params: dict[str, Any]) -> Any:
        """One exchange (see ``_exchange_request``)."""
        url, options = self._exchange_request(method, params)
        return self._token_from_exchange(self.request(method, url, **options))

    def userinfo(self, **kwargs: Any) -> UserInfo:
        """The signed-in user's normalized claims (see *Normalized claims*)."""
        signed = self._userinfo_request(kwargs)
        if signed is None:
            response = self.get(  # type: ignore[attr-defined]
                self.userinfo_url, **{**kwargs, **dict(self.read_whole_options)}
            )
        else:
            response = self.request("GET", signed[0], **signed[1])
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
        try:
            # The cancel scope bounds the whole call; cancelling it closes the
            # connection (httpx2 does not reuse a half-read one).
            with anyio.fail_after(self._call_timeout(kwargs)):
                return await super().request(  # type: ignore[misc]
                    method, url, withhold_token=withhold_token, auth=auth, **kwargs
                )
        except self._async_failures() as exc:
            failure = self._transport_failure(exc)
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
        return await self.dialect.async_token_exchange(
            lambda method: self._send_exchange(method, params)
        )

    async def _send_exchange(self, method: str, params: dict[str, Any]) -> Any:
        """One exchange (see ``_exchange_request``)."""
        url, options = self._exchange_request(method, params)
        return self._token_from_exchange(await self.request(method, url, **options))

    async def userinfo(self, **kwargs: Any) -> UserInfo:
        """The signed-in user's normalized claims."""
        signed = self._userinfo_request(kwargs)
        if signed is None:
            response = await self.get(  # type: ignore[attr-defined]
                self.userinfo_url, **{**kwargs, **dict(self.read_whole_options)}
            )
        else:
            response = await self.request("GET", signed[0], **signed[1])
        return self.dialect.userinfo_from_response(response)
