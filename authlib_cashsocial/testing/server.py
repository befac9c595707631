"""Serve the fake site over real loopback HTTP, with keep-alive connections."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Iterator
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
#: Seconds a connection may sit idle (between keep-alive requests, or with a
#: client that reads nothing) before the server closes it.
CONNECTION_TIMEOUT = 60

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


def _connection_class() -> type:
    """cheroot's connection, closing its response writer with it.

    cheroot's writer sends on every write, so it holds bytes only after a send
    failed (the client went away mid-answer). ``HTTPConnection.close()``
    closes the reader and the socket but not that writer, and on Python 3.13
    its garbage collection reports the flush to the closed socket as an
    unraisable ``OSError`` (EBADF), which ``pytest -W error`` turns into a
    failed test. Closing the writer's raw stream drops those undeliverable
    bytes at once. ``ConnectionClass`` is cheroot's documented way to choose
    the connection class."""
    from cheroot.server import HTTPConnection

    class ClosingConnection(HTTPConnection):
        def close(self) -> None:
            self.wfile.raw.close()
            super().close()

    return ClosingConnection


class ThreadedWSGIServer:
    """Serve a WSGI ``app`` with cheroot on a loopback port, in a thread.

    cheroot keeps HTTP/1.1 connections alive between requests, as a real
    site's front server does, and stops through its public ``stop()``: it
    stops listening, closes the idle keep-alive connections, and waits for
    the requests being served. ``close()`` waits ``worker_grace`` seconds at
    most; a request still running then (an app that never returns, a client
    that reads nothing) ends on its own, in a daemon thread, and nothing of
    the server is closed under it. A second ``close()`` does nothing.

    Raises :class:`OSError` when ``host``/``port`` cannot be listened on
    (``errno.EADDRINUSE`` for a port in use).

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
        server_name: str = "authlib-cashsocial-test-server",
    ) -> None:
        try:
            from cheroot import wsgi
        except ModuleNotFoundError:  # pragma: no cover - depends on the install
            require_extras(FAKE_SITE, "testing")
            raise
        self._server = wsgi.Server(
            (host, port),
            app,
            numthreads=threads,
            server_name=server_name,
            request_queue_size=128,
            timeout=CONNECTION_TIMEOUT,
            # cheroot's stub says int; a float works (it is added to time.time()).
            shutdown_timeout=worker_grace,  # type: ignore[arg-type]
        )
        self._server.ConnectionClass = _connection_class()
        # cheroot keeps 10 idle keep-alive connections by default and closes
        # the next ones after their answer: a test with more clients than
        # that would see new connections that a real front server keeps.
        self._server.keep_alive_conn_limit = 1000
        # stop() waits for the connection loop to notice, which looks up once
        # per expiration_interval (0.5 s by default): every test's server
        # would take that long to close.
        self._server.expiration_interval = 0.05
        self._grace = worker_grace
        # prepare() binds (an OSError here is the caller's) and starts the
        # workers; run in a daemon thread, it makes them daemons too, so a
        # request that never ends does not hold the interpreter at exit.
        failure: list[BaseException] = []
        binder = threading.Thread(
            target=self._prepare, args=(failure,), name="cashsocial-wsgi-bind"
        )
        binder.daemon = True
        binder.start()
        binder.join()
        if failure:
            raise failure[0]
        self._thread = threading.Thread(
            target=self._server.serve, name="cashsocial-wsgi-server", daemon=True
        )
        self._started = False
        self._closed = False

    def _prepare(self, failure: list[BaseException]) -> None:
        try:
            host, port = self._server.bind_addr
            if port:
                # cheroot's prepare() raises an OSError that has lost its
                # errno (only its text is kept): a bind with the same options
                # first gives the caller the real one (EADDRINUSE, ...).
                family = socket.AF_INET6 if ":" in host else socket.AF_INET
                socket.create_server((host, port), family=family).close()
            self._server.prepare()
        except BaseException as exc:  # handed to the thread that asked
            failure.append(exc)

    @property
    def port(self) -> int:
        return int(self._server.bind_addr[1])

    @property
    def base_url(self) -> str:
        """The server's base URL, e.g. ``http://127.0.0.1:50123``."""
        host = str(self._server.bind_addr[0])
        return (
            f"http://[{host}]:{self.port}"
            if ":" in host
            else f"http://{host}:{self.port}"
        )

    def start(self: _Server) -> _Server:
        if not self._started:
            self._started = True
            self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving and close every connection, idle keep-alive ones too;
        wait ``worker_grace`` seconds at most for the requests being served."""
        if self._closed:
            return
        self._closed = True
        stopper = threading.Thread(
            target=self._server.stop, name="cashsocial-wsgi-server-stop", daemon=True
        )
        stopper.start()
        # stop() waits shutdown_timeout (the grace) for each busy worker, then
        # for good: a request that outlives the grace finishes in that thread.
        stopper.join(self._grace + 1)
        # cheroot files each server's counters in logging.statistics
        # (CherryPy's statistics namespace) and never takes them out: the
        # entry would keep the server, and the app it serves, alive for good.
        # Found by identity, whatever cheroot names it; a test checks that a
        # closed server and its app are freed.
        statistics = getattr(logging, "statistics", {})
        for name, counters in list(statistics.items()):
            if counters is self._server.stats:
                del statistics[name]
        if not stopper.is_alive():
            # serve() returns within expiration_interval; until then its
            # thread holds the server, and so the app.
            self._thread.join(5)

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

    Uses cheroot (the ``testing`` extra), which keeps HTTP/1.1 connections
    alive as a real site's front server does, and writes each answer as the
    app gives it (a big answer is streamed, at the pace the client reads).
    With ``access_log="fake site"``, each request is logged as one line
    (secrets redacted) on the ``authlib_cashsocial.access`` logger.

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
            app, host=host, port=port, threads=threads, server_name="Sngine-fake"
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
