"""python-social-auth backend ``cashsocial``: "Log in with Cash Social
Network" (any Sngine site) for social-auth-core 7+.

Settings (social-core's names)::

    AUTHENTICATION_BACKENDS = ["authlib_cashsocial.social.CashSocialAuth", ...]
    SOCIAL_AUTH_CASHSOCIAL_KEY = "APP_ID"
    SOCIAL_AUTH_CASHSOCIAL_SECRET = "APP_SECRET"
    SOCIAL_AUTH_CASHSOCIAL_BASE_URL = "https://cs.moneypoolscash.com"
    # optional: any other option of the Configuration page
    SOCIAL_AUTH_CASHSOCIAL_OPTIONS = {"timeout": 5}

The site echoes no ``state``, and turning social-core's state off turns its
CSRF check off, so the backend keeps a nonce of its own (as social-core's
Discourse backend does): in the session and in social-core's nonce storage.
The callback checks its ``auth_key`` first (a keyless or malformed callback
consumes nothing), then consumes the nonce from the storage (an atomic delete:
single use even with cookie sessions, whose old copies a replay could carry),
checks its age, and only then exchanges the key through
:class:`~authlib_cashsocial.CashSocialSession`. A key the site rejects puts
the nonce back, for at most three exchanges per login start. Every
:class:`~authlib_cashsocial.errors.CashSocialError` becomes a social-core
exception of the matching family (so social-app-django's
``SocialAuthExceptionMiddleware`` shows its error page with the right
status); its ``context["cashsocial_error"]`` keeps our error code.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from social_core.backends.base import BaseAuth
from social_core.exceptions import (
    AuthConfigurationError,
    AuthCredentialError,
    AuthInputError,
    AuthProviderError,
    AuthResponseError,
    AuthSessionError,
    ErrorStage,
    SocialAuthBaseException,
)
from social_core.utils import user_agent

from ._callback import auth_key_from_callback
from ._config import StackOptions, social_options
from ._login_state import PendingRecord, no_pending_login
from ._stack_login import StackLogin, login_for
from .errors import (
    AccessTokenInvalidError,
    AuthKeyRejectedError,
    CallbackError,
    CashSocialError,
    ClientCredentialsError,
    ConfigurationError,
    MalformedAuthKeyError,
    MissingAuthKeyError,
    PendingLoginError,
    ProviderError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    UnexpectedResponseError,
)

__all__ = ["CashSocialAuth", "social_error"]

# Our error families in social-core's: (ours, theirs, their code, the stage),
# first match wins; the last row catches every other CashSocialError.
_SOCIAL_FAMILIES: tuple[
    tuple[type[CashSocialError] | tuple[type[CashSocialError], ...], type, str, str],
    ...,
] = (
    (MissingAuthKeyError, AuthInputError, "missing_parameter", "callback"),
    (MalformedAuthKeyError, AuthInputError, "invalid_parameter", "callback"),
    (
        (PendingLoginError, CallbackError),
        AuthSessionError,
        "session_context_missing",
        "callback",
    ),
    (
        AuthKeyRejectedError,
        AuthCredentialError,
        "authorization_code_rejected",
        "token_exchange",
    ),
    (
        ClientCredentialsError,
        AuthConfigurationError,
        "invalid_setting",
        "token_exchange",
    ),
    (AccessTokenInvalidError, AuthCredentialError, "credential_rejected", "user_info"),
    (ProviderTimeoutError, AuthProviderError, "timeout", "callback"),
    (ProviderUnavailableError, AuthProviderError, "unavailable", "callback"),
    (UnexpectedResponseError, AuthResponseError, "malformed_response", "callback"),
    (ProviderError, AuthProviderError, "unavailable", "callback"),
    (CashSocialError, AuthConfigurationError, "invalid_setting", "callback"),
)


def social_error(backend: Any, error: CashSocialError) -> SocialAuthBaseException:
    """The social-core exception for one of ours: the family decides the
    error page's status in social-app-django."""
    _ours, theirs, code, stage = next(
        row for row in _SOCIAL_FAMILIES if isinstance(error, row[0])
    )
    extra: dict[str, Any] = (
        {"parameter": "auth_key"} if theirs is AuthInputError else {}
    )
    mapped: SocialAuthBaseException = theirs(
        backend,
        error.description or "",
        code=code,
        stage=stage,
        context={"cashsocial_error": error.error},
        **extra,
    )
    return mapped


# The social-core setting behind each option that has one of its own; every
# other option is in SOCIAL_AUTH_CASHSOCIAL_OPTIONS.
_SETTING_OF_OPTION = {
    "client_id": "KEY",
    "app_id": "KEY",
    "client_secret": "SECRET",
    "app_secret": "SECRET",
    "base_url": "BASE_URL",
}


def _configuration_error(
    backend: Any,
    error: ConfigurationError,
    stage: ErrorStage,
    settings_of: Mapping[str, str],
) -> AuthConfigurationError:
    """social-core's configuration error for one of our settings' (so that
    social-app-django's middleware shows its error page); ``settings_of``:
    the social-core setting (``KEY``...) behind an option, if not ``OPTIONS``."""
    return AuthConfigurationError(
        backend,
        error.description or "",
        code="invalid_setting",
        parameter=settings_of.get(error.option) or _setting_of_key(backend, error),
        stage=stage,
        context={"cashsocial_error": error.error, "option": error.option},
    )


def _setting_of_key(backend: Any, error: ConfigurationError) -> str:
    """The setting an error about a key names (``SOCIAL_AUTH_CASHSOCIAL_BASE_ULR``:
    ``BASE_ULR``; ``..._OPTIONS['timeout']``: ``OPTIONS``)."""
    prefix = f"SOCIAL_AUTH_{backend.name.upper()}_"
    if error.option.startswith(prefix):
        return error.option[len(prefix) :].split("[")[0]
    if error.option.startswith("SOCIAL_AUTH_"):  # the prefix misspelt
        return error.option
    return "OPTIONS"


class CashSocialAuth(BaseAuth[Any]):
    """Log in with Cash Social Network (any Sngine site)."""

    name = "cashsocial"
    title = "Cash Social Network"
    # The uid: the site's user_id. social-core's own get_user_id reads it (or
    # SOCIAL_AUTH_CASHSOCIAL_ID_KEY's claim) and refuses a login without it.
    ID_KEY = "sub"
    REQUIRES_USER_ID = True
    # Claims a member can change at the site: social-core warns when ID_KEY
    # names one of them.
    MUTABLE_ID_KEYS = ("preferred_username", "name", "email", "profile", "picture")
    # social-core reads these from the pipeline's response (our claims).
    EXTRA_DATA = [  # noqa: RUF012  (social-core's own class attribute)
        "iss",
        "preferred_username",
        "name",
        "email",
        "picture",
        "profile",
        "user_info",
    ]

    # ---------------------------------------------------------------- set-up

    def stack_login(self, stage: ErrorStage = "begin") -> StackLogin:
        """The validated options (``KEY``, ``SECRET``, ``BASE_URL`` and
        ``OPTIONS``), the learned token method and the connection pool.
        A mistake is social-core's ``AuthConfigurationError`` (its
        ``context["cashsocial_error"]`` is ``invalid_configuration``)."""
        settings_of = dict(_SETTING_OF_OPTION)
        try:
            # No local of this frame holds the options read (the secret):
            # error trackers print frame locals.
            login = login_for(*self._options_read(settings_of))
        except ConfigurationError as error:
            failure = _configuration_error(self, error, stage, settings_of)
        else:
            return login
        raise failure  # outside the handler: no chained cause in the logs

    def _options_read(self, settings_of: dict[str, str]) -> StackOptions:
        """The backend's settings, with social-core's own timeout settings
        when ``OPTIONS`` has none (``settings_of`` learns which was read)."""
        read = social_options(self.name, self._own_setting, self._setting_names())
        if "timeout" not in read.options:  # social-core's, as its requests take
            for name in ("REQUESTS_TIMEOUT", "URLOPEN_TIMEOUT"):
                if (timeout := self.setting(name)) is not None:
                    read.options["timeout"], settings_of["timeout"] = timeout, name
                    read.names["timeout"] = f"social-core's {name}"
                    break
        return read

    def http_settings(self) -> dict[str, Any]:
        """social-core's HTTP settings as the package's session takes them:
        ``USER_AGENT`` (social-core's own by default, unless
        ``SEND_USER_AGENT`` is False), ``VERIFY_SSL`` and ``PROXIES``."""
        settings: dict[str, Any] = {"verify": self.setting("VERIFY_SSL", True)}
        if self.SEND_USER_AGENT:
            settings["user_agent"] = self.setting("USER_AGENT") or user_agent()
        proxies = self.setting("PROXIES")
        if proxies:
            settings["proxies"] = dict(proxies)
        return settings

    def _own_setting(self, name: str) -> Any:
        """The setting ``name`` alone: social-core's ``setting()`` falls
        back to ``SOCIAL_AUTH_BASE_URL`` and ``BASE_URL``, a project's own."""
        try:
            return self.strategy.get_setting(name)
        except (AttributeError, KeyError):
            return None

    def _setting_names(self) -> list[str]:
        """The settings that can be listed: Django's, for social-app-django
        (another strategy's cannot be listed, so a typo there goes unseen)."""
        if not type(self.strategy).__module__.startswith("social_django"):
            return []
        from django.conf import settings

        return dir(settings)

    def _server_url(self, login: StackLogin) -> str:
        """The nonce storage's ``server_url`` of this app's pending logins."""
        return login.settings.endpoints.authorization_url(login.settings.client_id)

    @property
    def _session_key(self) -> str:
        return f"{self.name}_pending"

    # ---------------------------------------------------------------- start

    def auth_url(self) -> str:
        """Record a pending login (nonce in the session and in the nonce
        storage) and return the site's login link."""
        login = self.stack_login()  # before anything is stored
        self._stash(login, self.strategy.random_string(32), PendingRecord(time.time()))
        return login.settings.endpoints.authorization_url(login.settings.client_id)

    def _stash(self, login: StackLogin, nonce: str, record: PendingRecord) -> None:
        self.strategy.storage.nonce.use(
            self._server_url(login), int(record.started_at), nonce
        )
        self.strategy.session_set(
            self._session_key, {"nonce": nonce, **record.as_dict()}
        )

    # ---------------------------------------------------------------- callback

    def _callback_url(self) -> str:
        """The callback's query as received (the site may add ``?auth_key=``
        to a URL that already has a ``?``)."""
        request = getattr(self.strategy, "request", None)
        full_path = getattr(request, "get_full_path", None)
        if callable(full_path):
            return str(full_path())
        return urlencode(self.strategy.request_data(), doseq=True)

    def _consume(self, login: StackLogin) -> tuple[str, PendingRecord]:
        """Take this browser's pending login: from the session, then from the
        nonce storage in one delete (so a replay with an old copy of a cookie
        session finds nothing)."""
        stored = self.strategy.session_pop(self._session_key)
        record = PendingRecord.from_value(stored)
        nonce = stored.get("nonce") if isinstance(stored, Mapping) else None
        if record is None or not isinstance(nonce, str) or not nonce:
            raise no_pending_login()
        consume = self.strategy.storage.nonce.consume
        try:
            consumed: bool | None = consume(
                self._server_url(login), int(record.started_at), nonce
            )
        except NotImplementedError:  # a storage older than social-core 7
            consumed = None
        if consumed is None:
            # As social-core's own OAuth2 state check says it (a storage
            # whose nonce cannot be consumed at once is not single use).
            raise AuthConfigurationError(
                self,
                "The nonce storage has no atomic consume().",
                code="invalid_setting",
                parameter="storage.nonce.consume",
                stage="callback",
            )
        if not consumed:
            raise no_pending_login()
        record.check(login.settings.login_timeout)
        return nonce, record

    def auth_complete(self, *args: Any, **kwargs: Any) -> Any:
        """Check the key, consume the pending login, exchange, authenticate."""
        try:
            auth_key = auth_key_from_callback(self._callback_url())
            login = self.stack_login("callback")
            nonce, record = self._consume(login)
            try:
                _token, claims = login.exchange(auth_key, **self.http_settings())
            except AuthKeyRejectedError:
                again = record.after_rejected_key()
                if again is not None:
                    self._stash(login, nonce, again)
                raise
        except CashSocialError as error:
            failure = social_error(self, error)
        else:
            response = dict(claims)  # iss (the site) and sub, as OIDC's
            self.check_site(response)
            kwargs.update({"response": response, "backend": self})
            return self.strategy.authenticate(*args, **kwargs)
        raise failure  # outside the handler: no chained cause in the logs

    def check_site(self, response: dict[str, Any]) -> None:
        """Refuse a member whose uid this backend stored for another site.

        ``sub`` is a member's number on one Sngine site (1, 2, 3...): each
        site has a backend of its own (a subclass with its own ``name``).
        Pointed at another site, one backend would log member 101 of the
        new site in as member 101 of the old one; the site stored in the
        account's ``extra_data["iss"]`` tells them apart. An account stored
        before ``iss`` was (none) takes this site's."""
        uid = self.get_user_id(  # type: ignore[no-untyped-call]
            self.get_user_details(response), response
        )
        social = self.strategy.storage.user.get_social_auth(self.name, str(uid))
        extra_data = getattr(social, "extra_data", None) or {}
        stored_site = extra_data.get("iss") if isinstance(extra_data, Mapping) else None
        if stored_site is not None and stored_site != response["iss"]:
            raise AuthConfigurationError(
                self,
                f"This backend ({self.name!r}) stored the accounts of "
                f"{stored_site}, not of {response['iss']}: give each Sngine "
                "site a backend of its own (a CashSocialAuth subclass with "
                "its own name).",
                code="invalid_setting",
                parameter="BASE_URL",
                stage="callback",
            )

    # ---------------------------------------------------------------- profile

    def get_user_details(self, response: dict[str, Any]) -> dict[str, Any]:
        """social-core's user fields; a value the site does not give is None
        (social-core writes every other value, an empty one too: an existing
        user's own name would be blanked at each login). The e-mail is the
        site's, unverified."""
        return {
            "username": response.get("preferred_username") or response.get("sub"),
            "email": response.get("email") or None,
            "fullname": response.get("name") or None,
            "first_name": response.get("given_name") or None,
            "last_name": response.get("family_name") or None,
        }
