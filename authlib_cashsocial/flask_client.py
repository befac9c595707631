"""Flask: Authlib's ``FlaskOAuth2App`` speaking Sngine, and a blueprint.

Example::

    from authlib.integrations.flask_client import OAuth
    import authlib_cashsocial

    oauth = OAuth(app)
    authlib_cashsocial.register(oauth)      # CASHSOCIAL_CLIENT_ID / _SECRET

    @app.route("/login")
    def login():
        return oauth.cashsocial.authorize_redirect()

    @app.route("/auth")
    def auth():
        token = oauth.cashsocial.authorize_access_token()
        session["user"] = token["userinfo"]
        return redirect("/")
"""

from __future__ import annotations

from typing import Any

from authlib.integrations.flask_client import FlaskOAuth2App
from flask import Blueprint, redirect, request, session
from werkzeug.wrappers import Response

from . import _app
from .errors import CashSocialError, CrossSiteLoginError

__all__ = ["FlaskCashSocialApp", "create_blueprint"]


class FlaskCashSocialApp(_app.CashSocialAppMixin, FlaskOAuth2App):  # type: ignore[misc]
    """Authlib's Flask app class for an Sngine site (what ``register`` creates).

    Example::

        oauth.register("cashsocial", client_cls=FlaskCashSocialApp,
                       client_id=APP_ID, client_secret=APP_SECRET)
    """

    def authorize_redirect(
        self, redirect_uri: str | None = None, *, next: str | None = None
    ) -> Response:
        """Redirect to ``{base}/api/oauth?app_id=…`` after recording a pending
        login in the session. ``redirect_uri`` is accepted and ignored: the
        site always returns to the App Redirect URL registered with the app.
        ``next`` is a path on this site to remember for after the login.
        A start that another site asked for (Fetch Metadata) gets a page with
        a link that starts it from this site instead (see *Security*)."""
        try:
            url = self.begin_login(
                session,
                fetch_site=request.headers.get(_app.FETCH_SITE_HEADER),
                next_url=next,
            )
        except CrossSiteLoginError:
            query = request.query_string.decode("latin-1")
            here = request.script_root + request.path + (f"?{query}" if query else "")
            page, headers = self.confirmation(here)
            return Response(page, headers=headers, mimetype="text/html")
        return redirect(url)

    def authorize_access_token(self, **kwargs: Any) -> dict[str, Any]:
        """Check and consume the pending login, exchange the callback's
        ``auth_key`` and return the token with ``userinfo`` already fetched.
        ``kwargs`` are request options for the exchange (``headers``,
        ``timeout``, ...); anything else is refused."""
        token, _pending = self.finish_login(
            session, request.query_string.decode("latin-1"), **kwargs
        )
        self.token = token
        return token


def _default_error(_request: Any, error: CashSocialError) -> Any:
    return _app.error_page(error), 400, {"Content-Type": "text/html; charset=utf-8"}


def create_blueprint(
    remote: FlaskCashSocialApp,
    *,
    handle_login: _app.LoginHandler,
    handle_error: _app.ErrorHandler | None = None,
    login_path: str = "/login",
    callback_path: str = "/auth",
    name: str = "cashsocial",
    url_prefix: str | None = None,
) -> Blueprint:
    """A blueprint with a login route and the callback route; the handlers
    work as :func:`~authlib_cashsocial._app.run_callback` says (``request`` is
    Flask's); ``handle_error`` defaults to a short 400 page.

    Example::

        def on_login(request, token, user):
            session["user"] = user

        blueprint = create_blueprint(oauth.cashsocial, handle_login=on_login)
        app.register_blueprint(blueprint)
    """
    on_error = handle_error or _default_error
    blueprint = Blueprint(name, __name__, url_prefix=url_prefix)

    @blueprint.route(login_path, endpoint="login")
    def login() -> Any:
        return remote.authorize_redirect(next=request.args.get("next"))

    @blueprint.route(callback_path, endpoint="callback")
    def callback() -> Any:
        return _app.run_callback(
            remote,
            request,
            session,
            request.query_string.decode("latin-1"),
            handle_login=handle_login,
            handle_error=on_error,
            redirect=redirect,
        )

    return blueprint
