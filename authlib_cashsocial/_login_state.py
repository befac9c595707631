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

What this protects, and what it cannot, is in the docs (*Security*).
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, MutableMapping
from typing import Any

from .errors import PendingLoginError

__all__ = ["MAX_EXCHANGES", "PendingLogins"]

Session = MutableMapping[str, Any]
#: Exchanges one pending login may lead to: the first, and two more after
#: keys the site rejected (an older tab's key, replaced by a newer login).
MAX_EXCHANGES = 3
_EXCHANGES = "exchanges"


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
        data: dict[str, Any] = {"started_at": self._clock()}
        if next_url:
            data["next"] = next_url
        return secrets.token_urlsafe(24), data

    def _take_pointer(self, session: Session, callback_state: str | None) -> str:
        """The pending login's id, taken from the session only once the
        callback matches it (a mismatch leaves it for the real callback)."""
        state = session.get(self.pointer_key)
        if not isinstance(state, str) or not state:
            raise PendingLoginError(
                "No login was started from this browser session (or it was "
                "already completed): the callback is forged, replayed, or from "
                "another browser. Nothing was sent to the site."
            )
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
        if not isinstance(data, dict) or "started_at" not in data:
            raise PendingLoginError(
                "This session's pending login is gone (already used, or dropped "
                "by the state store). Nothing was sent to the site."
            )
        age = self._clock() - float(data["started_at"])
        if age > self.login_timeout:
            raise PendingLoginError(
                f"This session's login was started {int(age)} s ago, more than "
                f"login_timeout ({self.login_timeout} s). Start it again."
            )
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
        exchanges = pending.get(_EXCHANGES, 1)
        if not isinstance(exchanges, int) or exchanges >= MAX_EXCHANGES:
            return None
        data = {k: v for k, v in pending.items() if k != "state"}
        data[_EXCHANGES] = exchanges + 1
        return pending["state"], data

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
