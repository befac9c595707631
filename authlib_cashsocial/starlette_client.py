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

from . import _app
from .errors import CashSocialError, CrossSiteLoginError
from .httpx_client import AsyncCashSocialClient, SharedAsyncConnections

__all__ = ["StarletteCashSocialApp", "create_routes"]


class StarletteCashSocialApp(_app.AsyncCashSocialAppMixin, StarletteOAuth2App):  # type: ignore[misc]
    """Authlib's Starlette app class for an Sngine site (what ``register``
    creates for a Starlette or FastAPI registry).

    Example::

        oauth.register("cashsocial", client_cls=StarletteCashSocialApp,
                       client_id=APP_ID, client_secret=APP_SECRET)
    """

    client_cls = AsyncCashSocialClient
    connections_class = SharedAsyncConnections

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
        try:
            url = await self.begin_login(
                request.session,
                fetch_site=request.headers.get(_app.FETCH_SITE_HEADER),
                next_url=next,
            )
        except CrossSiteLoginError:
            query = request.url.query
            here = request.url.path + (f"?{query}" if query else "")
            page, headers = self.confirmation(here)
            return HTMLResponse(page, headers=headers)
        return RedirectResponse(url, status_code=302)

    async def authorize_access_token(
        self, request: Request, **kwargs: Any
    ) -> dict[str, Any]:
        """Check and consume the pending login, exchange the callback's
        ``auth_key`` and return the token with ``userinfo`` already fetched.
        ``kwargs`` are request options for the exchange (``headers``,
        ``timeout``, ...); anything else is refused."""
        token, _pending = await self.finish_login(
            request.session, request.url.query, **kwargs
        )
        return token


def _default_error(_request: Request, error: CashSocialError) -> Response:
    return HTMLResponse(_app.error_page(error), status_code=400)


def _redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=302)


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
    :func:`~authlib_cashsocial._app.run_callback` says; ``handle_error``
    defaults to a short 400 page.

    Example::

        async def on_login(request, token, user):
            request.session["user"] = user

        app = Starlette(routes=create_routes(oauth.cashsocial, handle_login=on_login),
                        middleware=[Middleware(SessionMiddleware, secret_key=KEY)])
    """
    on_error = handle_error or _default_error

    async def login(request: Request) -> Response:
        return await remote.authorize_redirect(
            request, next=request.query_params.get("next")
        )

    async def callback(request: Request) -> Response:
        response: Response = await _app.arun_callback(
            remote,
            request,
            request.session,
            request.url.query,
            handle_login=handle_login,
            handle_error=on_error,
            redirect=_redirect,
        )
        return response

    return [
        Route(login_path, login, name=f"{name}_login"),
        Route(callback_path, callback, name=f"{name}_callback"),
    ]
