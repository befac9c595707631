"""What the Flask, Starlette and Django app classes share.

Each framework module composes Authlib's own app class with one of these
mixins and adds only the code that reads its request (``read_request``) and
builds its answers (``redirect_response``, ``page_response``). Everything
else is written here once: starting a login or answering the confirmation
page (:meth:`CashSocialAppMixin.login_response`), finishing it
(:meth:`CashSocialAppMixin.callback_token`) and the route helpers' callback
(:meth:`CashSocialAppMixin.callback_response`); Starlette's are the
coroutines of :class:`AsyncCashSocialAppMixin`.
"""

from __future__ import annotations

import functools
import html
import inspect
import logging
import re
from collections.abc import Callable
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from authlib.oidc.core import UserInfo

from ._callback import read_callback
from ._client import token_request_keywords, without_traceback
from ._config import ConfigRead
from ._dialect import SngineDialect
from ._login_start import (
    CONFIRMATION_HEADERS,
    FETCH_SITE_HEADER,
    START_METHODS,
    confirmation_page,
    is_foreign_start,
)
from ._login_state import PendingLogins, Session
from ._options import APP_OPTIONS, Settings, reject_unknown
from ._sngine import DEFAULT_BASE_URL, DEFAULT_SITE_NAME
from .errors import (
    AccessTokenInvalidError,
    AuthKeyRejectedError,
    CallbackError,
    CashSocialError,
    ConfigurationError,
    CrossSiteLoginError,
    ProviderUnavailableError,
)
from .requests_client import CashSocialSession, SharedConnections

__all__ = [
    "FETCH_SITE_HEADER",
    "AsyncCashSocialAppMixin",
    "CashSocialAppMixin",
    "ErrorHandler",
    "Incoming",
    "LoginHandler",
    "error_page",
    "safe_next_url",
]

# Authlib registration keywords this provider has no use for: the endpoints
# come from base_url, and Sngine has no metadata document, no refresh and no
# OAuth 1. A value for one of them is a mistake, never silently dropped.
_NOT_FOR_SNGINE = (
    "authorize_url",
    "access_token_url",
    "api_base_url",
    "userinfo_endpoint",
    "server_metadata_url",
    "request_token_url",
    "request_token_params",
    "refresh_token_url",
    "refresh_token_params",
    "access_token_params",
    "authorize_params",
    "compliance_fix",
    "client_auth_methods",
)
# Authlib registration keywords that keep their usual meaning here.
_AUTHLIB_KEYWORDS = ("fetch_token", "update_token", "client_kwargs", "user_agent")
_UNSAFE_NEXT = re.compile(r"[\x00-\x1f\x7f\\]")


def safe_next_url(value: object, default: str = "/") -> str:
    """``value`` if it is a path on this site, else ``default``: never an
    open redirect (no scheme, no host, no ``//`` or backslash tricks).

    Example::

        >>> safe_next_url("/account?tab=1"), safe_next_url("//evil.example")
        ('/account?tab=1', '/')
    """
    if (
        not isinstance(value, str)
        or not value.startswith("/")
        or value.startswith("//")
        or _UNSAFE_NEXT.search(value)
        or len(value) > 2048
    ):
        return default
    return value


class Incoming(NamedTuple):
    """What the app classes read from a framework's request."""

    #: The request's HTTP method, upper case.
    method: str
    #: The framework's session (a mapping).
    session: Session
    #: The raw query string, without ``?``.
    query_string: str
    #: The ``Sec-Fetch-Site`` header, ``None`` when absent.
    fetch_site: str | None
    #: This request's path and query on this site, for the confirmation link.
    here: str


#: ``handle_login(request, token, userinfo)`` of a route helper.
LoginHandler = Callable[[Any, dict[str, Any], dict[str, Any]], Any]
#: ``handle_error(request, error)`` of a route helper.
ErrorHandler = Callable[[Any, CashSocialError], Any]

_HTML = "text/html; charset=utf-8"
_NOT_A_START = (
    "<!DOCTYPE html><html><head><meta charset=utf-8><title>Method Not Allowed"
    "</title></head><body><p>A login starts with GET or POST.</p></body></html>"
)


class _AppBase:
    """Configuration shared by the sync and async app classes, and the part
    each framework module supplies."""

    OAUTH_APP_CONFIG = None  # Authlib mutates a class-level dict: never share one

    #: The pool type the framework's HTTP client shares across calls.
    connections_class: Any = None
    client_cls: Any

    dialect: SngineDialect
    pending: PendingLogins
    framework: Any
    name: str
    connections: Any

    def __init__(
        self,
        framework: Any,
        name: str | None = None,
        *,
        oauth: Any = None,
        **kwargs: Any,
    ) -> None:
        name = name or "cashsocial"
        if oauth is None:
            raise ConfigurationError(
                f"{type(self).__name__} reads its options from the framework's "
                "configuration through the registry: register it with "
                f"authlib_cashsocial.register(oauth, {name!r}, ...) (or pass "
                "oauth=oauth to oauth.register()).",
                option="oauth",
            )
        # Authlib creates the app once the framework has its configuration
        # (a Flask app factory's init_app included): read it whole, now.
        self.config_read = self.read_config(oauth, name)
        settings = self._settings(name, kwargs, self.config_read)
        client_kwargs = dict(kwargs.pop("client_kwargs", None) or {})
        for key in client_kwargs.keys() & set(APP_OPTIONS):
            raise ConfigurationError(
                f"{key} is an option of register() itself, not of client_kwargs.",
                option=key,
            )
        reject_unknown(
            client_kwargs,
            self.client_cls.accepted_keywords() - set(APP_OPTIONS),
            where="client_kwargs",
            suggest=APP_OPTIONS,
        )
        dialect = SngineDialect(settings)
        client_kwargs["dialect"] = dialect
        # Authlib builds a new HTTP session for every call; they all draw on
        # this one pool, so a warm login opens no new connection.
        self.connections = self.connections_class.for_client_kwargs(
            client_kwargs, pool_size=settings.pool_size
        )
        client_kwargs["connections"] = self.connections
        super().__init__(  # type: ignore[call-arg]
            framework,
            name,
            **settings.authlib_keywords(),
            client_kwargs=client_kwargs,
            **kwargs,
        )
        self.dialect = dialect
        self.pending = PendingLogins(
            framework, name, login_timeout=settings.login_timeout
        )

    def _settings(
        self, name: str, kwargs: dict[str, Any], config: ConfigRead
    ) -> Settings:
        """Pop and validate this package's options; leave Authlib's. A
        keyword given to ``register()`` wins over the configuration, as in
        Authlib; an error names the key a value came from."""
        names: dict[str, str] = {}
        for option, value in config.values.items():
            if option in APP_OPTIONS and option not in kwargs:
                kwargs[option] = value
            if option in kwargs and kwargs[option] == value:  # the config's value
                names[option] = config.keys[option]
        for key in _NOT_FOR_SNGINE:
            if kwargs.pop(key, None) is not None:
                raise ConfigurationError(
                    f"{names.get(key, key)} has no use with an Sngine site: the "
                    "endpoints come from base_url, and the site has no metadata "
                    "document, refresh or OAuth 1 flow. Remove it (set base_url "
                    "for another site).",
                    option=key,
                )
        options = {k: kwargs.pop(k) for k in APP_OPTIONS if k in kwargs}
        credentials = {k: kwargs.pop(k, None) for k in ("client_id", "client_secret")}
        reject_unknown(
            kwargs,
            (*_AUTHLIB_KEYWORDS, *APP_OPTIONS, *credentials),
            where=f"register({name!r}, ...)",
        )
        try:
            return Settings.from_options(**credentials, **options, names=names)
        except ConfigurationError as exc:
            if exc.option in names:
                raise  # the text names the key already
            failure = ConfigurationError(
                f"{exc.description} Pass {exc.option}= to register(), or set "
                f"{config.spell(exc.option)}.",
                option=exc.option,
            )
        raise failure

    def read_config(self, oauth: Any, name: str) -> ConfigRead:
        """Every option the framework's configuration holds for the
        registration ``name`` of the registry ``oauth`` (the framework
        module's part)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        described = self.dialect.settings.describe()
        return f"<{type(self).__name__} name={self.name!r} {described}>"

    @functools.cached_property
    def login_url(self) -> str:
        """The site's login link for this app: ``{base}/api/oauth?app_id=…``
        (worked out once: the app's settings do not change)."""
        settings = self.dialect.settings
        return settings.endpoints.authorization_url(settings.client_id)

    @staticmethod
    def _check_start(fetch_site: str | None) -> None:
        if is_foreign_start(fetch_site):
            raise CrossSiteLoginError(
                "The browser says another site asked for this login start "
                "(Sec-Fetch-Site); no pending login was created."
            )

    def confirmation(self, continue_url: str) -> tuple[str, dict[str, str]]:
        """The page (and its headers) that ``authorize_redirect`` answers
        instead of starting a login another site asked for: one link back to
        ``continue_url``, a path on this site."""
        base_url = self.dialect.settings.endpoints.base_url
        address = urlsplit(base_url).netloc
        page = confirmation_page(
            safe_next_url(continue_url),
            # the site by its name where it has one, else by its address
            site_name=DEFAULT_SITE_NAME if base_url == DEFAULT_BASE_URL else address,
            site_address=address,
        )
        return page, dict(CONFIRMATION_HEADERS)

    def _token_keywords(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        return token_request_keywords(
            kwargs,
            self.client_cls.SESSION_REQUEST_PARAMS,
            where="authorize_access_token()",
        )

    # The framework module's part.

    def read_request(self, request: Any) -> Incoming:
        """The session, query string, Fetch Metadata and own URL of the
        framework's ``request``."""
        raise NotImplementedError

    def redirect_response(self, url: str) -> Any:
        """The framework's 302 answer to ``url``."""
        raise NotImplementedError

    def page_response(self, page: str, status: int, headers: dict[str, str]) -> Any:
        """The framework's answer with an HTML ``page`` (``headers`` carry
        its ``Content-Type``)."""
        raise NotImplementedError

    # Built on that part.

    def _start_refusal(self, incoming: Incoming) -> Any:
        """The answer to a login start by a method other than GET or POST (a
        ``HEAD``, CORS-safelisted, above all): 405, nothing stored; else None."""
        if incoming.method in START_METHODS:
            return None
        headers = {"Content-Type": _HTML, "Allow": ", ".join(START_METHODS)}
        return self.page_response(_NOT_A_START, 405, headers)

    def _confirmation_response(self, incoming: Incoming) -> Any:
        page, headers = self.confirmation(incoming.here)
        return self.page_response(page, 200, {"Content-Type": _HTML, **headers})

    def error_response(self, request: Any, error: CashSocialError) -> Any:
        """The route helpers' default ``handle_error``: a short 400 page that
        tells the visitor what they can do, and a record on the
        ``authlib_cashsocial`` logger that tells the developer what went
        wrong and how to fix it (the error's code and description)."""
        logger.log(
            _log_level(error),
            "Cash Social login failed (%s): %s",
            error.error,
            error.description,
        )
        page = error_page(error, site_name=self._site_name())
        return self.page_response(page, 400, {"Content-Type": _HTML})

    def _site_name(self) -> str:
        return urlsplit(self.dialect.settings.endpoints.base_url).hostname or ""


class CashSocialAppMixin(_AppBase):
    """Sngine behaviour for Authlib's synchronous app classes (Flask, Django),
    whose HTTP client is requests."""

    client_cls = CashSocialSession
    connections_class = SharedConnections

    def close(self) -> None:
        """Close the app's pooled connections to the site (at shutdown)."""
        self.connections.close()

    def begin_login(
        self,
        session: Session,
        *,
        fetch_site: str | None,
        next_url: str | None = None,
    ) -> str:
        """Record a pending login in ``session`` and return the URL to send
        the browser to. ``fetch_site`` is the request's ``Sec-Fetch-Site``
        header (``None`` when absent): a start that the browser marks as
        coming from another site raises
        :class:`~authlib_cashsocial.errors.CrossSiteLoginError` and records
        nothing."""
        self._check_start(fetch_site)
        self.pending.begin(session, next_url=safe_next_url(next_url, "") or None)
        return self.login_url

    def finish_login(
        self,
        session: Session,
        query_string: str,
        **kwargs: Any,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Consume the pending login, then exchange the callback's
        ``auth_key`` and fetch the user info at once (tokens live 60 s).
        Returns the token (with ``userinfo``) and the pending login's data.
        ``kwargs`` are request options for the exchange (``headers``,
        ``timeout``). A key the site rejects as used or replaced puts the
        pending login back, so that the newest tab of the same browser can
        still finish."""
        params = self._token_keywords(kwargs)
        callback = "?" + query_string
        auth_key, state = read_callback(callback)  # before touching the login
        pending = self.pending.consume(session, callback_state=state)
        # One per-call client for both requests: the user info needs the
        # token just fetched, nothing else differs. _get_oauth_client is
        # Authlib's own (private) factory, the one its fetch_access_token and
        # request use; every login test of the three apps fails loudly if
        # Authlib renames it.
        metadata = self.load_server_metadata()  # type: ignore[attr-defined]
        with self._get_oauth_client(**metadata) as client:  # type: ignore[attr-defined]
            try:
                client.fetch_token(
                    self.access_token_url,  # type: ignore[attr-defined]
                    code=auth_key,
                    **params,
                )
            except AuthKeyRejectedError:
                self.pending.restore(session, pending)
                raise
            # The token stays on the client (not in a local of this frame)
            # until the user info is read: error trackers print frame locals.
            userinfo = client.userinfo()
            token: dict[str, Any] = client.token
        token["userinfo"] = userinfo
        return token, pending

    def login_response(self, request: Any, *, next_url: str | None = None) -> Any:
        """``authorize_redirect``: record a pending login and redirect to the
        site, or answer the confirmation page when another site asked for
        this start."""
        incoming = self.read_request(request)
        refusal = self._start_refusal(incoming)
        if refusal is not None:
            return refusal
        try:
            url = self.begin_login(
                incoming.session, fetch_site=incoming.fetch_site, next_url=next_url
            )
        except CrossSiteLoginError:
            return self._confirmation_response(incoming)
        return self.redirect_response(url)

    def callback_token(self, request: Any, **kwargs: Any) -> dict[str, Any]:
        """``authorize_access_token``: :meth:`finish_login` for ``request``."""
        incoming = self.read_request(request)
        token, _pending = self.finish_login(
            incoming.session, incoming.query_string, **kwargs
        )
        return token

    def callback_response(
        self,
        request: Any,
        *,
        handle_login: LoginHandler,
        handle_error: ErrorHandler | None = None,
    ) -> Any:
        """The route helpers' callback: finish the login, then the user's
        handlers.

        ``handle_login(request, token, userinfo)`` runs after a successful
        login; if it returns ``None`` the user goes to the ``next`` path
        given to the login route (same site only), else to ``/``; anything
        else is the answer. ``handle_error(request, error)`` gets any
        :class:`~authlib_cashsocial.errors.CashSocialError` and gives the
        answer (default: ``error_response``, a short 400 page)."""
        incoming = self.read_request(request)
        try:
            token, pending = self.finish_login(incoming.session, incoming.query_string)
        except CashSocialError as error:
            return (handle_error or self.error_response)(request, error)
        response = handle_login(request, token, token["userinfo"])
        if response is None:
            return self.redirect_response(safe_next_url(pending.get("next")))
        return response

    def request(self, method: str, url: str, token: Any = None, **kwargs: Any) -> Any:
        """Authlib's ``request`` (and so ``get``, ``post``...), with this
        package's errors raised from here: the frames below hold the token
        (see :func:`~authlib_cashsocial._client.without_traceback`)."""
        try:
            return super().request(method, url, token=token, **kwargs)  # type: ignore[misc]
        except CashSocialError as exc:
            failure = without_traceback(exc)
        del token, kwargs  # error trackers print frame locals
        raise failure

    def userinfo(self, token: dict[str, Any] | None = None, **kwargs: Any) -> UserInfo:
        """The user's normalized claims; ``token`` defaults to Authlib's
        requested token, as for any provider."""
        url = self.dialect.settings.endpoints.userinfo_url
        resp = self.request("GET", url, token=token, **kwargs)
        del token  # error trackers print frame locals
        return self.dialect.userinfo_from_response(resp)


class AsyncCashSocialAppMixin(_AppBase):
    """Sngine behaviour for Authlib's asynchronous app class (Starlette)."""

    async def aclose(self) -> None:
        """Close this event loop's pooled connections to the site (at
        shutdown: from the app's lifespan)."""
        await self.connections.aclose()

    async def begin_login(
        self,
        session: Session,
        *,
        fetch_site: str | None,
        next_url: str | None = None,
    ) -> str:
        """:meth:`CashSocialAppMixin.begin_login`, as a coroutine."""
        self._check_start(fetch_site)
        await self.pending.abegin(session, next_url=safe_next_url(next_url, "") or None)
        return self.login_url

    async def finish_login(
        self,
        session: Session,
        query_string: str,
        **kwargs: Any,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """:meth:`CashSocialAppMixin.finish_login`, as a coroutine."""
        params = self._token_keywords(kwargs)
        callback = "?" + query_string
        auth_key, state = read_callback(callback)  # before touching the login
        pending = await self.pending.aconsume(session, callback_state=state)
        metadata = await self.load_server_metadata()  # type: ignore[attr-defined]
        # Authlib's per-call client factory (see CashSocialAppMixin.finish_login).
        async with self._get_oauth_client(**metadata) as client:  # type: ignore[attr-defined]
            try:
                await client.fetch_token(
                    self.access_token_url,  # type: ignore[attr-defined]
                    code=auth_key,
                    **params,
                )
            except AuthKeyRejectedError:
                await self.pending.arestore(session, pending)
                raise
            userinfo = await client.userinfo()  # the token stays on the client
            token: dict[str, Any] = client.token
        token["userinfo"] = userinfo
        return token, pending

    async def login_response(self, request: Any, *, next_url: str | None = None) -> Any:
        """:meth:`CashSocialAppMixin.login_response`, as a coroutine."""
        incoming = self.read_request(request)
        refusal = self._start_refusal(incoming)
        if refusal is not None:
            return refusal
        try:
            url = await self.begin_login(
                incoming.session, fetch_site=incoming.fetch_site, next_url=next_url
            )
        except CrossSiteLoginError:
            return self._confirmation_response(incoming)
        return self.redirect_response(url)

    async def callback_token(self, request: Any, **kwargs: Any) -> dict[str, Any]:
        """:meth:`CashSocialAppMixin.callback_token`, as a coroutine."""
        incoming = self.read_request(request)
        token, _pending = await self.finish_login(
            incoming.session, incoming.query_string, **kwargs
        )
        return token

    async def callback_response(
        self,
        request: Any,
        *,
        handle_login: LoginHandler,
        handle_error: ErrorHandler | None = None,
    ) -> Any:
        """:meth:`CashSocialAppMixin.callback_response`, as a coroutine; the
        handlers may be coroutines."""
        incoming = self.read_request(request)
        try:
            token, pending = await self.finish_login(
                incoming.session, incoming.query_string
            )
        except CashSocialError as error:
            on_error = handle_error or self.error_response
            return await _maybe_await(on_error(request, error))
        response = await _maybe_await(handle_login(request, token, token["userinfo"]))
        if response is None:
            return self.redirect_response(safe_next_url(pending.get("next")))
        return response

    async def request(
        self, method: str, url: str, token: Any = None, **kwargs: Any
    ) -> Any:
        """:meth:`CashSocialAppMixin.request`, as a coroutine."""
        try:
            return await super().request(method, url, token=token, **kwargs)  # type: ignore[misc]
        except CashSocialError as exc:
            failure = without_traceback(exc)
        del token, kwargs  # error trackers print frame locals
        raise failure

    async def userinfo(
        self, token: dict[str, Any] | None = None, **kwargs: Any
    ) -> UserInfo:
        """The user's normalized claims."""
        url = self.dialect.settings.endpoints.userinfo_url
        resp = await self.request("GET", url, token=token, **kwargs)
        del token  # error trackers print frame locals
        return self.dialect.userinfo_from_response(resp)


#: The package's logger: the route helpers' default error page writes the
#: developer's half of a failed login here.
logger = logging.getLogger("authlib_cashsocial")

# What a visitor can do about a failed login: the developer's advice (check
# client_secret...) goes to the log, never to the page.
_TRY_AGAIN = (
    "The login did not go through: it may have taken too long, or been "
    "started in another tab or browser. Please try again."
)
_SITE_DOWN = "{site} is not answering right now. Please try again in a few minutes."
_UNAVAILABLE = (
    "Logging in with {site} is not available on this site right now. "
    "Please try again later."
)
# Failures a visitor (or a forged link) causes, which a new login fixes.
_VISITOR_SIDE = (
    CallbackError,
    CrossSiteLoginError,
    AuthKeyRejectedError,
    AccessTokenInvalidError,
)


def _log_level(error: CashSocialError) -> int:
    if isinstance(error, _VISITOR_SIDE):
        return logging.INFO
    if isinstance(error, ProviderUnavailableError):
        return logging.WARNING
    return logging.ERROR  # the app's settings, or the site: the developer's


def error_page(error: CashSocialError, *, site_name: str = "the site") -> str:
    """The short HTML page the route helpers show for a failed login: what
    the visitor can do (try again, or wait for ``site_name``), and the
    error's code for a support request; never the developer's advice, which
    the route helpers' ``error_response`` logs.

    Example::

        >>> from authlib_cashsocial import ConfigurationError
        >>> page = error_page(ConfigurationError("Set client_secret.", option="x"))
        >>> "not available" in page, "client_secret" in page
        (True, False)
    """
    if isinstance(error, _VISITOR_SIDE):
        advice = _TRY_AGAIN
    elif isinstance(error, ProviderUnavailableError):
        advice = _SITE_DOWN.format(site=site_name)
    else:
        advice = _UNAVAILABLE.format(site=site_name)
    return (
        "<!DOCTYPE html><html><head><meta charset=utf-8><title>Login failed</title>"
        "</head><body><h1>Login failed</h1>"
        f"<p>{html.escape(advice)}</p>"
        f"<p><small>Error code: <code>{html.escape(str(error.error))}</code>"
        "</small></p>"
        '<p><a href="/">Back to the home page</a></p></body></html>'
    )


async def _maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value
