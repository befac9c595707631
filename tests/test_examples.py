"""Each example, started as a user would (``--fake``), logs a user in."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from authlib_cashsocial.testing import ScriptedBrowser

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = {
    "flask": (ROOT / "examples" / "flask_app.py", "/login"),
    "fastapi": (ROOT / "examples" / "fastapi_app.py", "/login"),
    "django": (ROOT / "examples" / "django_project" / "run.py", "/cashsocial/login/"),
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_logs_a_user_in(name):
    script, login_path = EXAMPLES[name]
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, str(script), "--fake", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline(), proc.stdout.readline()]
        assert re.search(r"fake site: http://127\.0\.0\.1:\d+", lines[0]), lines
        app = f"http://127.0.0.1:{port}"
        browser = requests.Session()
        deadline = time.monotonic() + 60
        while True:
            try:
                home = browser.get(app + "/", timeout=5)
                break
            except requests.RequestException:  # refused, reset or slow to start
                assert time.monotonic() < deadline, "the example did not start"
                time.sleep(0.1)
        assert "Log in with Cash Social Network" in home.text
        start = browser.get(app + login_path, allow_redirects=False, timeout=5)
        callback = ScriptedBrowser().log_in(
            start.headers["Location"], username="alice", password="wonderland"
        )
        assert callback is not None
        assert callback.startswith(app)
        done = browser.get(callback, timeout=5)  # follows the redirect home
        assert "Hello, Alice Liddell!" in done.text
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()
        proc.stderr.close()
