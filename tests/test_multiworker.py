"""The Flask example under gunicorn and the FastAPI example under uvicorn,
three worker processes each, with cookie sessions and with a real Redis
server as Authlib's ``cache``: 200 logins whose callback lands on another
worker than their start all succeed; forged and replayed callbacks fail."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import requests

from authlib_cashsocial.testing import ScriptedBrowser, demo_site
from authlib_cashsocial.testing.server import FakeSite

from .conftest import system_program

ROOT = Path(__file__).resolve().parent.parent
CROSS_WORKER_LOGINS = 200
WORKERS = 3


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    server = system_program("redis-server")
    port = _free_port()
    proc = subprocess.Popen(
        [
            server,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        client.close()
        proc.terminate()
        proc.wait(timeout=10)


def _command(server: str, port: int) -> list[str]:
    if server == "gunicorn":
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(WORKERS),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "tests.multiworker_apps:flask_app()",
        ]
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "tests.multiworker_apps:fastapi_app",
        "--workers",
        str(WORKERS),
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]


def _fresh_browser() -> requests.Session:
    browser = requests.Session()
    browser.headers["Connection"] = "close"  # a new connection: any worker may answer
    return browser


def _wait_for_workers(app: str) -> None:
    """Poll until every worker has answered once. A busy machine makes a
    worker slow to start (refused, reset or timed-out probes): keep polling
    until the deadline, whatever the probe raised."""
    seen: set[str] = set()
    deadline = time.monotonic() + 90
    while len(seen) < WORKERS:
        assert time.monotonic() < deadline, f"only workers {seen} answered"
        try:
            with _fresh_browser() as probe:
                seen.add(probe.get(app + "/", timeout=10).headers["X-Worker"])
        except requests.RequestException:
            time.sleep(0.1)


@pytest.mark.parametrize("store", ["cookie", "redis"])
@pytest.mark.parametrize("server", ["gunicorn", "uvicorn"])
def test_logins_across_worker_processes(server, store, request, record_property):
    port = _free_port()
    app = f"http://127.0.0.1:{port}"
    with demo_site(redirect_url=f"{app}/auth") as site:
        env = {
            **os.environ,
            "CASHSOCIAL_CLIENT_ID": site.app.app_id,
            "CASHSOCIAL_CLIENT_SECRET": site.app.app_secret,
            "CASHSOCIAL_BASE_URL": site.base_url,
            "SECRET_KEY": "shared-by-all-workers",
        }
        if store == "redis":
            env["REDIS_URL"] = request.getfixturevalue("redis_url")
        proc = subprocess.Popen(
            _command(server, port), cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True
        )
        try:
            _wait_for_workers(app)
            cross, attempts = _log_in_until_cross_worker(site, app)
            _forged_and_replayed_callbacks_fail(site, app)
        finally:
            proc.terminate()
            _, stderr = proc.communicate(timeout=20)
    assert cross == CROSS_WORKER_LOGINS
    record_property("logins", attempts)
    print(f"{server}/{store}: {attempts} logins, {cross} across workers, all succeeded")
    assert "Traceback" not in stderr, stderr[-2000:]


def _log_in_until_cross_worker(site: FakeSite, app: str) -> tuple[int, int]:
    at_site = ScriptedBrowser()
    cross = attempts = 0
    try:
        while cross < CROSS_WORKER_LOGINS:
            attempts += 1
            assert attempts <= 6 * CROSS_WORKER_LOGINS, "workers never alternate"
            with _fresh_browser() as browser:
                start = browser.get(app + "/login", allow_redirects=False, timeout=10)
                callback = at_site.log_in(
                    start.headers["Location"], username="alice", password="wonderland"
                )
                assert callback is not None
                done = browser.get(callback, allow_redirects=False, timeout=10)
                assert done.status_code in (302, 307), done.text  # every login succeeds
                home = browser.get(app + "/", timeout=10)
                assert "Hello, Alice Liddell!" in home.text
                if start.headers["X-Worker"] != done.headers["X-Worker"]:
                    cross += 1
    finally:
        at_site.close()
    return cross, attempts


def _forged_and_replayed_callbacks_fail(site: FakeSite, app: str) -> None:
    at_site = ScriptedBrowser()
    try:
        login_url = f"{site.base_url}/api/oauth?app_id={site.app.app_id}"
        forged = at_site.log_in(login_url, username="bob", password="builder")
        with _fresh_browser() as victim:
            assert (
                victim.get(forged, allow_redirects=False, timeout=10).status_code == 400
            )
        with _fresh_browser() as browser:
            start = browser.get(app + "/login", allow_redirects=False, timeout=10)
            callback = at_site.log_in(
                start.headers["Location"], username="bob", password="builder"
            )
            assert (
                browser.get(callback, allow_redirects=False, timeout=10).status_code
                == 302
            )
            replay = browser.get(callback, allow_redirects=False, timeout=10)
            assert replay.status_code == 400
    finally:
        at_site.close()
