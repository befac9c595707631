"""Serve the fake site over real loopback HTTP, with keep-alive connections."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, TypeVar

from .._extras import FAKE_SITE, require_extras
from ._pages import AccessLog
from .browser import ScriptedBrowser
from .fake import FakeApp, FakeSngine, FakeUser

_Server = TypeVar("_Server", bound="ThreadedWSGIServer")

#: Seconds ``close()`` waits for the requests being served to finish.
WORKER_GRACE = 10.0

__all__ = [
    "FakeProviderServer",
    "FakeSite",
    "ThreadedWSGIServer",
    "demo_site",
    "seed_demo",
]


def seed_demo(fake: FakeSngine, *, redirect_url: str) -> tuple[FakeApp, list[FakeUser]]:
    """Add the demo app and the demo members (one full profile, one sparse,
    one with a non-Latin name) to ``fake``."""
    app = fake.add_app(
        FakeApp(
            app_id="demo-app",
            app_secret="demo-secret-0123456789abcdef",
            redirect_url=redirect_url,
            name="authlib-cashsocial demo",
        )
    )
    users = [
        fake.add_user(
            FakeUser(
                user_id=101,
                user_name="alice",
                password="wonderland",
                email="alice@example.org",
                firstname="Alice",
                lastname="Liddell",
                gender="female",
                birthdate="1990-05-04",
                picture="photos/2024/05/alice.jpg",
                verified=True,
                biography="Down the rabbit hole.",
                website="https://alice.example.org",
            )
        ),
        fake.add_user(
            FakeUser(
                user_id=102,
                user_name="bob",
                password="builder",
                email="bob@example.org",
                firstname="Bob",
                gender=None,
                birthdate="0000-00-00",
            )
        ),
        fake.add_user(
            FakeUser(
                user_id=103,
                user_name="olga",
                password="privet",
                email="olga@example.ru",
                firstname="Ольга",
                lastname="Петрова",
                gender="Женский",
                picture="photos/2023/01/olga.png",
            )
        ),
    ]
    return app, users


class ThreadedWSGIServer:
    """Serve a WSGI ``app`` with waitress on a loopback port, in a thread.

    ``close()`` stops it without leaving a request half-served: it stops
    listening and closes the connections first (a task writing to one, or
    waiting for a slow reader, stops), then waits for the worker threads,
    and only then closes the server's wake-up pipe. Closed earlier, a task
    still running would write to the pipe's file descriptor after it was
    closed, or after the number was given to another file. ``close()`` waits
    ``worker_grace`` seconds at most; a request still running then keeps
    the pipe open until it ends. A second ``close()`` does nothing.

    Example::

        with ThreadedWSGIServer(wsgi_app) as server:
            requests.get(server.base_url)
    """

    def __init__(
        self,
        app: Any,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        threads: int = 8,
        worker_grace: float = WORKER_GRACE,
        **adjustments: Any,
    ) -> None:
        try:
            from waitress import wasyncore
            from waitress.channel import HTTPChannel
            from waitress.server import create_server
        except ModuleNotFoundError:  # pragma: no cover - depends on the install
            require_extras(FAKE_SITE, "testing")
            raise
        self._close_all = wasyncore.close_all
        self._close_socket_only = wasyncore.dispatcher.close
        self._channel_class = HTTPChannel
        self._map: dict[Any, Any] = {}
        self._server: Any = create_server(
            app, map=self._map, host=host, port=port, threads=threads, **adjustments
        )
        self._thread = threading.Thread(
            target=self._server.run, name="cashsocial-wsgi-server", daemon=True
        )
        self._started = False
        self._closed = False
        self._grace = worker_grace

    @property
    def port(self) -> int:
        return int(self._server.effective_port)

    @property
    def base_url(self) -> str:
        """The server's base URL, e.g. ``http://127.0.0.1:50123``."""
        return f"http://{self._server.effective_host}:{self.port}"

    def start(self: _Server) -> _Server:
        if not self._started:
            self._started = True
            self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving and close every connection, idle keep-alive ones too."""
        if self._closed:  # the pipe's number may belong to another file now
            return
        self._closed = True
        if not self._started:
            self._close_all(self._map)
            return
        # Both closes run in the server's own loop thread (the map is its);
        # after the second it finds nothing left to serve and returns.
        workers = self._server.task_dispatcher
        if self._in_loop(self._close_connections):
            workers.shutdown(timeout=self._grace)
            if workers.threads:
                # A task outlived the grace (an app that never returns): the
                # pipe stays open until it ends, rather than be written to
                # after it is closed.
                self._in_loop(self._close_all_but_the_pipe)
                threading.Thread(
                    target=self._close_pipe_after_workers,
                    name="cashsocial-wsgi-server-close",
                    daemon=True,
                ).start()
            else:
                self._in_loop(lambda: self._close_all(self._map))
        else:  # the wake-up pipe is gone already: close from this thread
            workers.shutdown(timeout=self._grace)
            self._close_all(self._map, ignore_all=True)
        self._thread.join(timeout=10)

    def _in_loop(self, thunk: Callable[[], None]) -> bool:
        try:
            self._server.trigger.pull_trigger(thunk)
        except OSError:
            return False
        return True

    def _close_connections(self) -> None:
        """Stop listening and close the connections; the pipe stays."""
        for dispatcher in list(self._map.values()):
            if isinstance(dispatcher, self._channel_class):
                # handle_close also wakes a task waiting for the client to
                # read (back-pressure); close() alone would leave it waiting.
                dispatcher.handle_close()
            elif dispatcher is self._server:
                # The listening socket alone: the server's own close() also
                # closes the pipe.
                self._close_socket_only(dispatcher)

    def _close_all_but_the_pipe(self) -> None:
        for dispatcher in list(self._map.values()):
            if dispatcher is not self._server.trigger:
                dispatcher.close()
        self._map.clear()  # the loop returns; the pipe stays open

    def _close_pipe_after_workers(self) -> None:
        # A worker leaves the dispatcher's threads after its last write to
        # the pipe; the loop thread has returned, so nothing else uses it.
        self._server.task_dispatcher.shutdown(timeout=24 * 3600)
        self._server.trigger.close()

    def __enter__(self: _Server) -> _Server:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class FakeProviderServer(ThreadedWSGIServer):
    """Serve a :class:`FakeSngine` on a free loopback port, in a thread.

    Uses waitress (the ``testing`` extra), which keeps HTTP/1.1 connections
    alive as a real site's front server does. With ``access_log="fake
    site"``, each request is logged as one line (secrets redacted) on the
    ``authlib_cashsocial.access`` logger.

    Raises :class:`OSError` when ``host``/``port`` cannot be listened on
    (``errno.EADDRINUSE`` for a port in use).

    Example::

        with FakeProviderServer() as server:
            app, (alice, *_) = seed_demo(server.fake, redirect_url="http://127.0.0.1/cb")
            session = CashSocialSession(app.app_id, app.app_secret,
                                        base_url=server.base_url)
    """

    def __init__(
        self,
        fake: FakeSngine | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        threads: int = 8,
        access_log: str | None = None,
    ) -> None:
        self.fake = fake if fake is not None else FakeSngine()
        app: Any = self.fake if access_log is None else AccessLog(access_log, self.fake)
        super().__init__(
            app,
            host=host,
            port=port,
            threads=threads,
            log_socket_errors=False,
            ident="Sngine-fake",
            # Stream big answers (HugeBody) with back-pressure instead of
            # buffering them whole, as a real front server does.
            outbuf_high_watermark=256 * 1024,
        )


@dataclass
class FakeSite:
    """A running fake site seeded with the demo app and members, and a
    browser to click through it (what ``demo_site`` and the
    ``cashsocial_provider`` fixture give)."""

    fake: FakeSngine
    base_url: str
    app: FakeApp
    users: dict[str, FakeUser]
    browser: ScriptedBrowser = field(default_factory=ScriptedBrowser)


@contextmanager
def demo_site(
    *,
    redirect_url: str,
    release: str = "4.2",
    host: str = "127.0.0.1",
    port: int = 0,
    access_log: str | None = None,
) -> Iterator[FakeSite]:
    """Serve a fake Sngine ``release`` seeded by :func:`seed_demo`, whose demo
    app sends users back to ``redirect_url`` (``access_log``: see
    :class:`FakeProviderServer`).

    Example::

        with demo_site(redirect_url="http://127.0.0.1:5000/auth") as site:
            authlib_cashsocial.register(oauth, client_id=site.app.app_id,
                                        client_secret=site.app.app_secret,
                                        base_url=site.base_url)
    """
    with FakeProviderServer(
        FakeSngine(release=release), host=host, port=port, access_log=access_log
    ) as server:
        app, users = seed_demo(server.fake, redirect_url=redirect_url)
        site = FakeSite(
            fake=server.fake,
            base_url=server.base_url,
            app=app,
            users={u.user_name: u for u in users},
        )
        try:
            yield site
        finally:
            site.browser.close()
