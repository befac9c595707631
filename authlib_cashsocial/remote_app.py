"""What the Flask, Starlette and Django app classes share.

Each framework module composes Authlib's own app class with one of these
mixins and adds only the code that reads its request and builds its redirect.
"""

from __future__ import annotations

import html
import importlib
import re
from typing import Any

from authlib.oidc.core import UserInfo

from .client_base import CLIENT_OPTIONS
from .compliance import ComplianceFix, auth_key_from_callback
from .errors import AuthKeyRejectedError, CashSocialError, ConfigurationError
from .login_state import PendingLogins, Session
from .provider import Settings, site_config

__all__ = [
    "APP_OPTIONS",
    "AsyncCashSocialAppMixin",
    "CashSocialAppMixin",
    "error_page",
    "register",
    "safe_next_url",
]

#: Options a registration takes besides Authlib's own.
APP_OPTIONS = (*CLIENT_OPTIONS, "login_timeout")
# Authlib options that this provider fixes, from the base URL.
_FIXED = ("authorize_url", "access_token_url", "api_base_url", "server_metadata_url")
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


class _AppBase:
    """Configuration shared by the sync and async app classes."""

    #: How the framework's config names an option, for error messages.
    config_key_hint = "{NAME}_{OPTION}"
    OAUTH_APP_CONFIG = None  # Authlib mutates a class-level dict: never share one

    #: The pool type the framework's HTTP client shares across calls.
    connections_class: Any = None

    compliance: ComplianceFix
    pending: PendingLogins
    framework: Any
    name: str
    connections: Any

    def __init__(self, framework: Any, name: str | None = None, **kwargs: Any) -> None:
        name = name or "cashsocial"
        options = {k: kwargs.pop(k) for k in APP_OPTIONS if k in kwargs}
        for key in _FIXED:
            kwargs.pop(key, None)
        try:
            settings = Settings.from_options(
                client_id=kwargs.pop("client_id", None),
                client_secret=kwargs.pop("client_secret", None),
                **options,
            )
        except ConfigurationError as exc:
            hint = self.config_key_hint.format(
                NAME=name.upper(),
                OPTION=exc.option.upper(),
                name=name,
                option=exc.option,
            )
            failure: ConfigurationError | None = ConfigurationError(
                f"{exc.description} Pass {exc.option}= to register(), or set {hint}.",
                option=exc.option,
            )
        else:
            failure = None
        if failure is not None:
            raise failure
        fix = ComplianceFix(settings)
        client_kwargs = dict(kwargs.pop("client_kwargs", None) or {})
        client_kwargs["compliance"] = fix
        # Authlib builds a new HTTP session for every call; they all draw on
        # this one pool, so a warm login opens no new connection.
        self.connections = self.connections_class.for_client_kwargs(client_kwargs)
        client_kwargs["connections"] = self.connections
        super().__init__(  # type: ignore[call-arg]
            framework,
            name,
            **site_config(settings),
            client_kwargs=client_kwargs,
            **kwargs,
        )
        self.compliance = fix
        self.pending = PendingLogins(
            framework, name, login_timeout=settings.login_timeout
        )

    def __repr__(self) -> str:
        described = self.compliance.settings.describe()
        return f"<{type(self).__name__} name={self.name!r} {described}>"

    @property
    def login_url(self) -> str:
        """The site's login link for this app: ``{base}/api/oauth?app_id=…``."""
        settings = self.compliance.settings
        return settings.endpoints.authorization_url(settings.client_id)


class CashSocialAppMixin(_AppBase):
    """Sngine behaviour for Authlib's synchronous app classes (Flask, Django)."""

    def close(self) -> None:
        """Close the app's pooled connections to the site (at shutdown)."""
        self.connections.close()

    def begin_login(self, session: Session, *, next_url: str | None = None) -> str:
        """Record a pending login in ``session`` and return the URL to send
        the browser to."""
        self.pending.begin(session, next_url=safe_next_url(next_url, "") or None)
        return self.login_url

    def finish_login(
        self, session: Session, query_string: str, *, callback_state: str | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Consume the pending login, then exchange the callback's
        ``auth_key`` and fetch the user info at once (tokens live 60 s).
        Returns the token (with ``userinfo``) and the pending login's data.
        A key the site rejects as used or replaced puts the pending login back,
        so that the newest tab of the same browser can still finish."""
        pending = self.pending.consume(session, callback_state=callback_state)
        auth_key = auth_key_from_callback("?" + query_string)
        try:
            token: dict[str, Any] = self.fetch_access_token(code=auth_key)  # type: ignore[attr-defined]
        except AuthKeyRejectedError:
            self.pending.restore(session, pending)
            raise
        token["userinfo"] = self.userinfo(token=token)
        return token, pending

    def userinfo(self, token: dict[str, Any] | None = None, **kwargs: Any) -> UserInfo:
        """The user's normalized claims; ``token`` defaults to Authlib's
        requested token, as for any provider."""
        resp = self.get(  # type: ignore[attr-defined]
            self.compliance.settings.endpoints.userinfo_url, token=token, **kwargs
        )
        return self.compliance.userinfo_from_response(resp)


class AsyncCashSocialAppMixin(_AppBase):
    """Sngine behaviour for Authlib's asynchronous app class (Starlette)."""

    async def aclose(self) -> None:
        """Close this event loop's pooled connections to the site (at
        shutdown: from the app's lifespan)."""
        await self.connections.aclose()

    async def begin_login(
        self, session: Session, *, next_url: str | None = None
    ) -> str:
        """Record a pending login in ``session`` and return the URL to send
        the browser to."""
        await self.pending.abegin(session, next_url=safe_next_url(next_url, "") or None)
        return self.login_url

    async def finish_login(
        self, session: Session, query_string: str, *, callback_state: str | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Consume the pending login, then exchange the callback's
        ``auth_key`` and fetch the user info at once (tokens live 60 s).
        Returns the token (with ``userinfo``) and the pending login's data."""
        pending = await self.pending.aconsume(session, callback_state=callback_state)
        auth_key = auth_key_from_callback("?" + query_string)
        try:
            token: dict[str, Any] = await self.fetch_access_token(code=auth_key)  # type: ignore[attr-defined]
        except AuthKeyRejectedError:
            await self.pending.arestore(session, pending)
            raise
        token["userinfo"] = await self.userinfo(token=token)
        return token, pending

    async def userinfo(
        self, token: dict[str, Any] | None = None, **kwargs: Any
    ) -> UserInfo:
        """The user's normalized claims."""
        resp = await self.get(  # type: ignore[attr-defined]
            self.compliance.settings.endpoints.userinfo_url, token=token, **kwargs
        )
        return self.compliance.userinfo_from_response(resp)


def error_page(error: CashSocialError) -> str:
    """The short HTML page the route helpers show for a failed login."""
    return (
        "<!DOCTYPE html><html><head><meta charset=utf-8><title>Login failed</title>"
        "</head><body><h1>Login with Cash Social failed</h1>"
        f"<p><code>{html.escape(str(error.error))}</code>: "
        f"{html.escape(str(error.description))}</p>"
        '<p><a href="/">Back</a></p></body></html>'
    )


# The Authlib registry module each of our framework modules serves.
_REGISTRIES = {
    "authlib.integrations.flask_client": "flask_client",
    "authlib.integrations.starlette_client": "starlette_client",
    "authlib.integrations.django_client": "django_client",
}


def _app_class_for(oauth: Any) -> type:
    for cls in type(oauth).__mro__:
        module = _REGISTRIES.get(cls.__module__)
        if module is not None:
            imported = importlib.import_module(f"{__package__}.{module}")
            app_class: type = imported.APP_CLASS
            return app_class
    raise ConfigurationError(
        f"register() takes the OAuth registry of authlib.integrations.flask_client, "
        f"starlette_client or django_client, not {type(oauth).__name__}.",
        option="oauth",
    )


def _options_from_config(oauth: Any, name: str) -> dict[str, Any]:
    # Best effort: a Flask registry without its app yet, or a Starlette one
    # without a Config, has nothing to read here; Authlib reads the
    # credentials itself later, when the app is created.
    try:
        config = oauth.load_config(name, APP_OPTIONS) or {}
    except Exception:  # any framework's "not configured yet"
        return {}
    return {k: v for k, v in config.items() if k in APP_OPTIONS and v is not None}


def register(oauth: Any, name: str = "cashsocial", **options: Any) -> Any:
    """Register Cash Social (or any Sngine site) in an Authlib registry and
    return the app, exactly like ``oauth.register("github", ...)``.

    ``oauth`` is the ``OAuth`` of ``authlib.integrations.flask_client``,
    ``starlette_client`` or ``django_client``. Options are keyword-only:
    ``client_id``/``client_secret`` (or ``app_id``/``app_secret``; otherwise
    read from the framework's config as Authlib does for every provider),
    ``base_url``, ``token_method``, ``token_lifetime``, ``login_timeout``,
    ``timeout``, ``allow_insecure``, ``uploads_url``; anything else goes to
    Authlib (``client_kwargs``, ``fetch_token``, ``update_token``, ...).

    Example::

        oauth = OAuth(app)
        authlib_cashsocial.register(oauth, client_id=APP_ID, client_secret=SECRET)
        return oauth.cashsocial.authorize_redirect()
    """
    app_class = _app_class_for(oauth)
    merged = {**_options_from_config(oauth, name), **options}
    return oauth.register(name, client_cls=app_class, **merged)
