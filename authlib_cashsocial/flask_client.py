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

import weakref
from typing import Any

from authlib.integrations.flask_client import FlaskOAuth2App
from flask import Blueprint, Flask, Request, current_app, redirect, request, session
from werkzeug.wrappers import Response

from . import _app, _config
from ._client import without_traceback
from .errors import ConfigurationError

__all__ = ["FlaskCashSocialApp", "create_blueprint"]


class FlaskCashSocialApp(_app.CashSocialAppMixin, FlaskOAuth2App):  # type: ignore[misc]
    """Authlib's Flask app class for an Sngine site (what ``register`` creates).

    Example::

        oauth.register("cashsocial", client_cls=FlaskCashSocialApp, oauth=oauth,
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
        response: Response = self.login_response(request, next_url=next)
        return response

    def authorize_access_token(self, **kwargs: Any) -> dict[str, Any]:
        """Check and consume the pending login, exchange the callback's
        ``auth_key`` and return the token with ``userinfo`` already fetched.
        ``kwargs`` are request options for the exchange (``headers``,
        ``timeout``, ...); anything else is refused."""
        self.token = self.callback_token(request, **kwargs)
        return self.token

    def read_config(self, oauth: Any, name: str) -> _config.ConfigRead:
        """Every ``CASHSOCIAL_...`` key of the config of the Flask app the
        registry holds (Authlib creates this app class once that app is
        known: at ``register()`` after ``OAuth(app)``, at first use after an
        app factory's ``init_app``)."""
        self.flask_app = oauth.app
        self._same_config: weakref.WeakSet[Flask] = weakref.WeakSet()
        return _config.read_prefixed(oauth.app.config.items(), name=name)

    def check_flask_app(self) -> None:
        """Refuse a request served by another Flask app than the one this
        registration read its configuration from, unless that app's
        configuration for it is the same. Authlib's ``OAuth`` keeps one app
        and creates each client once: another app's ``CASHSOCIAL_BASE_URL``
        would otherwise be ignored, silently."""
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        if app is self.flask_app or app in self._same_config:
            return
        # No local keeps that app's settings (the secret): error trackers
        # print the frame locals of a refusal.
        try:
            same = (
                _config.read_prefixed(app.config.items(), name=self.name).values
                == self.config_read.values
            )
        except ConfigurationError as exc:  # a typo in that app's config
            failure = without_traceback(exc)
        else:
            if same:
                self._same_config.add(app)
                return
            failure = ConfigurationError(
                f"The Flask app {app.name!r} serves this request, but the "
                f"registration {self.name!r} read its configuration from the "
                f"Flask app {self.flask_app.name!r}, and their {self.name.upper()}_* "
                "settings differ. One Authlib OAuth serves one Flask app: "
                "create an OAuth() per app.",
                option="app",
            )
        raise failure

    def read_request(self, request: Request) -> _app.Incoming:
        self.check_flask_app()
        query = request.query_string.decode("latin-1")
        return _app.Incoming(
            method=request.method,
            session=session,
            query_string=query,
            fetch_site=request.headers.get(_app.FETCH_SITE_HEADER),
            here=request.script_root + request.path + (f"?{query}" if query else ""),
        )

    def redirect_response(self, url: str) -> Response:
        return redirect(url)

    def page_response(
        self, page: str, status: int, headers: dict[str, str]
    ) -> Response:
        return Response(page, status=status, headers=headers)


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
    """A blueprint with a login route (``endpoint="login"``) and the callback
    route (``"callback"``); the handlers work as
    :meth:`~authlib_cashsocial._app.CashSocialAppMixin.callback_response`
    says (``request`` is Flask's); ``handle_error`` defaults to a short 400
    page.

    Example::

        def on_login(request, token, user):
            session["user"] = user

        blueprint = create_blueprint(oauth.cashsocial, handle_login=on_login)
        app.register_blueprint(blueprint)
    """
    blueprint = Blueprint(name, __name__, url_prefix=url_prefix)

    def login() -> Response:
        return remote.authorize_redirect(next=request.args.get("next"))

    def callback() -> Any:
        return remote.callback_response(
            request, handle_login=handle_login, handle_error=handle_error
        )

    blueprint.add_url_rule(login_path, "login", login)
    blueprint.add_url_rule(callback_path, "callback", callback)
    return blueprint
