"""The commands a newcomer runs, and the README's example, as written."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from pathlib import Path

import requests

from authlib_cashsocial.testing import FakeSite

ROOT = Path(__file__).resolve().parent.parent


def test_scripted_demo_prints_a_normalized_profile():
    done = subprocess.run(
        [sys.executable, "-m", "authlib_cashsocial", "demo", "--script"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    profile = json.loads(done.stdout[done.stdout.index("{") :])
    assert profile["sub"] == "101"
    assert profile["name"] == "Alice Liddell"
    assert profile["user_info"]["user_name"] == "alice"
    assert "demo-secret" not in done.stdout + done.stderr


def test_demo_on_an_old_release_with_another_user():
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "authlib_cashsocial",
            "demo",
            "--script",
            "--release",
            "4.0.3",
            "--user",
            "olga",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert '"name": "Ольга Петрова"' in done.stdout


def test_demo_against_a_real_site_prints_the_redirect_url_to_register():
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "authlib_cashsocial",
            "demo",
            "--base-url",
            "https://social.example",
            "--client-id",
            "42",
            "--client-secret",
            "s3cret",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(3)]
        register = re.search(
            r"App Redirect URL.*: (http://127\.0\.0\.1:\d+/auth)", lines[1]
        )
        app = re.search(r"demo app:\s+(http://127\.0\.0\.1:\d+)/", lines[2]).group(1)
        assert register.group(1) == app + "/auth"
        start = requests.get(app + "/login", allow_redirects=False, timeout=5)
        assert start.headers["Location"] == "https://social.example/api/oauth?app_id=42"
        assert "s3cret" not in "".join(lines)
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
        proc.stdout.close()


def test_fake_provider_command_serves_until_interrupted():
    proc = subprocess.Popen(
        [sys.executable, "-m", "authlib_cashsocial", "fake-provider", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        base = re.search(r"(http://127\.0\.0\.1:\d+)", first).group(1)
        answer = requests.get(
            f"{base}/api/get_user_info", params={"access_token": "x"}, timeout=5
        )
        assert answer.json() == {"error": True, "message": "invalid access_token"}
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
        proc.stdout.close()


def test_readme_example_runs_as_written(site: FakeSite):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = re.search(r"```python\n(.*?)```", readme, re.DOTALL).group(1)
    login_url = f"{site.base_url}/api/oauth?app_id={site.app.app_id}"
    callback_url = site.browser.log_in(
        login_url, username="alice", password="wonderland"
    )
    namespace = {
        "APP_ID": site.app.app_id,
        "APP_SECRET": site.app.app_secret,
        "BASE_URL": site.base_url,
        "callback_url": callback_url,
    }
    exec(compile(example, "README.md", "exec"), namespace)  # noqa: S102
    assert namespace["login_url"] == login_url
    assert namespace["user"]["sub"] == "101"
    namespace["session"].close()


def test_readme_flask_example_logs_a_user_in(site: FakeSite):
    from flask import Flask, redirect, session

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = re.findall(r"```python\n(.*?)```", readme, re.DOTALL)[1]
    app = Flask("readme_example")
    app.secret_key = "test"
    app.config.update(
        CASHSOCIAL_CLIENT_ID=site.app.app_id,
        CASHSOCIAL_CLIENT_SECRET=site.app.app_secret,
        CASHSOCIAL_BASE_URL=site.base_url,
    )
    namespace = {"app": app, "session": session, "redirect": redirect}
    exec(compile(example, "README.md", "exec"), namespace)  # noqa: S102
    browser = app.test_client()
    callback = site.browser.log_in(
        browser.get("/login").headers["Location"], username="bob", password="builder"
    )
    assert browser.get(callback.replace("http://127.0.0.1:5000", "")).status_code == 302
    with browser.session_transaction() as saved:
        assert saved["user"]["sub"] == "102"
