"""What the django-allauth provider and the python-social-auth backend share:
their options and the exchange (through
:class:`~authlib_cashsocial.CashSocialSession`).

Neither stack lets a callback carry a ``state`` through this site, so each
keeps a pending login of its own (allauth's state stash, social-core's nonce
storage), under the rules of every integration:
:class:`~authlib_cashsocial._login_state.PendingRecord` (fresh within
``login_timeout``, at most
:data:`~authlib_cashsocial._login_state.MAX_EXCHANGES` exchanges) and
:func:`~authlib_cashsocial._login_state.no_pending_login`.

Imports no web framework: the adapters (``allauth/``, ``social.py``) do.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from authlib.oidc.core import UserInfo

from ._dialect import SngineDialect
from ._options import Settings
from .requests_client import CashSocialSession, SharedConnections

__all__ = ["StackLogin", "login_for"]


class StackLogin:
    """One app's validated settings, its learned token method and its pool of
    connections, shared by every callback of a process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.dialect = SngineDialect(settings)
        self.connections = SharedConnections(pool_maxsize=settings.pool_size)

    def exchange(
        self,
        auth_key: str,
        *,
        user_agent: str | None = None,
        **request_settings: Any,
    ) -> tuple[dict[str, Any], UserInfo]:
        """Exchange ``auth_key`` and fetch the user info at once (the token
        lives 60 s); every failure is a typed
        :class:`~authlib_cashsocial.errors.CashSocialError`.

        ``request_settings`` (``verify``, ``proxies``) go with each request,
        as requests lets them override ``REQUESTS_CA_BUNDLE`` and the proxy
        variables of the environment (set on the session, they would not)."""
        with CashSocialSession(
            dialect=self.dialect, connections=self.connections
        ) as session:
            if user_agent is not None:
                session.headers["User-Agent"] = user_agent
            session.fetch_token(auth_key=auth_key, **request_settings)
            # The token stays on the session (not in a local) until the user
            # info is read: error trackers print every frame's locals.
            claims = session.userinfo(**request_settings)
            token = dict(session.token)
        return token, claims


_LOGINS: dict[Settings, StackLogin] = {}
_LOCK = threading.Lock()
_MAX_APPS = 64  # a process talks to a few sites; never grow without bound


def login_for(
    client_id: object,
    client_secret: object,
    options: Mapping[str, Any],
    names: Mapping[str, str] | None = None,
) -> StackLogin:
    """The :class:`StackLogin` of these credentials and options, validated by
    :meth:`Settings.from_options <authlib_cashsocial._options.Settings.from_options>`
    (an unknown option is a
    :class:`~authlib_cashsocial.errors.ConfigurationError`; ``names``, the
    setting each was read from, name it in the error)."""
    settings = Settings.from_options(
        client_id=client_id, client_secret=client_secret, names=names, **dict(options)
    )
    with _LOCK:
        login = _LOGINS.get(settings)
        if login is None:
            if len(_LOGINS) >= _MAX_APPS:
                _LOGINS.pop(next(iter(_LOGINS))).connections.close()
            login = _LOGINS[settings] = StackLogin(settings)
        return login
