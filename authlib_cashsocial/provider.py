"""What an Sngine site is: its endpoints, parameter names, defaults and messages.

Everything here is framework-free and is the only place that knows the
provider's URLs and names (see ``PROVIDER.md`` in the docs, *Provider facts*).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote, urlencode, urlsplit

from .errors import ConfigurationError

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_LOGIN_TIMEOUT",
    "DEFAULT_TIMEOUT",
    "DEFAULT_TOKEN_LIFETIME",
    "STOCK_TOKEN_LIFETIME",
    "TOKEN_METHODS",
    "Endpoints",
    "Settings",
    "TokenMethod",
    "register_config",
    "site_config",
]

DEFAULT_BASE_URL = "https://cs.moneypoolscash.com"

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

# The literal messages every Sngine release answers (as HTTP 200 bodies).
# Other errors are translated into the site's language: never match on those.
MESSAGE_INVALID_APP_ID = "Bad Request, invalid app_id"
MESSAGE_INVALID_APP_SECRET = "invalid app_secret"
MESSAGE_INVALID_AUTH_KEY = "invalid auth_key"
MESSAGE_INVALID_ACCESS_TOKEN = "invalid access_token"
MESSAGE_EXPIRED_ACCESS_TOKEN = "expired access_token"
MESSAGE_INVALID_PARAMETERS = "invalid parameters"

TokenMethod = Literal["auto", "post", "get"]
#: ``post``: form body (Sngine 4.0.4 and later); ``get``: query string (up to
#: 4.0.3, and what the developer page shows); ``auto``: either, learned.
TOKEN_METHODS: tuple[TokenMethod, ...] = ("auto", "post", "get")

#: What the developer page promises; used for ``expires_in`` by default.
DEFAULT_TOKEN_LIFETIME = 3600
#: What every stock Sngine release checked actually enforces.
STOCK_TOKEN_LIFETIME = 60
DEFAULT_LOGIN_TIMEOUT = 600
DEFAULT_TIMEOUT = 10.0
#: Sngine's answers are a few kilobytes; a client reads at most this much.
DEFAULT_MAX_RESPONSE_SIZE = 1024 * 1024
#: Sngine issues 32-hex-digit keys; anything far longer is not one of its keys.
MAX_AUTH_KEY_LENGTH = 128

_LOOPBACK_NAMES = frozenset({"localhost", "localhost.", "ip6-localhost"})


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _site_url(url: str, *, option: str, allow_insecure: bool) -> str:
    """Return ``url`` without trailing slashes, or raise naming ``option``."""
    if not isinstance(url, str) or not url.strip():
        raise ConfigurationError(
            f"{option} must be the site's address, such as {DEFAULT_BASE_URL!r}.",
            option=option,
        )
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"{option} must be an absolute http(s) URL such as "
            f"{DEFAULT_BASE_URL!r}, not {url!r}.",
            option=option,
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ConfigurationError(
            f"{option} must not carry a query, fragment or credentials: {url!r}.",
            option=option,
        )
    if (
        parts.scheme == "http"
        and not allow_insecure
        and not _is_loopback(parts.hostname)
    ):
        raise ConfigurationError(
            f"{option} {url!r} uses http://, which would send app_secret and "
            "access tokens in clear text. Use https://, or pass "
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
    ) -> Endpoints:
        base = _site_url(base_url, option="base_url", allow_insecure=allow_insecure)
        if uploads_url is None:
            uploads = f"{base}/{UPLOADS_PATH}"
        else:
            uploads = (
                _site_url(uploads_url, option="uploads_url", allow_insecure=True) + "/"
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


@dataclass(frozen=True)
class Settings:
    """Validated options of one Cash Social client or registration.

    Example::

        >>> s = Settings.from_options(client_id="42", client_secret="s3cret")
        >>> s.endpoints.base_url, s.token_method, s.token_lifetime
        ('https://cs.moneypoolscash.com', 'auto', 3600)
        >>> "s3cret" in repr(s)
        False
    """

    client_id: str
    client_secret: str = field(repr=False)
    endpoints: Endpoints
    token_method: TokenMethod = "auto"
    token_lifetime: int = DEFAULT_TOKEN_LIFETIME
    login_timeout: int = DEFAULT_LOGIN_TIMEOUT
    timeout: float = DEFAULT_TIMEOUT
    max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE

    def describe(self) -> str:
        """What a repr may show of these settings (never the secret)."""
        return f"client_id={self.client_id!r} base_url={self.endpoints.base_url!r}"

    @classmethod
    def from_options(
        cls,
        *,
        client_id: object = None,
        client_secret: object = None,
        app_id: object = None,
        app_secret: object = None,
        base_url: str = DEFAULT_BASE_URL,
        uploads_url: str | None = None,
        token_method: str = "auto",
        token_lifetime: int = DEFAULT_TOKEN_LIFETIME,
        login_timeout: int = DEFAULT_LOGIN_TIMEOUT,
        timeout: float = DEFAULT_TIMEOUT,
        max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE,
        allow_insecure: bool = False,
    ) -> Settings:
        """Validate every option; a mistake raises
        :class:`~authlib_cashsocial.errors.ConfigurationError`
        whose ``option`` names the setting to fix."""
        client_id = _credential(client_id, app_id, "client_id", "app_id")
        client_secret = _credential(
            client_secret, app_secret, "client_secret", "app_secret"
        )
        if token_method not in TOKEN_METHODS:
            raise ConfigurationError(
                f"token_method must be one of {', '.join(TOKEN_METHODS)}, "
                f"not {token_method!r}.",
                option="token_method",
            )
        for option, value in (
            ("token_lifetime", token_lifetime),
            ("login_timeout", login_timeout),
            ("timeout", timeout),
            ("max_response_size", max_response_size),
        ):
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not value > 0
            ):
                raise ConfigurationError(
                    f"{option} must be a positive number of seconds, not {value!r}.",
                    option=option,
                )
        return cls(
            client_id=client_id,
            client_secret=client_secret,
            endpoints=Endpoints.from_base_url(
                base_url, uploads_url=uploads_url, allow_insecure=allow_insecure
            ),
            token_method=token_method,
            token_lifetime=int(token_lifetime),
            login_timeout=int(login_timeout),
            timeout=float(timeout),
            max_response_size=int(max_response_size),
        )


def _credential(value: object, alias: object, option: str, alias_name: str) -> str:
    if value is not None and alias is not None and value != alias:
        raise ConfigurationError(
            f"{option} and its alias {alias_name} are both given, with different "
            "values: pass only one.",
            option=option,
        )
    value = value if value is not None else alias
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(
            f"{option} (the site's {alias_name}) is missing: copy it from the "
            "site's app dashboard (Developers > Apps).",
            option=option,
        )
    return value.strip()


def register_config(
    settings: Settings, *, extra: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A fresh keyword dict for Authlib's ``OAuth.register`` (never shared).

    ``extra`` holds the caller's own Authlib options; its ``client_kwargs`` are
    merged over ours, so proxies, ``verify`` or a transport keep working.
    """
    from .compliance import ComplianceFix  # compliance imports this module

    config: dict[str, Any] = dict(extra or {})
    client_kwargs = {
        "token_endpoint_auth_method": ComplianceFix.auth_method_name,
        "token_placement": "uri",
    }
    client_kwargs.update(config.pop("client_kwargs", None) or {})
    config.update(
        site_config(settings),
        client_kwargs=client_kwargs,
        compliance_fix=ComplianceFix(settings),
    )
    return config


def site_config(settings: Settings) -> dict[str, str]:
    """The Authlib app keywords that name the site: credentials and URLs."""
    ep = settings.endpoints
    return {
        "client_id": settings.client_id,
        "client_secret": settings.client_secret,
        "authorize_url": ep.authorize_url,
        "access_token_url": ep.token_url,
        "api_base_url": ep.api_base_url,
        "userinfo_endpoint": ep.userinfo_url,
    }
