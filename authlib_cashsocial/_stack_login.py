"""What the django-allauth provider and the python-social-auth backend share:
their options, the exchange (through :class:`~authlib_cashsocial.CashSocialSession`)
and the rules of their pending login (age, exchanges).

Neither stack lets a callback carry a ``state`` through this site, so each
keeps a pending login of its own (allauth's state stash, social-core's nonce
storage); this module holds only the rules they apply to it, the same as
:mod:`authlib_cashsocial._login_state`'s: fresh within ``login_timeout``, at
most :data:`~authlib_cashsocial._login_state.MAX_EXCHANGES` exchanges.

Imports no web framework: the adapters (``allauth/``, ``social.py``) do.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from authlib.oidc.core import UserInfo

from ._dialect import SngineDialect
from ._login_state import MAX_EXCHANGES
from ._options import Settings
from .errors import PendingLoginError
from .requests_client import CashSocialSession, SharedConnections

__all__ = ["PendingRecord", "StackLogin", "login_for"]


@dataclass(frozen=True)
class PendingRecord:
    """A pending login as a stack stores it: when it started, and how many
    exchanges it has led to (1 for the first)."""

    started_at: float
    exchanges: int = 1

    def as_dict(self) -> dict[str, Any]:
        return {"started_at": self.started_at, "exchanges": self.exchanges}

    @classmethod
    def from_value(cls, value: object) -> PendingRecord | None:
        """The record stored as :meth:`as_dict`, or None if ``value`` is not one."""
        if not isinstance(value, Mapping):
            return None
        started_at, exchanges = value.get("started_at"), value.get("exchanges", 1)
        if not isinstance(started_at, (int, float)) or isinstance(started_at, bool):
            return None
        if not isinstance(exchanges, int) or isinstance(exchanges, bool):
            return None
        return cls(float(started_at), exchanges)

    def check(self, login_timeout: int, *, now: float | None = None) -> None:
        """Raise :class:`~authlib_cashsocial.errors.PendingLoginError` when
        this pending login is older than ``login_timeout`` seconds."""
        age = (time.time() if now is None else now) - self.started_at
        if age > login_timeout:
            raise PendingLoginError(
                f"This session's login was started {int(age)} s ago, more than "
                f"login_timeout ({login_timeout} s). Start it again."
            )

    def after_rejected_key(self) -> PendingRecord | None:
        """The record to put back after the site rejected a key (an older
        tab's), or None once it has led to ``MAX_EXCHANGES`` exchanges."""
        if self.exchanges >= MAX_EXCHANGES:
            return None
        return PendingRecord(self.started_at, self.exchanges + 1)


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
            token = dict(session.fetch_token(auth_key=auth_key, **request_settings))
            claims = session.userinfo(**request_settings)
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
