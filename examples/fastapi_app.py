"""A complete FastAPI app that logs users in with Cash Social Network.

Run it against the embedded fake site (no account needed)::

    python examples/fastapi_app.py --fake          # then open the printed URL

or against a real Sngine site, with the App Redirect URL registered there as
``http://127.0.0.1:8000/auth``::

    CASHSOCIAL_CLIENT_ID=... CASHSOCIAL_CLIENT_SECRET=... \\
        python examples/fastapi_app.py --base-url https://cs.moneypoolscash.com
"""

from __future__ import annotations

import argparse
import contextlib
import html
import os
from collections.abc import AsyncIterator

from authlib.integrations.starlette_client import OAuth
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.middleware.sessions import SessionMiddleware

import authlib_cashsocial
from authlib_cashsocial.starlette_client import create_routes


def create_app(*, cache: object = None, **cashsocial_options: object) -> FastAPI:
    """The app; ``cache`` (a ``redis.asyncio.Redis`` client, say) keeps the
    pending login server-side, shared by several worker processes."""
    oauth = OAuth(cache=cache)
    remote = authlib_cashsocial.register(oauth, **cashsocial_options)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await remote.aclose()  # the pooled connections to the site

    app = FastAPI(lifespan=lifespan)
    app.add_middleware(
        SessionMiddleware, secret_key=os.environ.get("SECRET_KEY", "change-me")
    )

    async def on_login(request: Request, token: dict, user: dict) -> None:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--fake", action="store_true", help="use the embedded fake site"
    )
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--base-url", default=authlib_cashsocial.DEFAULT_BASE_URL)
    args = parser.parse_args()

    import uvicorn

    from authlib_cashsocial.testing import example_options

    redirect_url = f"http://127.0.0.1:{args.port}/auth"
    with example_options(
        fake=args.fake, redirect_url=redirect_url, base_url=args.base_url
    ) as options:
        print(f"app: http://127.0.0.1:{args.port}/", flush=True)
        uvicorn.run(
            create_app(**options), host="127.0.0.1", port=args.port, log_level="warning"
        )


if __name__ == "__main__":
    main()
