"""The options of a client or a registration: one list, read by the
validation, the clients, ``register()`` and the docs.

:data:`OPTIONS` names each option once, with its default and meaning;
:meth:`Settings.from_options` turns user input into validated
:class:`Settings` (the site's :class:`Endpoints` included) or raises
:class:`~authlib_cashsocial.errors.ConfigurationError` naming the option.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import SplitResult, quote, urlencode, urlsplit

from ._sngine import (
    API_PATH,
    APP_ID_PARAM,
    AUTHORIZE_PATH,
    DEFAULT_BASE_URL,
    TOKEN_PATH,
    UPLOADS_PATH,
    USERINFO_PATH,
)
from .errors import ConfigurationError

__all__ = [
    "APP_OPTIONS",
    "CLIENT_OPTIONS",
    "OPTIONS",
    "TOKEN_METHODS",
    "Endpoints",
    "Option",
    "Settings",
    "TokenMethod",
    "reject_unknown",
]

TokenMethod = Literal["auto", "post", "get"]
#: ``post``: form body (Sngine 4.0.4 and later); ``get``: query string (up to
#: 4.0.3, and what the developer page shows); ``auto``: either, learned.
TOKEN_METHODS: tuple[TokenMethod, ...] = ("auto", "post", "get")

_LOOPBACK_NAMES = frozenset({"localhost", "localhost.", "ip6-localhost"})
# A base_url copied from the site's developer page: ".../api/oauth?app_id=".
_API_SUFFIX = re.compile(r"/api(/[a-z_]*)?/*$")
# The characters quote() never escapes: a user name of only these is its own
# URL path segment.


@dataclass(frozen=True)
class Option:
    """One option: its name, default, and what it means (the docs' table)."""

    name: str
    default: Any
    meaning: str
    #: ``client``: every client and registration; ``app``: registrations only.
    scope: Literal["client", "app"] = "client"


#: Every option this package adds to Authlib's own, in the docs' order.
OPTIONS: tuple[Option, ...] = (
    Option(
        "client_id",
        None,
        "The site's ``app_id``, from its app dashboard; required. A number is "
        "taken as text.",
    ),
    Option("client_secret", None, "The site's ``app_secret``; required."),
    Option("app_id", None, "Alias of ``client_id``, in the site's own words."),
    Option("app_secret", None, "Alias of ``client_secret``."),
    Option(
        "base_url",
        DEFAULT_BASE_URL,
        "Any Sngine site, in a sub-folder too; every endpoint is derived from "
        "it. Trailing slashes are ignored. An ``http://`` URL is refused unless "
        "the host is loopback or ``allow_insecure`` is set.",
    ),
    Option(
        "allow_insecure",
        False,
        "Accept an ``http://`` ``base_url`` on a non-loopback host (the secret "
        "and tokens then cross the network in clear text).",
    ),
    Option(
        "token_method",
        "auto",
        "``post``: the exchange's three values in a form body (Sngine 4.0.4 "
        "and later). ``get``: in the query string (older releases, and what the "
        "site's page shows). ``auto``: POST first; a ``Bad Request, invalid "
        "app_id`` answer (which uses nothing up) makes the client retry once in "
        "the query and remember that. The secret goes into a URL only for a "
        "server that needs it.",
    ),
    Option(
        "token_lifetime",
        60,
        "Seconds, for ``expires_in`` and ``expires_at``: how long the site "
        "keeps a token. The developer page promises an hour; **every Sngine "
        "release checked expires tokens after 60 seconds** (measured on 2.7 "
        "and 3.13, not extended by use). Set it only for a site changed to "
        "keep them longer.",
    ),
    Option("timeout", 10.0, "Seconds for every request to the site."),
    Option(
        "max_response_size",
        1024 * 1024,
        "Bytes of an answer a client reads at most (Sngine's are a few "
        "kilobytes); a larger one is an ``UnexpectedResponseError``, with "
        "bounded memory.",
    ),
    Option(
        "pool_size",
        100,
        "Keep-alive connections to the site that a client's pool, or a "
        "registered app's shared pool, keeps open at most (urllib3's "
        "``pool_maxsize``; httpx2's ``max_keepalive_connections``, with "
        "``max_connections`` at least as large). Sized for a burst of 100 "
        "concurrent logins: each then opens at most one new connection. "
        "``limits=`` in ``client_kwargs`` (httpx2) wins over it.",
    ),
    Option(
        "uploads_url",
        None,
        "Where the site keeps uploads, for sites that serve them from a CDN; "
        "used to make relative picture paths absolute. Default: "
        "``{base_url}/content/uploads/``.",
    ),
    Option(
        "login_timeout",
        600,
        "Seconds a pending login waits for its callback (framework "
        "registrations only; see *Security*).",
        scope="app",
    ),
)

_BY_NAME = {option.name: option for option in OPTIONS}
_CREDENTIALS = ("client_id", "client_secret")
#: What a client takes besides its credentials and its HTTP library's options.
CLIENT_OPTIONS = tuple(
    o.name for o in OPTIONS if o.scope == "client" and o.name not in _CREDENTIALS
)
#: What a registration takes besides Authlib's own options.
APP_OPTIONS = tuple(o.name for o in OPTIONS if o.name not in _CREDENTIALS)


def reject_unknown(
    given: Mapping[str, Any],
    accepted: Collection[str],
    *,
    where: str,
    suggest: Collection[str] = (),
) -> None:
    """Raise :class:`~authlib_cashsocial.errors.ConfigurationError` for the
    first name in ``given`` that is not ``accepted``, with a did-you-mean:
    a typo must never fall back to a default (and so to the real site)."""
    if not given:
        return
    known = accepted if isinstance(accepted, (set, frozenset)) else set(accepted)
    for name in sorted(given.keys() - known):
        candidates = sorted({*accepted, *suggest})
        close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ConfigurationError(
            f"{where} got an unknown option {name!r}.{hint} See the "
            "Configuration page of the docs for every option.",
            option=name,
        )


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _shown(url: str) -> str:
    """``url`` as an error may show it: no user, password, query or fragment."""
    parts = urlsplit(url.strip())
    if not parts.netloc:
        # "user:pw@host" parses as scheme "user" and path "pw@host": show
        # only what follows the last "@"
        return re.split(r"[?#]", url.strip().rpartition("@")[2])[0][:200]
    host = parts.hostname or ""
    port = f":{parts.port}" if _has_port(parts) else ""
    scheme = f"{parts.scheme}://" if parts.scheme else ""
    return f"{scheme}{host}{port}{parts.path}"[:200]


def _has_port(parts: SplitResult) -> bool:
    try:
        return parts.port is not None
    except ValueError:
        return False


def _site_url(
    url: object, *, option: str, allow_insecure: bool, shown: str | None = None
) -> str:
    """Return ``url`` without trailing slashes, or raise naming ``option``
    (as ``shown``: the key the user set). No error text repeats a user,
    password or query found in ``url``."""
    key = shown or option
    if not isinstance(url, str) or not url.strip():
        raise ConfigurationError(
            f"{key} must be the site's address, such as {DEFAULT_BASE_URL!r}, "
            f"not {_kind(url)}.",
            option=option,
        )
    parts = urlsplit(url.strip())
    if parts.username or parts.password:
        raise ConfigurationError(
            f"{key} must not carry a user or password ({_shown(url)!r}, shown "
            "without them).",
            option=option,
        )
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"{key} must be an absolute http(s) URL such as "
            f"{DEFAULT_BASE_URL!r}, not {_shown(url)!r}.",
            option=option,
        )
    api = _API_SUFFIX.search(parts.path)
    if option == "base_url" and api is not None:
        root = f"{parts.scheme}://{parts.netloc}{parts.path[: api.start()]}"
        raise ConfigurationError(
            f"{key} must be the site's root address, not an API URL: "
            f"use {key}={root.rstrip('/')!r} (this package adds "
            f"{parts.path[api.start() :]!r} and the rest itself).",
            option=option,
        )
    if parts.query or parts.fragment:
        raise ConfigurationError(
            f"{key} must not carry a query or fragment ({_shown(url)!r}, shown "
            "without them).",
            option=option,
        )
    if (
        parts.scheme == "http"
        and not allow_insecure
        and not _is_loopback(parts.hostname)
    ):
        raise ConfigurationError(
            f"{key} {_shown(url)!r} uses http://, which would send app_secret "
            "and access tokens in clear text. Use https://, or pass "
            "allow_insecure=True if you really mean it.",
            option=option,
        )
    return f"{parts.scheme}://{parts.netloc}{parts.path}".rstrip("/")


@dataclass(frozen=True)
class Endpoints:
    """The URLs of one Sngine site, derived from its base URL.

    Example::

        >>> ep = Endpoints.from_base_url("https://cs.moneypoolscash.com/")
        >>> ep.token_url
        'https://cs.moneypoolscash.com/api/authorize'
        >>> ep.authorization_url("42")
        'https://cs.moneypoolscash.com/api/oauth?app_id=42'
    """

    base_url: str
    authorize_url: str
    token_url: str
    userinfo_url: str
    api_base_url: str
    uploads_url: str

    @classmethod
    def from_base_url(
        cls,
        base_url: str = DEFAULT_BASE_URL,
        *,
        uploads_url: str | None = None,
        allow_insecure: bool = False,
        names: Mapping[str, str] | None = None,
    ) -> Endpoints:
        names = names or {}
        base = _site_url(
            base_url,
            option="base_url",
            allow_insecure=allow_insecure,
            shown=names.get("base_url"),
        )
        if uploads_url is None:
            uploads = f"{base}/{UPLOADS_PATH}"
        else:
            uploads = (
                _site_url(
                    uploads_url,
                    option="uploads_url",
                    allow_insecure=True,
                    shown=names.get("uploads_url"),
                )
                + "/"
            )
        return cls(
            base_url=base,
            authorize_url=f"{base}/{AUTHORIZE_PATH}",
            token_url=f"{base}/{TOKEN_PATH}",
            userinfo_url=f"{base}/{USERINFO_PATH}",
            api_base_url=f"{base}/{API_PATH}",
            uploads_url=uploads,
        )

    def authorization_url(self, app_id: str) -> str:
        """The login link: exactly ``{base}/api/oauth?app_id=…``."""
        return f"{self.authorize_url}?{urlencode({APP_ID_PARAM: app_id})}"

    def profile_url(self, user_name: str) -> str:
        """The public profile page of ``user_name``."""
        return f"{self.base_url}/{quote(user_name, safe='')}"

    def authlib_keywords(self) -> dict[str, str]:
        """The Authlib app keywords that name the site's URLs."""
        return {
            "authorize_url": self.authorize_url,
            "access_token_url": self.token_url,
            "api_base_url": self.api_base_url,
            "userinfo_endpoint": self.userinfo_url,
        }


@dataclass(frozen=True)
class Settings:
    """Validated options of one Cash Social client or registration.

    Example::

        >>> s = Settings.from_options(client_id="42", client_secret="s3cret")
        >>> s.endpoints.base_url, s.token_method, s.token_lifetime
        ('https://cs.moneypoolscash.com', 'auto', 60)
        >>> "s3cret" in repr(s)
        False
    """

    client_id: str
    client_secret: str = field(repr=False)
    endpoints: Endpoints
    token_method: TokenMethod
    token_lifetime: int
    login_timeout: int
    timeout: float
    max_response_size: int
    pool_size: int = 100

    def describe(self) -> str:
        """What a repr may show of these settings (never the secret)."""
        return f"client_id={self.client_id!r} base_url={self.endpoints.base_url!r}"

    @classmethod
    def from_options(
        cls, *, names: Mapping[str, str] | None = None, **options: Any
    ) -> Settings:
        """Validate every option of :data:`OPTIONS`; a mistake raises
        :class:`~authlib_cashsocial.errors.ConfigurationError` whose
        ``option`` names the setting to fix. ``names`` maps an option to the
        key the user set it with (``CASHSOCIAL_TIMEOUT`` in a Flask config):
        the error text then names that key."""
        names = names or {}
        reject_unknown(options, _BY_NAME, where="Settings")
        values = {o.name: options.get(o.name, o.default) for o in OPTIONS}

        def shown(option: str) -> str:
            return names.get(option, option)

        client_id = _credential(
            values["client_id"],
            values["app_id"],
            "client_id",
            "app_id",
            shown=names.get("client_id") or names.get("app_id") or "client_id",
        )
        client_secret = _credential(
            values["client_secret"],
            values["app_secret"],
            "client_secret",
            "app_secret",
            shown=names.get("client_secret")
            or names.get("app_secret")
            or "client_secret",
        )
        token_method = values["token_method"]
        if token_method not in TOKEN_METHODS:
            raise ConfigurationError(
                f"{shown('token_method')} must be one of {', '.join(TOKEN_METHODS)}, "
                f"not {_kind(token_method)}.",
                option="token_method",
            )
        _check_number(values, "timeout", shown, unit="seconds", whole=False)
        _check_number(values, "token_lifetime", shown, unit="seconds", whole=True)
        _check_number(values, "login_timeout", shown, unit="seconds", whole=True)
        _check_number(values, "max_response_size", shown, unit="bytes", whole=True)
        _check_number(values, "pool_size", shown, unit="connections", whole=True)
        if not isinstance(values["allow_insecure"], bool):
            raise ConfigurationError(
                f"{shown('allow_insecure')} must be True or False, not "
                f"{_kind(values['allow_insecure'])}.",
                option="allow_insecure",
            )
        return cls(
            client_id=client_id,
            client_secret=client_secret,
            endpoints=Endpoints.from_base_url(
                values["base_url"],
                uploads_url=values["uploads_url"],
                allow_insecure=values["allow_insecure"],
                names=names,
            ),
            token_method=token_method,
            token_lifetime=values["token_lifetime"],
            login_timeout=values["login_timeout"],
            timeout=values["timeout"],
            max_response_size=values["max_response_size"],
            pool_size=values["pool_size"],
        )

    def authlib_keywords(self) -> dict[str, str]:
        """The Authlib app keywords that name the site: credentials and URLs."""
        return {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            **self.endpoints.authlib_keywords(),
        }


def _kind(value: object) -> str:
    """A value as an error may name it: short text quoted, else its type."""
    if isinstance(value, str) and len(value) <= 40:
        return repr(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(value)
    return type(value).__name__


def _check_number(
    values: dict[str, Any],
    option: str,
    shown: Callable[[str], str],
    *,
    unit: str,
    whole: bool,
) -> None:
    value = values[option]
    number = not isinstance(value, bool) and isinstance(value, (int, float))
    if number and value > 0 and (not whole or float(value).is_integer()):
        values[option] = int(value) if whole else float(value)
        return
    amount = f"a whole number of {unit}" if whole else f"a number of {unit}"
    raise ConfigurationError(
        f"{shown(option)} must be {amount}, greater than 0, not {_kind(value)}.",
        option=option,
    )


def _credential(
    value: object, alias: object, option: str, alias_name: str, *, shown: str
) -> str:
    if value is not None and alias is not None and value != alias:
        raise ConfigurationError(
            f"{option} and its alias {alias_name} are both given, with different "
            "values: pass only one.",
            option=option,
        )
    value = value if value is not None else alias
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if value is not None and not isinstance(value, str):
        kind = (
            "bytes" if isinstance(value, (bytes, bytearray)) else type(value).__name__
        )
        raise ConfigurationError(
            f"{shown} (the site's {alias_name}) must be text (str), not {kind}.",
            option=option,
        )
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(
            f"{shown} (the site's {alias_name}) is missing: copy it from the "
            "site's app dashboard (Developers > Apps).",
            option=option,
        )
    return value.strip()
