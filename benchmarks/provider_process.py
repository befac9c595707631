"""The fake site over HTTPS (trustme certificates, cheroot with keep-alive) in
a process of its own, so that the benchmarked clients do not share its CPU
time with it. It counts, per User-Agent, the connections it accepted that
carried API calls: each accepted connection gets a serial number of its own
(client ports are reused, so counting ports would undercount)."""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from multiprocessing.connection import Connection
from typing import Any

from authlib_cashsocial.testing import FakeSngine, FakeUser, seed_demo

BENCH_USERS = 120


class CountingSite:
    """WSGI wrapper: per-User-Agent connection counts, an optional delay for
    API answers, and two control paths for the benchmark."""

    def __init__(self, fake: FakeSngine) -> None:
        self.fake = fake
        self.delay = 0.0
        self.connections: dict[str, set[int]] = defaultdict(set)
        self.calls: dict[str, int] = defaultdict(int)
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/__stats":
            with self.lock:
                body = json.dumps(
                    {
                        agent: {"connections": len(serials), "calls": self.calls[agent]}
                        for agent, serials in self.connections.items()
                    }
                ).encode()
            start_response(
                "200 OK",
                [
                    ("Content-Type", "application/json"),
                    ("Content-Length", str(len(body))),
                ],
            )
            return [body]
        if path == "/__delay":
            self.delay = float(environ.get("QUERY_STRING", "0").split("=")[-1] or 0)
            start_response("204 No Content", [])
            return []
        if path in ("/api/authorize", "/api/get_user_info"):
            agent = environ.get("HTTP_USER_AGENT", "?")
            with self.lock:
                self.connections[agent].add(environ[CONNECTION_KEY])
                self.calls[agent] += 1
            if self.delay:
                time.sleep(self.delay)
        return self.fake(environ, start_response)


CONNECTION_KEY = "bench.connection"
_SERIALS = itertools.count(1)
_SERIALS_LOCK = threading.Lock()


def _counting_gateway() -> type:
    from cheroot.wsgi import Gateway_10

    class CountingGateway(Gateway_10):  # type: ignore[misc]
        """cheroot's WSGI gateway, adding the serial number of the accepted
        connection that carried the request to its environ."""

        def get_environ(self) -> dict[str, Any]:
            env: dict[str, Any] = super().get_environ()
            conn = self.req.conn
            serial = getattr(conn, "_bench_serial", None)
            if serial is None:
                with _SERIALS_LOCK:
                    serial = next(_SERIALS)
                conn._bench_serial = serial
            env[CONNECTION_KEY] = serial
            return env

    return CountingGateway


def serve(conn: Connection, cert_pem: str, key_pem: str, redirect_url: str) -> None:
    """Child process: serve until the parent closes the pipe."""
    from cheroot import wsgi
    from cheroot.ssl.builtin import BuiltinSSLAdapter

    fake = FakeSngine(token_lifetime=3600)
    app, _ = seed_demo(fake, redirect_url=redirect_url)
    cookies = {}
    for n in range(BENCH_USERS):
        user = fake.add_user(
            FakeUser(
                user_id=1000 + n,
                user_name=f"bench{n}",
                password="x",
                email=f"b{n}@example.org",
                firstname="Bench",
                lastname=str(n),
            )
        )
        fake.approve(user, app)
        cookies[user.user_name] = fake.sign_in_cookie(user)
    server = wsgi.Server(
        ("127.0.0.1", 0), CountingSite(fake), numthreads=160, request_queue_size=256
    )
    # cheroot keeps only 10 idle keep-alive connections by default and closes
    # the rest, which would make a burst open new ones whatever the client.
    server.keep_alive_conn_limit = 1000
    server.gateway = _counting_gateway()
    server.ssl_adapter = BuiltinSSLAdapter(cert_pem, key_pem)
    server.prepare()
    conn.send(
        {
            "port": server.bind_addr[1],
            "app_id": app.app_id,
            "app_secret": app.app_secret,
            "cookies": cookies,
        }
    )
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    with contextlib.suppress(EOFError):
        conn.recv()  # blocks until the parent says stop (or goes away)
    server.stop()
