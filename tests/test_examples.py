"""The examples, started as a user would: each logs a user in against the
embedded fake site (``--fake``), and against a "real" site (the fake one on
loopback, given as ``--base-url``) with nothing but its framework's extra;
each refuses to start without its settings, and none accepts a session
cookie signed with a key that anyone could know."""

from __future__ import annotations

import base64
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from authlib_cashsocial.testing import FakeSite, ScriptedBrowser

from .apps import installed_stacks
from .processes import free_port, python_env, running, wait_until_serving

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES_DIR = ROOT / "examples"
RUN_WITHOUT = ROOT / "tests" / "run_without.py"
SETTINGS = ("CASHSOCIAL_CLIENT_ID", "CASHSOCIAL_CLIENT_SECRET", "SECRET_KEY")
# The key every example used to fall back to.
KNOWN_KEY = "change-me"
# Modules that no example may need against a real site (the fake site and its
# server), and those of the other frameworks.
NOT_NEEDED = ("authlib_cashsocial.testing", "waitress")
FRAMEWORKS = {
    "flask": ("flask",),
    "fastapi": ("fastapi", "starlette", "uvicorn", "httpx2", "itsdangerous"),
    "django": ("django",),
}


@dataclass(frozen=True)
class Example:
    script: Path
    login: str
    callback: str
    cookie: str

    def command(self, *args: str, without: tuple[str, ...] = ()) -> list[str]:
        if without:
            return [
                sys.executable,
                str(RUN_WITHOUT),
                ",".join(without),
                str(self.script),
                *args,
            ]
        return [sys.executable, str(self.script), *args]


EXAMPLES = {
    "flask": Example(EXAMPLES_DIR / "flask_app.py", "/login", "/auth", "session"),
    "fastapi": Example(EXAMPLES_DIR / "fastapi_app.py", "/login", "/auth", "session"),
    "django": Example(
        EXAMPLES_DIR / "django_project" / "run.py",
        "/cashsocial/login/",
        "/cashsocial/auth/",
        "sessionid",
    ),
}


def _log_in(app: str, example: Example, user: str = "alice") -> requests.Session:
    browser = requests.Session()
    home = wait_until_serving(app + "/")
    assert "Log in with Cash Social Network" in home.text
    start = browser.get(app + example.login, allow_redirects=False, timeout=10)
    at_site = ScriptedBrowser()
    try:
        password = {"alice": "wonderland", "bob": "builder"}[user]
        callback = at_site.log_in(
            start.headers["Location"], username=user, password=password
        )
    finally:
        at_site.close()
    assert callback is not None
    assert callback.startswith(app + example.callback)
    done = browser.get(callback, timeout=10)  # follows the redirect home
    assert done.status_code == 200
    return browser


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_logs_a_user_in_with_the_fake_site(name):
    example = EXAMPLES[name]
    port = free_port()
    with running(
        example.command("--fake", "--port", str(port)), env=python_env()
    ) as cmd:
        cmd.stdout.wait_for(r"fake site: http://127\.0\.0\.1:\d+")
        app = cmd.stdout.wait_for(r"app: (http://127\.0\.0\.1:\d+)/").group(1)
        browser = _log_in(app, example)
        assert "Hello, Alice Liddell!" in browser.get(app + "/", timeout=10).text
    assert "Traceback" not in cmd.stderr.text


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_with_a_real_site_needs_only_its_framework_extra(name, site: FakeSite):
    """Against a real site (the fake one, on loopback), with the fake site's
    module, waitress and the other frameworks unimportable."""
    example = EXAMPLES[name]
    port = free_port()
    site.app.redirect_url = f"http://127.0.0.1:{port}{example.callback}"
    others = tuple(m for f, mods in FRAMEWORKS.items() if f != name for m in mods)
    if name == "flask":  # httpx2 and itsdangerous come with other extras
        others = tuple(m for m in others if m not in ("itsdangerous",))
    env = python_env(
        CASHSOCIAL_CLIENT_ID=site.app.app_id,
        CASHSOCIAL_CLIENT_SECRET=site.app.app_secret,
        SECRET_KEY="k" * 32,
    )
    args = example.command(
        "--base-url", site.base_url, "--port", str(port), without=NOT_NEEDED + others
    )
    with running(args, env=env) as cmd:
        app = cmd.stdout.wait_for(r"app: (http://127\.0\.0\.1:\d+)/").group(1)
        browser = _log_in(app, example, user="bob")
        assert "Hello, Bob!" in browser.get(app + "/", timeout=10).text
    output = cmd.stdout.text + cmd.stderr.text
    assert "Traceback" not in output
    # the server's request lines are there, the callback's key redacted
    assert re.search(r"GET /\S*auth/?\?auth_key=\[REDACTED\]", output), output
    assert not re.search(r"[0-9a-f]{32}", output), output  # keys, tokens
    assert site.app.app_secret not in output


@pytest.mark.parametrize("name", EXAMPLES)
@pytest.mark.parametrize("given", [(), SETTINGS[:2], SETTINGS[2:]])
def test_example_without_its_settings_says_what_is_missing(name, given):
    example = EXAMPLES[name]
    env = python_env(**dict.fromkeys(given, "x" * 40))
    with running(example.command("--port", str(free_port())), env=env) as cmd:
        assert cmd.wait(timeout=60) == 2
    missing = [s for s in SETTINGS if s not in given]
    for setting in missing:
        assert f"{setting} " in cmd.stderr.text
    for setting in given:
        assert f"  {setting} " not in cmd.stderr.text
    assert "export " in cmd.stderr.text  # how to set them
    assert f"make example-{name}" in cmd.stderr.text  # or the fake site
    assert "Traceback" not in cmd.stderr.text
    assert not cmd.stdout.text  # nothing started


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_refuses_a_short_secret_key(name):
    env = python_env(
        CASHSOCIAL_CLIENT_ID="1", CASHSOCIAL_CLIENT_SECRET="s", SECRET_KEY=KNOWN_KEY
    )
    with running(EXAMPLES[name].command("--port", str(free_port())), env=env) as cmd:
        assert cmd.wait(timeout=60) == 2
    assert "SECRET_KEY" in cmd.stderr.text
    assert "too short" in cmd.stderr.text
    assert "Traceback" not in cmd.stderr.text


def test_django_manage_py_works_and_says_what_is_missing():
    manage = [sys.executable, str(EXAMPLES_DIR / "django_project" / "manage.py")]
    with running([*manage, "runserver", str(free_port())], env=python_env()) as cmd:
        assert cmd.wait(timeout=60) == 2
    assert "CASHSOCIAL_CLIENT_ID" in cmd.stderr.text
    assert "Traceback" not in cmd.stderr.text
    env = python_env(
        CASHSOCIAL_CLIENT_ID="1", CASHSOCIAL_CLIENT_SECRET="s", SECRET_KEY="k" * 32
    )
    with running([*manage, "check"], env=env) as cmd:
        assert cmd.wait(timeout=60) == 0, cmd.stderr.text
    assert "no issues" in cmd.stdout.text
    with running([*manage, "help"], env=python_env()) as cmd:
        assert cmd.wait(timeout=60) == 0


def _forged_cookie(name: str, session: dict) -> str:
    """A session cookie as each framework signs it, with the known key."""
    if name == "flask":
        from flask import Flask
        from flask.sessions import SecureCookieSessionInterface

        app = Flask("forger")
        app.secret_key = KNOWN_KEY
        serializer = SecureCookieSessionInterface().get_signing_serializer(app)
        assert serializer is not None
        return str(serializer.dumps(session))
    if name == "fastapi":
        from itsdangerous import TimestampSigner

        data = base64.b64encode(json.dumps(session).encode())
        return TimestampSigner(KNOWN_KEY).sign(data).decode()
    from django.core import signing

    signer = signing.TimestampSigner(
        key=KNOWN_KEY,
        salt="django.contrib.sessions.backends.signed_cookies",
        fallback_keys=[],
    )
    return signer.sign_object(session, serializer=signing.JSONSerializer, compress=True)


@pytest.mark.parametrize("name", EXAMPLES)
def test_a_session_cookie_signed_with_the_old_default_key_is_no_login(name):
    """The examples used to fall back to SECRET_KEY "change-me": anyone could
    sign a cookie saying they were logged in. --fake now makes a key per
    run, and a real site needs one of yours."""
    example = EXAMPLES[name]
    port = free_port()
    forged = _forged_cookie(name, {"user": {"name": "Forged Admin", "sub": "1"}})
    with running(
        example.command("--fake", "--port", str(port)), env=python_env()
    ) as cmd:
        app = cmd.stdout.wait_for(r"app: (http://127\.0\.0\.1:\d+)/").group(1)
        wait_until_serving(app + "/")
        home = requests.get(app + "/", cookies={example.cookie: forged}, timeout=10)
        assert "Forged Admin" not in home.text
        assert "Log in with Cash Social Network" in home.text


# The django-allauth and python-social-auth examples start a login the way
# their stacks do: a POST with Django's CSRF token (allauth's home page links
# to its confirmation form, social-app-django's home page is the form).
POST_EXAMPLES = {
    "allauth": EXAMPLES_DIR / "allauth_project" / "run.py",
    "social": EXAMPLES_DIR / "social_project" / "run.py",
}
_FORM = re.compile(r'<form method="post"(?:\s+action="([^"]*)")?')
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _post_the_form(browser: requests.Session, url: str, page: str) -> str:
    """Submit the page's login form as a browser would; return the site's URL."""
    action = _FORM.search(page)
    token = _CSRF.search(page)
    assert action, page
    assert token, page
    start = browser.post(
        requests.compat.urljoin(url, action.group(1) or url),  # none: this page
        data={"csrfmiddlewaretoken": token.group(1)},
        allow_redirects=False,
        timeout=10,
    )
    assert start.status_code == 302, start.text
    return str(start.headers["Location"])


@pytest.mark.slow
@pytest.mark.parametrize("name", POST_EXAMPLES)
def test_django_stack_example_logs_a_user_in(name):
    if name not in installed_stacks():  # Python 3.10, older Django
        pytest.skip(f"the {name} extra is not installed here")
    port = free_port()
    command = [sys.executable, str(POST_EXAMPLES[name]), "--fake", "--port", str(port)]
    with running(command, env=python_env()) as cmd:
        cmd.stdout.wait_for(r"fake site: http://127\.0\.0\.1:\d+")
        app = cmd.stdout.wait_for(r"app: (http://127\.0\.0\.1:\d+)/").group(1)
        browser = requests.Session()
        wait_until_serving(app + "/")
        home = browser.get(app + "/", timeout=10)
        assert "Log in with Cash Social Network" in home.text
        page_url, page = app + "/", home.text
        if name == "allauth":  # the link opens allauth's confirmation form
            link = re.search(r'<a id="login" href="([^"]+)"', home.text)
            assert link, home.text
            page_url = app + link.group(1)
            page = browser.get(page_url, timeout=10).text
        at_site = ScriptedBrowser()
        try:
            callback = at_site.log_in(
                _post_the_form(browser, page_url, page),
                username="alice",
                password="wonderland",
            )
        finally:
            at_site.close()
        assert callback is not None
        assert callback.startswith(app)
        done = browser.get(callback, timeout=10)  # follows the redirect home
        assert "Hello, Alice Liddell!" in done.text
    assert "Traceback" not in cmd.stderr.text


@pytest.mark.parametrize("name", POST_EXAMPLES)
def test_django_stack_example_without_its_settings_says_what_is_missing(name):
    if name not in installed_stacks():
        pytest.skip(f"the {name} extra is not installed here")
    with running([sys.executable, str(POST_EXAMPLES[name])], env=python_env()) as cmd:
        assert cmd.wait() != 0
    for setting in SETTINGS:
        assert setting in cmd.stderr.text
    assert "Traceback" not in cmd.stderr.text


# ------------------------------------------------ a new session on login
# Every login view a reader may copy (README, docs, examples, the demo) starts
# a new session before it stores the user: a session planted by a sibling
# subdomain never becomes the logged-in one (docs/security.rst, "Sessions").

_STORES_THE_USER = re.compile(
    r"""session\[["']user(?:_id)?["']\]\s*=(?!=)|\blogin_user\("""
)
_NEW_SESSION = re.compile(r"session\.clear\(\)|\.cycle_key\(\)")


def _login_views() -> list[tuple[str, int]]:
    sources = [
        ROOT / "README.md",
        *sorted((ROOT / "docs").glob("*.rst")),
        *sorted(EXAMPLES_DIR.rglob("*.py")),
        ROOT / "authlib_cashsocial" / "testing" / "demo_app.py",
    ]
    found = []
    for source in sources:
        lines = source.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines):
            if _STORES_THE_USER.search(line):
                before = "\n".join(lines[max(0, number - 4) : number + 1])
                if not _NEW_SESSION.search(before):
                    found.append((str(source.relative_to(ROOT)), number + 1))
    return found


def test_every_login_view_starts_a_new_session():
    assert _login_views() == []
