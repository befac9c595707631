"""A complete Flask app that logs users in with Cash Social Network.

Against the embedded fake site (no account needed), from a clone of the
repository::

    make example-flask

Against a real Sngine site: register ``http://127.0.0.1:5000/auth`` as your
app's App Redirect URL there, then give the app its settings in the
environment (the secret typed at a prompt that does not show it) and start
it::

    export CASHSOCIAL_CLIENT_ID=YOUR_APP_ID
    read -rs CASHSOCIAL_CLIENT_SECRET && export CASHSOCIAL_CLIENT_SECRET
    export SECRET_KEY="$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
    make example-flask EXAMPLE_ARGS="--base-url https://cs.moneypoolscash.com"

Against a real site it needs only ``authlib-cashsocial[flask]``; ``--fake``
also needs the ``testing`` extra (the fake site).
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import html
import os
import secrets
import sys
from collections.abc import Iterator

from authlib.integrations.flask_client import OAuth
from flask import Flask, redirect, session

import authlib_cashsocial
from authlib_cashsocial.flask_client import create_blueprint

#: What the app needs against a real site, and what each one is.
REQUIRED = {
    "CASHSOCIAL_CLIENT_ID": "your app's app_id on the site",
    "CASHSOCIAL_CLIENT_SECRET": "your app's app_secret on the site",
    "SECRET_KEY": "a random key of 32 characters or more that signs the sessions",
}
HOW_TO_SET = """\
Set them in the environment, for example:
  export CASHSOCIAL_CLIENT_ID=YOUR_APP_ID
  read -rs CASHSOCIAL_CLIENT_SECRET && export CASHSOCIAL_CLIENT_SECRET
  export SECRET_KEY="$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
or try the app against the embedded fake site: make example-flask"""


def create_app(
    *, secret_key: str, cache: object = None, **cashsocial_options: object
) -> Flask:
    """The app. ``secret_key`` signs the session cookie (never a default: a
    known key lets anyone forge a logged-in session); ``cache`` (a
    ``redis.Redis`` client, say) keeps the pending login server-side, shared
    by several worker processes."""
    app = Flask(__name__)
    app.secret_key = secret_key
    oauth = OAuth(app, cache=cache)
    remote = authlib_cashsocial.register(oauth, **cashsocial_options)
    atexit.register(remote.close)  # the pooled connections to the site

    def on_login(_request: None, token: dict, user: dict) -> None:
        session.clear()  # a new session on login: nothing planted stays
        session["user"] = user

    app.register_blueprint(create_blueprint(remote, handle_login=on_login))

    @app.route("/")
    def home() -> str:
        user = session.get("user")
        if not user:
            return '<a href="/login">Log in with Cash Social Network</a>'
        return (
            f"<p>Hello, {html.escape(user['name'])}!</p><a href='/logout'>Log out</a>"
        )

    @app.route("/logout")
    def logout():  # type: ignore[no-untyped-def]
        session.pop("user", None)
        return redirect("/")

    return app


def settings_from_environment(base_url: str) -> dict[str, str]:
    """The real site's settings, or a message naming what is missing and exit 2."""
    missing = [name for name in REQUIRED if not os.environ.get(name)]
    short_key = len(os.environ.get("SECRET_KEY") or "x" * 32) < 32
    if missing or short_key:
        lines = [f"flask_app.py: cannot start against {base_url}:"]
        lines += [f"  {name:<26} missing: {REQUIRED[name]}" for name in missing]
        if short_key:
            lines.append(f"  {'SECRET_KEY':<26} too short: {REQUIRED['SECRET_KEY']}")
        print("\n".join([*lines, HOW_TO_SET]), file=sys.stderr)
        sys.exit(2)
    return {
        "base_url": base_url,
        "client_id": os.environ["CASHSOCIAL_CLIENT_ID"],
        "client_secret": os.environ["CASHSOCIAL_CLIENT_SECRET"],
        "secret_key": os.environ["SECRET_KEY"],
    }


@contextlib.contextmanager
def fake_site_settings(redirect_url: str) -> Iterator[dict[str, str]]:
    """The embedded fake site's demo app, served while the block runs, and a
    session key made for this run."""
    from authlib_cashsocial.testing import demo_site

    with demo_site(redirect_url=redirect_url) as site:
        print(f"fake site: {site.base_url} (alice / wonderland)", flush=True)
        yield {
            "base_url": site.base_url,
            "client_id": site.app.app_id,
            "client_secret": site.app.app_secret,
            "secret_key": secrets.token_hex(32),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--fake", action="store_true", help="log in with the embedded fake site"
    )
    parser.add_argument("--port", type=int, default=5000, help="default: 5000")
    parser.add_argument(
        "--base-url",
        default=os.environ.get(
            "CASHSOCIAL_BASE_URL", authlib_cashsocial.DEFAULT_BASE_URL
        ),
        help="the real site (default: $CASHSOCIAL_BASE_URL or Cash Social Network)",
    )
    args = parser.parse_args()

    redirect_url = f"http://127.0.0.1:{args.port}/auth"
    with contextlib.ExitStack() as stack:
        if args.fake:
            settings = stack.enter_context(fake_site_settings(redirect_url))
        else:
            settings = settings_from_environment(args.base_url)
        try:
            app = create_app(**settings)
        except authlib_cashsocial.ConfigurationError as exc:
            sys.exit(f"flask_app.py: {exc.description}")
        # The server's request lines show the callback's auth_key: redacted.
        authlib_cashsocial.redact_access_logs()
        print(f"app: http://127.0.0.1:{args.port}/", flush=True)
        app.run(host="127.0.0.1", port=args.port)


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C, even while starting
        main()
