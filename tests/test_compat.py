"""What differs between the Authlib, httpx and httpx2 releases the package
supports (the *Compatibility* page): each test holds on every row of the
support table, and ``make matrix`` runs it on each."""

from __future__ import annotations

import asyncio
import importlib.util
import json
from importlib import metadata
from types import ModuleType
from typing import Any

import pytest
from authlib.integrations.base_client import FrameworkIntegration
from packaging.version import Version

from authlib_cashsocial import _httpx
from authlib_cashsocial._login_state import PendingLogins
from authlib_cashsocial.errors import PendingLoginError
from authlib_cashsocial.httpx_client import CashSocialClient
from authlib_cashsocial.starlette_client import StarletteCashSocialApp
from authlib_cashsocial.testing import FakeSite

from .conftest import make_client


def expected_httpx() -> ModuleType:
    """The library Authlib's docs and code promise, worked out from the
    installed releases (not from what Authlib's classes subclass, which is
    how the package finds it): Authlib 1.8 and later use httpx2 when it is
    installed, httpx otherwise; older releases use httpx."""
    authlib = Version(metadata.version("authlib"))
    has_httpx2 = importlib.util.find_spec("httpx2") is not None
    name = "httpx2" if authlib >= Version("1.8") and has_httpx2 else "httpx"
    return importlib.import_module(name)


def test_the_package_uses_the_library_authlib_uses():
    library = expected_httpx()
    assert _httpx.httpx2 is library
    assert issubclass(CashSocialClient, library.Client)
    assert issubclass(StarletteCashSocialApp.client_cls, library.AsyncClient)


@pytest.mark.parametrize("kind", ["httpx", "httpx-async"])
def test_a_login_reads_that_librarys_responses(site: FakeSite, kind: str):
    library = expected_httpx()
    client = make_client(
        kind, site.app.app_id, site.app.app_secret, base_url=site.base_url
    )
    loop = asyncio.new_event_loop() if kind == "httpx-async" else None

    def run(value: Any) -> Any:
        return loop.run_until_complete(value) if loop is not None else value

    try:
        url, _state = client.create_authorization_url()
        callback = site.browser.log_in(url, username="alice", password="wonderland")
        assert callback is not None
        run(client.fetch_token(authorization_response=callback))
        response = run(client.get(client.userinfo_url))
        assert isinstance(response, library.Response)
        assert response.json()["user_info"]["user_name"] == "alice"
    finally:
        run(client.aclose() if loop is not None else client.close())
        if loop is not None:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()


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
