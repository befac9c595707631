"""A complete FastAPI app that logs users in with Cash Social Network.

Against the embedded fake site (no account needed), from a clone of the
repository::

    make example-fastapi

Against a real Sngine site: register ``http://127.0.0.1:8000/auth`` as your
app's App Redirect URL there, then give the app its settings in the
environment (the secret typed at a prompt that does not show it) and start
it::

    export CASHSOCIAL_CLIENT_ID=YOUR_APP_ID
    read -rs CASHSOCIAL_CLIENT_SECRET && export CASHSOCIAL_CLIENT_SECRET
    export SECRET_KEY="$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
    make example-fastapi EXAMPLE_ARGS="--base-url https://cs.moneypoolscash.com"

Against a real site it needs only ``authlib-cashsocial[fastapi]`` (FastAPI and
uvicorn); ``--fake`` also needs the ``testing`` extra (the fake site).
"""

from __future__ import annotations

import argparse
import contextlib
import html
import os
import secrets
import sys
from collections.abc import AsyncIterator, Iterator

from authlib.integrations.starlette_client import OAuth
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.middleware.sessions import SessionMiddleware

import authlib_cashsocial
from authlib_cashsocial.starlette_client import create_routes

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
or try the app against the embedded fake site: make example-fastapi"""


def create_app(
    *, secret_key: str, cache: object = None, **cashsocial_options: object
) -> FastAPI:
    """The app. ``secret_key`` signs the session cookie (never a default: a
    known key lets anyone forge a logged-in session); ``cache`` (a
    ``redis.asyncio.Redis`` client, say) keeps the pending login server-side,
    shared by several worker processes."""
    oauth = OAuth(cache=cache)
    remote = authlib_cashsocial.register(oauth, **cashsocial_options)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await remote.aclose()  # the pooled connections to the site

    app = FastAPI(lifespan=lifespan)
    app.add_middleware(SessionMiddleware, secret_key=secret_key)

    async def on_login(request: Request, token: dict, user: dict) -> None:
        request.session.clear()  # a new session on login: nothing planted stays
        request.session["user"] = user

    app.router.routes.extend(create_routes(remote, handle_login=on_login))

    @app.get("/", response_class=HTMLResponse)
    async def home(request: Request) -> str:
        user = request.session.get("user")
        if not user:
            return '<a href="/login">Log in with Cash Social Network</a>'
        return (
            f"<p>Hello, {html.escape(user['name'])}!</p><a href='/logout'>Log out</a>"
        )

    @app.get("/logout")
    async def logout(request: Request) -> RedirectResponse:
        request.session.pop("user", None)
        return RedirectResponse("/")

    return app


def settings_from_environment(base_url: str) -> dict[str, str]:
    """The real site's settings, or a message naming what is missing and exit 2."""
    missing = [name for name in REQUIRED if not os.environ.get(name)]
    short_key = len(os.environ.get("SECRET_KEY") or "x" * 32) < 32
    if missing or short_key:
        lines = [f"fastapi_app.py: cannot start against {base_url}:"]
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
    parser.add_argument("--port", type=int, default=8000, help="default: 8000")
    parser.add_argument(
        "--base-url",
        default=os.environ.get(
            "CASHSOCIAL_BASE_URL", authlib_cashsocial.DEFAULT_BASE_URL
        ),
        help="the real site (default: $CASHSOCIAL_BASE_URL or Cash Social Network)",
    )
    args = parser.parse_args()

    import uvicorn

    redirect_url = f"http://127.0.0.1:{args.port}/auth"
    with contextlib.ExitStack() as stack:
        if args.fake:
            settings = stack.enter_context(fake_site_settings(redirect_url))
        else:
            settings = settings_from_environment(args.base_url)
        try:
            app = create_app(**settings)
        except authlib_cashsocial.ConfigurationError as exc:
            sys.exit(f"fastapi_app.py: {exc.description}")
        print(f"app: http://127.0.0.1:{args.port}/", flush=True)
        # The access log's request lines show the callback's auth_key: redacted.
        authlib_cashsocial.redact_access_logs()
        uvicorn.run(app, host="127.0.0.1", port=args.port)


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C, even while starting
        main()
