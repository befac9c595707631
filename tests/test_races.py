"""Fifty concurrent callbacks for one pending login, in each framework: with a
server-side store that can read-and-delete atomically exactly one exchange
reaches the site; with cookie sessions every request carries its own copy of
the pending login, and the site's single-use auth_key lets exactly one win."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from authlib_cashsocial.testing import FakeSite

CALLBACKS = 50


class LockedCache:
    """A synchronous cache with an atomic getdel, like redis-py's client."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}
        self.lock = threading.Lock()

    def get(self, key: str) -> Any:
        with self.lock:
            return self.data.get(key)

    def set(self, key: str, value: Any, expires: int | None = None) -> None:
        with self.lock:
            self.data[key] = value

    def delete(self, key: str) -> None:
        with self.lock:
            self.data.pop(key, None)

    def getdel(self, key: str) -> Any:
        with self.lock:
            return self.data.pop(key, None)


class AsyncLockedCache(LockedCache):
    """The same for Starlette's asynchronous integration (one event loop)."""

    async def get(self, key: str) -> Any:  # type: ignore[override]
        return self.data.get(key)

    async def set(self, key: str, value: Any, expires: int | None = None) -> None:  # type: ignore[override]
        self.data[key] = value

    async def delete(self, key: str) -> None:  # type: ignore[override]
        self.data.pop(key, None)

    async def getdel(self, key: str) -> Any:  # type: ignore[override]
        return self.data.pop(key, None)


def _fire(app: Any, callback: str) -> list[requests.Response]:
    cookies = app.browser.cookies.get_dict()
    barrier = threading.Barrier(CALLBACKS)

    def one(_: int) -> requests.Response:
        with requests.Session() as copy:  # each request carries its own cookie copy
            copy.cookies.update(cookies)
            barrier.wait()
            return copy.get(callback, allow_redirects=False, timeout=30)

    with ThreadPoolExecutor(CALLBACKS) as pool:
        return list(pool.map(one, range(CALLBACKS)))


def _outcome(responses: list[requests.Response]) -> tuple[int, dict[str, int]]:
    wins = sum(r.status_code in (302, 307) for r in responses)
    errors: dict[str, int] = {}
    for r in responses:
        if r.status_code == 400:
            code = r.text.split("<code>")[1].split("</code>")[0]
            errors[code] = errors.get(code, 0) + 1
    return wins, errors


def test_server_side_store_lets_exactly_one_exchange_through(
    site: FakeSite, make_app, framework
):
    cache = AsyncLockedCache() if framework == "starlette" else LockedCache()
    app = make_app(cache=cache)
    callback = app.at_site(app.start())
    wins, errors = _outcome(_fire(app, callback))
    assert wins == 1
    assert errors == {"mismatching_state": CALLBACKS - 1}
    assert app.exchanges() == 1  # one getdel found the pending login
    assert len(site.fake.requests_to("api/get_user_info")) == 1


def test_cookie_sessions_rely_on_the_single_use_auth_key(
    site: FakeSite, make_app, framework, record_property
):
    app = make_app()
    callback = app.at_site(app.start())
    wins, errors = _outcome(_fire(app, callback))
    assert wins == 1  # exactly one session is logged in
    assert sum(errors.values()) == CALLBACKS - 1
    assert set(errors) <= {"invalid_grant", "mismatching_state"}
    exchanges = app.exchanges()
    assert 1 <= exchanges <= CALLBACKS
    # Every exchange but the winner's was refused by the site: one token.
    tokens = {
        r.param("access_token") for r in site.fake.requests_to("api/get_user_info")
    }
    assert len(tokens) == 1
    record_property("exchanges_reaching_the_site", exchanges)
    print(
        json.dumps({"framework": framework, "exchanges": exchanges, "errors": errors})
    )
