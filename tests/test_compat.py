"""What differs between the Authlib, httpx and httpx2 releases the package
supports (the *Compatibility* page): each test holds on every row of the
support table, and ``make matrix`` runs it on each."""

from __future__ import annotations

import json
from typing import Any

import pytest
from authlib.integrations.base_client import FrameworkIntegration

from authlib_cashsocial._login_state import PendingLogins
from authlib_cashsocial.errors import PendingLoginError


class AtomicCache:
    """A cache with ``getdel`` (as redis-py's client has), in memory."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}

    def get(self, key: str) -> Any:
        return self.data.get(key)

    def set(self, key: str, value: Any, expires: int | None = None) -> None:
        self.data[key] = value

    def delete(self, key: str) -> None:
        self.data.pop(key, None)

    def getdel(self, key: str) -> Any:
        return self.data.pop(key, None)


def test_pending_login_in_an_atomic_cache_with_any_authlib():
    """Authlib 1.6.6 and later keep a marker of cached state in the session;
    older releases do not, and the pending login must work the same."""
    cache = AtomicCache()
    pending = PendingLogins(
        FrameworkIntegration("cashsocial", cache=cache), "cashsocial", login_timeout=600
    )
    session: dict[str, Any] = {}
    pending.begin(session)
    newest = pending.begin(session, next_url="/home")  # another tab: drops the first

    markers = [key for key in session if key.startswith("_state_")]
    assert markers == [f"_state_cashsocial_{newest}"]
    assert [json.loads(v)["data"]["next"] for v in cache.data.values()] == ["/home"]

    data = pending.consume(session)
    assert data["state"] == newest
    assert data["next"] == "/home"
    assert cache.data == {}
    assert not [key for key in session if key.startswith("_state_")]
    with pytest.raises(PendingLoginError):
        pending.consume(session)
