"""A complete Flask app that logs users in with Cash Social Network.

Run it against the embedded fake site (no account needed)::

    python examples/flask_app.py --fake            # then open the printed URL

or against a real Sngine site, with the App Redirect URL registered there as
``http://127.0.0.1:5000/auth``::

    CASHSOCIAL_CLIENT_ID=... CASHSOCIAL_CLIENT_SECRET=... \\
        python examples/flask_app.py --base-url https://cs.moneypoolscash.com
"""

from __future__ import annotations

import argparse
import atexit
import html
import os

from authlib.integrations.flask_client import OAuth
from flask import Flask, redirect, session

import authlib_cashsocial
from authlib_cashsocial.flask_client import create_blueprint


def create_app(*, cache: object = None, **cashsocial_options: object) -> Flask:
    """The app; ``cache`` (a ``redis.Redis`` client, say) keeps the pending
    login server-side, shared by several worker processes."""
    app = Flask(__name__)
    app.secret_key = os.environ.get("SECRET_KEY", "change-me")
    oauth = OAuth(app, cache=cache)
    remote = authlib_cashsocial.register(oauth, **cashsocial_options)
    atexit.register(remote.close)  # the pooled connections to the site

    def on_login(_request: None, token: dict, user: dict) -> None:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--fake", action="store_true", help="use the embedded fake site"
    )
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--base-url", default=authlib_cashsocial.DEFAULT_BASE_URL)
    args = parser.parse_args()

    from waitress import serve

    from authlib_cashsocial.testing import example_options

    redirect_url = f"http://127.0.0.1:{args.port}/auth"
    with example_options(
        fake=args.fake, redirect_url=redirect_url, base_url=args.base_url
    ) as options:
        print(f"app: http://127.0.0.1:{args.port}/", flush=True)
        serve(create_app(**options), host="127.0.0.1", port=args.port)


if __name__ == "__main__":
    main()
