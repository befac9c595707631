"""The commands a newcomer runs, and the README's example, as written."""

from __future__ import annotations

import argparse
import json
import os
import pty
import re
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from authlib_cashsocial.testing import FakeSite, ScriptedBrowser

from .processes import free_port, module_command, python_env, running

ROOT = Path(__file__).resolve().parent.parent
HEX_SECRET = re.compile(r"[0-9a-f]{32}")


def _run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        module_command(*args),
        env=python_env(**env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def test_scripted_demo_prints_a_normalized_profile():
    done = _run("demo", "--script")
    assert done.returncode == 0, done.stderr
    profile = json.loads(done.stdout[done.stdout.index("{") :])
    assert profile["sub"] == "101"
    assert profile["name"] == "Alice Liddell"
    assert profile["user_info"]["user_name"] == "alice"
    assert "demo-secret" not in done.stdout + done.stderr


def test_demo_on_an_old_release_with_another_user():
    done = _run("demo", "--script", "--release", "4.0.3", "--user", "olga")
    assert done.returncode == 0, done.stderr
    assert '"name": "Ольга Петрова"' in done.stdout


def test_help_describes_the_command_and_every_option_with_its_default():
    from authlib_cashsocial.__main__ import _parser

    top = _run("--help")
    assert top.returncode == 0
    assert "demo web app" in top.stdout
    assert "fake-provider" in top.stdout
    parser = _parser()
    (commands,) = (a for a in parser._actions if a.dest == "command")
    assert set(commands.choices) == {"demo", "fake-provider"}
    for name, sub in commands.choices.items():
        assert sub.description, name
        assert _run(name, "--help").returncode == 0
        formatter = sub.formatter_class(prog=name)
        for action in sub._actions:
            if action.help == argparse.SUPPRESS or action.nargs == 0:
                continue  # --help, hidden, and flags (off unless given)
            shown = formatter._get_help_string(action) % {"default": action.default}
            assert "default" in shown, (name, action.option_strings, shown)
    demo_help = _run("demo", "--help").stdout
    for flag in ("--host", "--release", "--client-id", "--base-url", "--port"):
        assert flag in demo_help


def test_the_cli_page_documents_every_command_and_option():
    from authlib_cashsocial.__main__ import _parser

    page = (ROOT / "docs" / "cli.rst").read_text(encoding="utf-8")
    (commands,) = (a for a in _parser()._actions if a.dest == "command")
    for name, sub in commands.choices.items():
        assert f"``{name}``" in page, name
        for action in sub._actions:
            if action.help == argparse.SUPPRESS or "--help" in action.option_strings:
                continue
            assert any(f"``{flag}" in page for flag in action.option_strings), (
                name,
                action.option_strings,
            )


def test_version():
    import authlib_cashsocial

    done = _run("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == (
        f"python -m authlib_cashsocial {authlib_cashsocial.__version__}"
    )


def test_the_cli_knows_every_release_the_fake_site_fakes():
    from authlib_cashsocial.__main__ import RELEASES
    from authlib_cashsocial.testing import RELEASES as FAKED

    assert RELEASES == FAKED


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (("demo", "--port"), "--port"),
        (("demo", "--provider-port"), "--provider-port"),
        (("fake-provider", "--port"), "--port"),
        (("demo", "--script", "--provider-port"), "--provider-port"),
    ],
)
def test_a_port_in_use_is_one_line_not_a_traceback(args, flag):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = _one_line_error(_run(*args, str(port)))
    assert f"port {port} on 127.0.0.1 is in use" in line
    assert f"pick another with {flag}" in line


def test_http_base_url_advice_is_for_the_command_line():
    line = _one_line_error(
        _run("demo", "--base-url", "http://social.example", "--client-id", "1")
    )
    assert "--allow-insecure" in line
    assert "allow_insecure=True" not in line
    assert "register" not in line


def test_a_real_site_without_a_secret_says_how_to_give_one():
    line = _one_line_error(_run("demo", "--client-id", "42"))
    assert "CASHSOCIAL_CLIENT_SECRET" in line


def test_a_real_site_without_an_app_id_says_how_to_give_one():
    line = _one_line_error(_run("demo", "--base-url", "https://social.example"))
    assert "--client-id" in line


def test_the_secret_is_refused_on_the_command_line():
    done = _run("demo", "--client-id", "42", "--client-secret", "s3cret")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "CASHSOCIAL_CLIENT_SECRET" in done.stderr
    assert "ps" in done.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        # socket.bind() wrapped 70000 to 4464; 99999 and -1 were tracebacks
        (("demo", "--port", "70000"), "argument --port: '70000' is not a port"),
        (("demo", "--port", "99999"), "argument --port: '99999' is not a port"),
        (("demo", "--port", "-1"), "argument --port: '-1' is not a port"),
        (("demo", "--provider-port", "65536"), "--provider-port: '65536' is not"),
        (("fake-provider", "--port", "70000"), "--port: '70000' is not a port"),
        (("demo", "--script", "--host", "not a host"), "argument --host: 'not"),
        (("fake-provider", "--host", "nosuch.invalid"), "argument --host: 'nosu"),
        (("fake-provider", "--redirect-url", "notaurl"), "not an absolute http"),
        (("fake-provider", "--redirect-url", "http://h:99999/cb"), "no valid port"),
        (("--bogus",), "unrecognized arguments: --bogus"),
        (("--bogus", "demo"), "unrecognized arguments: --bogus"),
        # was reported by the top level, which has no such options to list
        (
            ("demo", "--bogus"),
            "demo: error: unrecognized arguments: --bogus (see "
            "python -m authlib_cashsocial demo --help)",
        ),
        (("fake-provider", "extra"), "fake-provider: error: unrecognized arg"),
        ((), "give a command: demo or fake-provider"),
        (("dmeo",), "invalid choice: 'dmeo'"),
    ],
)
def test_a_misuse_is_one_line_not_a_traceback(args, expected):
    line = _one_line_error(_run(*args))
    assert expected in line
    assert line.startswith("python -m authlib_cashsocial")


@pytest.mark.parametrize(
    "args",
    [
        ("demo", "--base-url", "https://user:hunter2pw@social.example/x"),
        ("demo", "--base-url", "http://user:hunter2pw@social.example/x"),
        ("demo", "--client-id", "1", "--base-url", "https://user:hunter2pw@h.example"),
        ("demo", "--client-id", "1", "--base-url", "https://h.example/api?k=hunter2pw"),
        ("demo", "--client-id", "1", "--base-url", "user:hunter2pw@social.example"),
        ("fake-provider", "--redirect-url", "https://user:hunter2pw@app.example/cb"),
        ("fake-provider", "--redirect-url", "user:hunter2pw@app.example/cb"),
        # an unknown option's value was repeated verbatim
        ("demo", "--bogus", "https://user:hunter2pw@social.example/x"),
        ("fake-provider", "--bogus=https://user:hunter2pw@h.example/?k=hunter2pw"),
        ("demo", "--script", "user:hunter2pw@social.example"),
    ],
)  # fmt: skip
def test_no_error_repeats_a_credential_of_a_url(args):
    line = _one_line_error(_run(*args))
    assert "hunter2pw" not in line
    assert "user" not in line.split("error:", 1)[1].replace("a user or", "")


RUN_WITHOUT = ROOT / "tests" / "run_without.py"
# Every command with modules of its extras missing: the extras to install and
# what its line says.
FAKE_SITE = "the fake Sngine site (authlib_cashsocial.testing)"
WITHOUT_AN_EXTRA = [
    (("demo",), "flask", "flask", "the demo app needs the flask extra (flask is"),
    (("demo",), "werkzeug", "testing", "the demo app needs the testing extra"),
    (("demo",), "waitress", "testing", "the demo app needs the testing extra"),
    (
        ("demo",),
        "flask,waitress,werkzeug",
        "flask,testing",
        "the demo app needs the flask and testing extras (flask, waitress and",
    ),
    (("demo", "--script"), "werkzeug", "testing", f"{FAKE_SITE} needs the testing"),
    (("demo", "--script"), "waitress", "testing", "(waitress is not installed)"),
    (("fake-provider",), "werkzeug", "testing", "(werkzeug is not installed)"),
    (("fake-provider",), "cheroot", "testing", "(cheroot is not installed)"),
    (("demo", "--script"), "cheroot", "testing", f"{FAKE_SITE} needs the testing"),
    (("fake-provider",), "waitress", "testing", f"{FAKE_SITE} needs the testing"),
]


def _run_without(blocked: str, *args: str, cwd: Path = ROOT) -> str:
    """The command with ``blocked`` modules missing: its one error line."""
    done = subprocess.run(
        [sys.executable, str(RUN_WITHOUT), blocked, *args],
        cwd=cwd,
        env=python_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return (
        _one_line_error(done)
        if args[0] == "-m" and args[1] != "pytest"
        else (done.stdout + done.stderr)
    )


@pytest.mark.parametrize(("args", "blocked", "extras", "expected"), WITHOUT_AN_EXTRA)
def test_a_missing_extra_is_one_line_naming_the_pip_install_line(
    args, blocked, extras, expected
):
    """Was: a bare ``ModuleNotFoundError: No module named 'flask'`` (or
    'werkzeug') traceback."""
    line = _run_without(blocked, "-m", "authlib_cashsocial", *args)
    assert expected in line, line
    # from the index, or as this copy was installed (a clone, a wheel, git)
    assert re.search(rf'pip install (-e )?"[^"]*\[{extras}\]', line), line


def test_the_fixture_without_the_testing_extra_says_what_the_commands_say(
    tmp_path: Path,
):
    """The pytest fixture fails its test with the commands' one line, without
    a traceback."""
    command = _run_without("werkzeug", "-m", "authlib_cashsocial", "fake-provider")
    message = command.split(": error: ", 1)[1]
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    (tmp_path / "test_app.py").write_text(
        "def test_login(cashsocial_provider):\n    pass\n", encoding="utf-8"
    )
    output = _run_without(
        "werkzeug", "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=tmp_path
    )
    assert "1 error" in output, output
    assert message in output.splitlines(), output
    assert "Traceback" not in output
    assert "ModuleNotFoundError" not in output


def test_each_commands_help_names_the_extras_it_needs():
    demo = " ".join(_run("demo", "--help").stdout.split())
    assert "Needs the flask and testing extras: pip install" in demo
    assert "With --script, only the testing extra." in demo
    fake = " ".join(_run("fake-provider", "--help").stdout.split())
    assert "Needs the testing extra: pip install" in fake


def _log_in_through(app: str, site: FakeSite | None = None) -> requests.Response:
    """Open the app's login, click through the (fake) site, come back."""
    browser = requests.Session()
    start = browser.get(app + "/login", allow_redirects=False, timeout=10)
    at_site = ScriptedBrowser()
    try:
        callback = at_site.log_in(
            start.headers["Location"], username="alice", password="wonderland"
        )
    finally:
        at_site.close()
    assert callback is not None
    return browser.get(callback, timeout=10)


def test_demo_with_a_real_site_reads_the_secret_from_the_environment(site: FakeSite):
    """The fake site on loopback stands in for a real one; the secret is in
    CASHSOCIAL_CLIENT_SECRET, never in the arguments (``ps``)."""
    port = free_port()
    site.app.redirect_url = f"http://127.0.0.1:{port}/auth"
    args = module_command(
        "demo",
        "--base-url",
        site.base_url,
        "--client-id",
        site.app.app_id,
        "--port",
        str(port),
    )
    env = python_env(CASHSOCIAL_CLIENT_SECRET=site.app.app_secret)
    with running(args, env=env) as demo:
        register = demo.stdout.wait_for(r"App Redirect URL.*: (http://\S+)")
        assert register.group(1) == site.app.redirect_url
        app = demo.stdout.wait_for(r"demo app:\s+(http://127\.0\.0\.1:\d+)/").group(1)
        profile = _log_in_through(app)
        assert "Alice Liddell" in profile.text
        assert demo.interrupt() == 0
    assert site.app.app_secret not in demo.stdout.text + demo.stderr.text
    assert site.app.app_secret not in " ".join(args)


def test_demo_with_a_real_site_asks_for_the_secret_without_echo(site: FakeSite):
    port = free_port()
    site.app.redirect_url = f"http://127.0.0.1:{port}/auth"
    args = module_command(
        "demo",
        "--base-url",
        site.base_url,
        "--client-id",
        site.app.app_id,
        "--port",
        str(port),
    )
    pid, terminal = pty.fork()
    if pid == 0:  # pragma: no cover - the child process
        try:
            os.execve(args[0], args, python_env())  # noqa: S606
        finally:
            os._exit(127)
    seen = b""

    def read_until(marker: bytes, timeout: float = 30) -> None:
        nonlocal seen
        deadline = time.monotonic() + timeout
        while marker not in seen:
            left = deadline - time.monotonic()
            assert left > 0, seen.decode(errors="replace")
            ready, _, _ = select.select([terminal], [], [], left)
            if ready:
                try:
                    chunk = os.read(terminal, 4096)
                except OSError:  # the child closed the terminal
                    chunk = b""
                assert chunk, seen.decode(errors="replace")
                seen += chunk

    try:
        read_until(b"App secret of app demo-app")
        os.write(terminal, site.app.app_secret.encode() + b"\n")
        read_until(b"<- open this")
        app = re.search(rb"demo app:\s+(http://127\.0\.0\.1:\d+)/", seen)
        profile = _log_in_through(app.group(1).decode())
        assert "Alice Liddell" in profile.text
        assert site.app.app_secret.encode() not in seen  # not echoed
    finally:
        os.kill(pid, signal.SIGINT)
        _, status = os.waitpid(pid, 0)
        os.close(terminal)
    assert os.waitstatus_to_exitcode(status) == 0


@pytest.mark.parametrize("release", ["4.2", "4.0.3"])
def test_demo_logs_one_line_per_request_without_secrets(release):
    """One line per request from the app and from the fake site. On 4.0.3 the
    exchange carries app_secret and auth_key in its query string."""
    with running(
        module_command("demo", "--release", release), env=python_env()
    ) as demo:
        demo.stdout.wait_for(r"starting the fake Sngine")
        demo.stdout.wait_for(r"fake site:\s+http://127\.0\.0\.1:\d+")
        app = demo.stdout.wait_for(r"demo app:\s+(http://127\.0\.0\.1:\d+)/").group(1)
        assert "Alice Liddell" in _log_in_through(app).text
        demo.stdout.wait_for(r"demo app\s+GET /auth\?auth_key=\[REDACTED\] -> 302")
        demo.stdout.wait_for(r"demo app\s+GET / -> 200")
        demo.stdout.wait_for(r"fake site GET /api/oauth\?app_id=demo-app -> 302")
        demo.stdout.wait_for(
            r"fake site GET /api/get_user_info\?access_token=\[REDACTED\] -> 200"
        )
        if release == "4.0.3":
            demo.stdout.wait_for(
                r"fake site GET /api/authorize\?app_id=demo-app&app_secret=\[REDACTED\]"
                r"&auth_key=\[REDACTED\] -> 200"
            )
        assert demo.interrupt() == 0
    output = demo.stdout.text + demo.stderr.text
    assert "demo-secret" not in output
    assert not HEX_SECRET.search(output), output  # auth keys and tokens


def test_demo_serves_a_favicon_on_the_app_and_the_site():
    with running(module_command("demo"), env=python_env()) as demo:
        site = demo.stdout.wait_for(r"fake site:\s+(http://\S+)").group(1)
        app = demo.stdout.wait_for(r"demo app:\s+(http://\S+?)/\s").group(1)
        for base in (app, site):
            icon = requests.get(base + "/favicon.ico", timeout=10)
            assert icon.status_code == 200
            assert icon.headers["Content-Type"] == "image/x-icon"
            assert icon.content[:4] == b"\x00\x00\x01\x00"  # an ICO header
            assert b"\x89PNG" in icon.content


def test_fake_provider_command_serves_until_interrupted():
    with running(
        module_command("fake-provider", "--port", "0"), env=python_env()
    ) as cmd:
        base = cmd.stdout.wait_for(r"(http://127\.0\.0\.1:\d+)").group(1)
        answer = requests.get(
            f"{base}/api/get_user_info", params={"access_token": "x"}, timeout=5
        )
        assert answer.json() == {
            "error": True,
            "message": "Bad Request, invalid access_token",
        }
        cmd.stdout.wait_for(
            r"fake site GET /api/get_user_info\?access_token=\[REDACTED\]"
        )
        assert cmd.interrupt() == 0


def test_the_tests_stop_their_programs_under_a_background_job():
    """``make matrix &`` in a script: pytest and all it starts inherit an
    ignored SIGINT, which the interrupt above would then not stop."""
    ignore_sigint_then_run_pytest = (
        "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); "
        "os.execv(sys.executable, [sys.executable, '-m', 'pytest', *sys.argv[1:]])"
    )
    test = "tests/test_main.py::test_fake_provider_command_serves_until_interrupted"
    result = subprocess.run(
        [sys.executable, "-c", ignore_sigint_then_run_pytest, test, "-q"],
        cwd=ROOT, env=python_env(), capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


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
