"""Starlette and FastAPI: Authlib's ``StarletteOAuth2App`` speaking Sngine
over httpx2, and ready-made routes. Needs the ``starlette`` extra and
Starlette's ``SessionMiddleware``.

Example::

    from authlib.integrations.starlette_client import OAuth
    import authlib_cashsocial

    oauth = OAuth(config)                   # CASHSOCIAL_CLIENT_ID / _SECRET
    authlib_cashsocial.register(oauth)

    async def login(request):
        return await oauth.cashsocial.authorize_redirect(request)

    async def auth(request):
        token = await oauth.cashsocial.authorize_access_token(request)
        request.session["user"] = token["userinfo"]
        return RedirectResponse("/")
"""

from __future__ import annotations

from typing import Any

from authlib.integrations.starlette_client import StarletteOAuth2App
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from . import _app, _config
from .httpx_client import AsyncCashSocialClient, SharedAsyncConnections

__all__ = ["StarletteCashSocialApp", "create_routes"]


class StarletteCashSocialApp(_app.AsyncCashSocialAppMixin, StarletteOAuth2App):  # type: ignore[misc]
    """Authlib's Starlette app class for an Sngine site (what ``register``
    creates for a Starlette or FastAPI registry).

    Example::

        oauth.register("cashsocial", client_cls=StarletteCashSocialApp, oauth=oauth,
                       client_id=APP_ID, client_secret=APP_SECRET)
    """

    client_cls = AsyncCashSocialClient
    connections_class = SharedAsyncConnections

    def read_config(self, oauth: Any, name: str) -> _config.ConfigRead:
        """The ``Config`` given to ``OAuth(config)``: every key
        ``CASHSOCIAL_...`` of its environ and env file (after its
        ``env_prefix``), numbers and flags cast from text."""
        return _config.read_text_config(
            oauth.config, name, lambda keys: oauth.load_config(name, keys)
        )

    async def authorize_redirect(
        self,
        request: Request,
        redirect_uri: Any = None,
        *,
        next: str | None = None,
    ) -> Response:
        """Redirect to ``{base}/api/oauth?app_id=…`` after recording a pending
        login. ``redirect_uri`` is accepted and ignored: the site always
        returns to the App Redirect URL registered with the app. A start
        that another site asked for (Fetch Metadata) gets a page with a link
        that starts it from this site instead (see *Security*)."""
        response: Response = await self.login_response(request, next_url=next)
        return response

    async def authorize_access_token(
        self, request: Request, **kwargs: Any
    ) -> dict[str, Any]:
        """Check and consume the pending login, exchange the callback's
        ``auth_key`` and return the token with ``userinfo`` already fetched.
        ``kwargs`` are request options for the exchange (``headers``,
        ``timeout``, ...); anything else is refused."""
        return await self.callback_token(request, **kwargs)

    def read_request(self, request: Request) -> _app.Incoming:
        query = request.url.query
        return _app.Incoming(
            method=request.method,
            session=request.session,
            query_string=query,
            # Every copy of the header: get() would read the first only.
            fetch_site=", ".join(request.headers.getlist(_app.FETCH_SITE_HEADER))
            or None,
            here=request.url.path + (f"?{query}" if query else ""),
        )

    def redirect_response(self, url: str) -> Response:
        return RedirectResponse(url, status_code=302)

    def page_response(
        self, page: str, status: int, headers: dict[str, str]
    ) -> Response:
        return HTMLResponse(page, status_code=status, headers=headers)


def create_routes(
    remote: StarletteCashSocialApp,
    *,
    handle_login: _app.LoginHandler,
    handle_error: _app.ErrorHandler | None = None,
    login_path: str = "/login",
    callback_path: str = "/auth",
    name: str = "cashsocial",
) -> list[Route]:
    """A login route and the callback route, for ``Starlette(routes=...)`` or
    FastAPI's ``app.router.routes``; the handlers (sync or async) work as
    :meth:`~authlib_cashsocial._app.CashSocialAppMixin.callback_response`
    says; ``handle_error`` defaults to a short 400 page.

    Example::

        async def on_login(request, token, user):
            request.session["user"] = user

        app = Starlette(routes=create_routes(oauth.cashsocial, handle_login=on_login),
                        middleware=[Middleware(SessionMiddleware, secret_key=KEY)])
    """

    async def login(request: Request) -> Response:
        return await remote.authorize_redirect(
            request, next=request.query_params.get("next")
        )

    async def callback(request: Request) -> Response:
        response: Response = await remote.callback_response(
            request, handle_login=handle_login, handle_error=handle_error
        )
        return response

    return [
        Route(login_path, login, name=f"{name}_login"),
        Route(callback_path, callback, name=f"{name}_callback"),
    ]
