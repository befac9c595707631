"""The fake sites in a process of their own, so that the benchmarked apps do
not share their CPU time with them. Each is served by cheroot (plain HTTP
with keep-alive, workers only while a request runs, so that a hundred kept
connections hold no thread); the benchmark reaches it over HTTPS through a
front of its own (``latency_proxy.py``).

One :class:`~authlib_cashsocial.testing.FakeSngine` per client, so that what
each fake records (``fake.requests``) is that client's alone: the benchmark
counts a client's round trips as its requests to ``api/authorize`` and
``api/get_user_info``. Each site has the demo app and ``BENCH_USERS``
members who approved it, each with a sign-in cookie for the benchmark's
browser.
"""

from __future__ import annotations

import contextlib
import threading
from multiprocessing.connection import Connection
from typing import Any

from authlib_cashsocial.testing import FakeSngine, FakeUser, seed_demo

BENCH_USERS = 110
API_CALLS = ("/api/authorize", "/api/get_user_info")


def _site(release: str, redirect_url: str) -> tuple[FakeSngine, dict[str, Any]]:
    fake = FakeSngine(release=release, token_lifetime=3600)
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
    info = {"app_id": app.app_id, "app_secret": app.app_secret, "cookies": cookies}
    return fake, info


def serve(conn: Connection, releases: dict[str, str], redirect_url: str) -> None:
    """Child process: a site per name in ``releases`` (name: Sngine release);
    sends each one's port and credentials, then answers ``"stats"`` (API
    calls recorded per site) until it gets ``"stop"`` or the parent goes
    away."""
    from cheroot import wsgi

    fakes: dict[str, FakeSngine] = {}
    servers = []
    infos = {}
    for name, release in releases.items():
        fake, info = _site(release, redirect_url)
        server = wsgi.Server(
            ("127.0.0.1", 0), fake, numthreads=16, request_queue_size=256
        )
        # cheroot keeps only 10 idle keep-alive connections by default and
        # closes the rest, which would make a burst open new ones whatever
        # the client.
        server.keep_alive_conn_limit = 1000
        server.prepare()
        threading.Thread(target=server.serve, daemon=True).start()
        fakes[name] = fake
        servers.append(server)
        infos[name] = {**info, "port": server.bind_addr[1]}
    conn.send(infos)
    with contextlib.suppress(EOFError, OSError):
        while conn.recv() == "stats":
            conn.send(
                {
                    name: sum(len(fake.requests_to(path)) for path in API_CALLS)
                    for name, fake in fakes.items()
                }
            )
    for server in servers:
        server.stop()
