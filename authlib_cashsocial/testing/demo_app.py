"""The demo web app behind ``make demo``: Flask, this package's blueprint, and
a profile page that shows every claim. Needs the ``flask`` extra.

Example::

    app = create_demo_app(client_id=APP_ID, client_secret=SECRET, base_url=BASE)
    waitress.serve(app, port=5000)
"""

from __future__ import annotations

import atexit
import html
import json
import secrets
from typing import Any

from authlib.integrations.flask_client import OAuth
from flask import Flask, redirect, session
from werkzeug.wrappers import Response

from .._register import register
from ..errors import CashSocialError
from ..flask_client import create_blueprint
from ._pages import favicon, html_page

__all__ = ["create_demo_app"]

_STYLE = """
body{font-family:system-ui,-apple-system,sans-serif;background:#f0f2f5;
margin:0;color:#1c1e21}header{background:#1d3557;color:#fff;padding:14px 28px;
font-size:19px;font-weight:600}main{max-width:760px;margin:32px auto;
background:#fff;border-radius:10px;padding:28px;
box-shadow:0 2px 10px rgba(0,0,0,.08)}a.button{display:inline-block;
background:#3b5998;color:#fff;text-decoration:none;border-radius:6px;
padding:12px 20px;font-size:16px;font-weight:600}
.card{display:flex;gap:20px;align-items:center}
.card img{width:96px;height:96px;border-radius:50%;background:#dde}
.card h1{margin:0 0 4px}.muted{color:#65676b}table{border-collapse:collapse;
width:100%;margin:22px 0}td,th{border-bottom:1px solid #e4e6eb;text-align:left;
padding:7px 8px;vertical-align:top}th{width:32%;color:#444;font-weight:600}
code{background:#f4f4f6;padding:1px 5px;border-radius:4px}pre{background:#f4f4f6;
padding:12px;border-radius:6px;overflow:auto}.error{border-left:4px solid #b00020;
padding:4px 14px;background:#fff5f5}
"""


def _page(title: str, body: str, *, status: int = 200) -> Response:
    return html_page(
        title, body, header="authlib-cashsocial demo", style=_STYLE, status=status
    )


def _landing() -> Response:
    return _page(
        "authlib-cashsocial demo",
        "<h1>Welcome</h1><p class=muted>This app signs you in with a Sngine "
        "social network through Authlib.</p>"
        '<p><a class=button id=login href="/login">Log in with Cash Social Network'
        "</a></p>",
    )


def _profile(user: dict[str, Any]) -> Response:
    esc = html.escape
    rows = "".join(
        f"<tr><th>{esc(name)}</th><td><code>{esc(str(value))}</code></td></tr>"
        for name, value in user.items()
        if name != "user_info"
    )
    raw = json.dumps(user.get("user_info", {}), indent=2, ensure_ascii=False)
    picture = user.get("picture", "")
    return _page(
        user.get("name", "Profile"),
        f'<div class=card><img id=picture src="{esc(picture)}" alt="">'
        f"<div><h1 id=name>{esc(user.get('name', ''))}</h1>"
        f"<div class=muted id=email>{esc(user.get('email', 'no e-mail'))}</div>"
        f"<div class=muted>@{esc(user.get('preferred_username', ''))}</div></div></div>"
        f"<table id=claims>{rows}</table>"
        f"<details><summary>The site's raw <code>user_info</code></summary>"
        f"<pre id=raw>{esc(raw)}</pre></details>"
        '<p><a id=logout href="/logout">Log out</a></p>',
    )


def _error(_request: Any, error: CashSocialError) -> Response:
    return _page(
        "Login failed",
        "<h1>Login failed</h1><div class=error><p>"
        f"<code id=error-code>{html.escape(str(error.error))}</code></p>"
        f"<p id=error-description>{html.escape(str(error.description))}</p></div>"
        '<p><a class=button href="/login">Try again</a> <a href="/">Home</a></p>',
        status=400,
    )


def create_demo_app(**options: Any) -> Flask:
    """The demo Flask app, registered with ``options`` (those of
    :func:`~authlib_cashsocial.register`)."""
    app = Flask("authlib_cashsocial_demo")
    app.secret_key = secrets.token_hex(32)
    oauth = OAuth(app)
    remote = register(oauth, **options)
    atexit.register(remote.close)

    def on_login(_request: Any, token: dict[str, Any], user: dict[str, Any]) -> None:
        session.clear()  # a new session on login
        session["user"] = dict(user)

    app.register_blueprint(
        create_blueprint(remote, handle_login=on_login, handle_error=_error)
    )

    @app.route("/")
    def home() -> Response:
        user = session.get("user")
        return _profile(user) if user else _landing()

    @app.route("/logout")
    def logout() -> Response:
        session.pop("user", None)
        return redirect("/")

    @app.route("/favicon.ico")
    def icon() -> Response:
        return Response(favicon("demo"), mimetype="image/x-icon")

    return app
