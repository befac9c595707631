"""The pending login: what stands in for the ``state`` the site never echoes.

With a cache that has ``getdel`` (redis-py's clients have it), the pending
login is read and deleted in one step, so that of many concurrent callbacks
exactly one goes on to the site.

``authorize_redirect`` records a pending login in the browser's session
(through Authlib's own state storage: the session itself, or the registry's
``cache`` with a marker in the session). The callback must find one, younger
than ``login_timeout``, and consumes it before any request to the site. Only
the newest pending login of a session counts: starting a login again (another
tab) drops the older one, as the site itself replaces the older ``auth_key``.

A callback is checked (its ``auth_key`` and ``state``) before the pending
login is touched, so a forced callback without a usable key cannot use it
up. A key that the site rejects puts the pending login back (the newest-tab
case), at most :data:`MAX_EXCHANGES` - 1 times: forged keys cannot drive an
unbounded number of exchanges against one pending login.

The rules are written once, here, for every integration: the Authlib app
classes (:class:`PendingLogins`, in Authlib's state storage) and the two
Django stacks (:class:`PendingRecord`, in allauth's state stash and in
social-core's session and nonce storage), with their messages.

What this protects, and what it cannot, is in the docs (*Security*).
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

from .errors import PendingLoginError

__all__ = ["MAX_EXCHANGES", "PendingLogins", "PendingRecord", "no_pending_login"]

Session = MutableMapping[str, Any]
#: Exchanges one pending login may lead to: the first, and two more after
#: keys the site rejected (an older tab's key, replaced by a newer login).
MAX_EXCHANGES = 3


def no_pending_login() -> PendingLoginError:
    """The error of a callback that finds no pending login in its session."""
    return PendingLoginError(
        "No login was started from this browser session (or it was already "
        "completed, or it expired): the callback is forged, replayed, or from "
        "another browser. Nothing was sent to the site."
    )


@dataclass(frozen=True)
class PendingRecord:
    """A pending login's rules: when it started, and how many exchanges it
    has led to (1 for the first). Stored as :meth:`as_dict`, beside whatever
    else the store keeps (Authlib's state data, allauth's stashed state,
    social-core's nonce).

    Example::

        >>> record = PendingRecord(started_at=1000.0)
        >>> record.check(600, now=1500.0)          # fresh: no error
        >>> record.after_rejected_key()
        PendingRecord(started_at=1000.0, exchanges=2)
    """

    started_at: float
    exchanges: int = 1

    def as_dict(self) -> dict[str, Any]:
        return {"started_at": self.started_at, "exchanges": self.exchanges}

    @classmethod
    def from_value(cls, value: object) -> PendingRecord | None:
        """The record stored as :meth:`as_dict` (other keys beside it are
        left alone), or None if ``value`` holds none."""
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
        tab's), or None once it has led to :data:`MAX_EXCHANGES` exchanges."""
        if self.exchanges >= MAX_EXCHANGES:
            return None
        return PendingRecord(self.started_at, self.exchanges + 1)


class PendingLogins:
    """Start and consume the pending login of one registered app.

    ``framework`` is Authlib's framework integration of that app (its
    ``set_state_data``/``get_state_data``/``clear_state_data`` are sync for
    Flask and Django, coroutines for Starlette: use the ``a``-prefixed methods
    there).

    Example::

        pending = PendingLogins(app.framework, "cashsocial", login_timeout=600)
        state = pending.begin(session, next_url="/home")
        data = pending.consume(session)          # raises PendingLoginError
    """

    def __init__(
        self,
        framework: Any,
        name: str,
        *,
        login_timeout: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.framework = framework
        self.pointer_key = f"_cashsocial_pending_{name}"
        self.login_timeout = login_timeout
        self._clock = clock

    # ------------------------------------------------------------ shared steps

    def _new(self, next_url: str | None) -> tuple[str, dict[str, Any]]:
        data = PendingRecord(self._clock()).as_dict()
        if next_url:
            data["next"] = next_url
        return secrets.token_urlsafe(24), data

    def _take_pointer(self, session: Session, callback_state: str | None) -> str:
        """The pending login's id, taken from the session only once the
        callback matches it (a mismatch leaves it for the real callback)."""
        state = session.get(self.pointer_key)
        if not isinstance(state, str) or not state:
            raise no_pending_login()
        if callback_state is not None and callback_state != state:
            raise PendingLoginError(
                "The callback's state does not match this session's pending "
                "login. Nothing was sent to the site."
            )
        del session[self.pointer_key]
        return state

    def _atomic_store(self) -> Any:
        """The registry's cache when it can read-and-delete in one step
        (redis-py's ``getdel``, for one): then exactly one of many concurrent
        callbacks gets the pending login."""
        cache = getattr(self.framework, "cache", None)
        return cache if cache is not None and hasattr(cache, "getdel") else None

    def _cache_key(self, state: str) -> str:
        # Authlib's FrameworkIntegration keys its state data this way.
        return f"_state_{self.framework.name}_{state}"

    def _mark(self, session: Session, state: str) -> None:
        """With an atomic cache, :meth:`consume` takes the pending login only
        from a session that holds its marker. Authlib 1.6.6 and later write
        that marker themselves when they keep state in a cache; older releases
        keep it in the cache alone, so it is written here, in the same shape
        (Authlib's session clean-up reads its ``exp``)."""
        if self._atomic_store() is not None:
            session.setdefault(
                self._cache_key(state), {"exp": time.time() + self.framework.expires_in}
            )

    @staticmethod
    def _cached_data(raw: object) -> object:
        try:
            return json.loads(raw)["data"] if raw else None  # type: ignore[arg-type]
        except (TypeError, ValueError, KeyError):
            return None

    def _check(self, data: object, state: str) -> dict[str, Any]:
        record = PendingRecord.from_value(data)
        if record is None or not isinstance(data, dict):
            raise PendingLoginError(
                "This session's pending login is gone (already used, or dropped "
                "by the state store). Nothing was sent to the site."
            )
        record.check(self.login_timeout, now=self._clock())
        return {**data, "state": state}

    # ------------------------------------------------------------ sync

    def begin(self, session: Session, *, next_url: str | None = None) -> str:
        """Record a new pending login (dropping an older one) and return its
        state id."""
        old = session.get(self.pointer_key)
        if isinstance(old, str) and old:
            self.framework.clear_state_data(session, old)
            session.pop(self._cache_key(old), None)  # a marker _mark wrote
        state, data = self._new(next_url)
        self.framework.set_state_data(session, state, data)
        self._mark(session, state)
        session[self.pointer_key] = state
        return state

    def consume(
        self, session: Session, *, callback_state: str | None = None
    ) -> dict[str, Any]:
        """Take this session's pending login, so that it can never be used
        again, and return its data; raise
        :class:`~authlib_cashsocial.errors.PendingLoginError` if there is none
        that fits."""
        state = self._take_pointer(session, callback_state)
        cache = self._atomic_store()
        if cache is not None:
            key = self._cache_key(state)
            marker = session.pop(key, None)
            data = self._cached_data(cache.getdel(key)) if marker else None
            return self._check(data, state)
        data = self.framework.get_state_data(session, state)
        self.framework.clear_state_data(session, state)
        return self._check(data, state)

    @staticmethod
    def _restorable(pending: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
        record = PendingRecord.from_value(pending)
        again = record.after_rejected_key() if record is not None else None
        if again is None:
            return None
        data = {k: v for k, v in pending.items() if k != "state"}
        return pending["state"], {**data, **again.as_dict()}

    def restore(self, session: Session, pending: dict[str, Any]) -> None:
        """Put back a consumed pending login whose ``auth_key`` the site
        rejected (a key from an older tab, replaced by a newer login): the
        newer tab's callback can still finish the login. After
        :data:`MAX_EXCHANGES` exchanges it stays consumed."""
        restorable = self._restorable(pending)
        if restorable is None:
            return
        state, data = restorable
        self.framework.set_state_data(session, state, data)
        self._mark(session, state)
        session[self.pointer_key] = state

    # ------------------------------------------------------------ async

    async def abegin(self, session: Session, *, next_url: str | None = None) -> str:
        """:meth:`begin` for Authlib's asynchronous (Starlette) integration."""
        old = session.get(self.pointer_key)
        if isinstance(old, str) and old:
            await self.framework.clear_state_data(session, old)
            session.pop(self._cache_key(old), None)  # a marker _mark wrote
        state, data = self._new(next_url)
        await self.framework.set_state_data(session, state, data)
        self._mark(session, state)
        session[self.pointer_key] = state
        return state

    async def aconsume(
        self, session: Session, *, callback_state: str | None = None
    ) -> dict[str, Any]:
        """:meth:`consume` for Authlib's asynchronous (Starlette) integration."""
        state = self._take_pointer(session, callback_state)
        cache = self._atomic_store()
        if cache is not None:
            key = self._cache_key(state)
            marker = session.pop(key, None)
            data = self._cached_data(await cache.getdel(key)) if marker else None
            return self._check(data, state)
        data = await self.framework.get_state_data(session, state)
        await self.framework.clear_state_data(session, state)
        return self._check(data, state)

    async def arestore(self, session: Session, pending: dict[str, Any]) -> None:
        """:meth:`restore` for Authlib's asynchronous (Starlette) integration."""
        restorable = self._restorable(pending)
        if restorable is None:
            return
        state, data = restorable
        await self.framework.set_state_data(session, state, data)
        self._mark(session, state)
        session[self.pointer_key] = state
